"""Calls of the spec's own functions inside expressions.

An expression (a default, a check, an index expression or predicate, a
generated column, a policy, a view query) may call a function the spec
defines, by its schema-qualified name. The function policy
(``funcpolicy.judge_tree(..., functions=...)``) judges such a call by the
function's *declared* volatility; this module says which spec functions an
expression calls, for the rule that keeps spec code out of the migration
(SD607), for the order of ``sql`` and ``plan`` (``compile.fnorder``) and for the
plan-time probes' stand-ins (``introspect.standins``).

A call matches a spec function by schema, name and argument count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from .model import Function, Volatility

_LETTER = {Volatility.IMMUTABLE: "i", Volatility.STABLE: "s", Volatility.VOLATILE: "v"}


class Callee(NamedTuple):
    """What the function policy needs to know of a spec function: its name, how
    many arguments it takes and its declared volatility ("i", "s" or "v")."""
    schema: str
    name: str
    nargs: int
    volatility: str


def callees(functions: Iterable[Function]) -> tuple[Callee, ...]:
    """The spec's functions as the function policy sees them (sorted, hashable)."""
    return tuple(sorted({Callee(fn.schema, fn.name, len(fn.args), _LETTER[Volatility(fn.volatility)])
                         for fn in functions}))


def _calls(tree) -> Iterator[tuple[tuple[str, ...], int]]:
    """(name parts, argument count) of every function call in a JSON parse tree."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            call = node.get("FuncCall")
            if isinstance(call, dict) and len(node) == 1:
                names = tuple(n.get("String", {}).get("sval", "") for n in call.get("funcname") or ()
                              if isinstance(n, dict))
                yield names, len(call.get("args") or ())
            todo.extend(v for v in node.values() if isinstance(v, (dict, list)))


def calls(tree) -> list[tuple[tuple[str, ...], int]]:
    """(name parts, argument count) of every function call in a JSON parse tree."""
    return list(_calls(tree))


def called(tree, functions: Iterable[Callee | Function]) -> list[tuple[str, str]]:
    """The (schema, name) of each spec function ``tree`` calls, in first-call order.
    Matched by schema and name only (any argument count): the safe side for
    refusing (SD607) and for ordering."""
    names = {(f.schema, f.name) for f in functions}
    out: list[tuple[str, str]] = []
    for parts, _ in _calls(tree):
        if len(parts) == 2 and parts in names and parts not in out:
            out.append(parts)  # type: ignore[arg-type]
    return out


def called_in_text(text: str | None, functions: Iterable[Callee | Function]) -> list[tuple[str, str]]:
    """``called`` for an expression's text (None or text that does not parse: none)."""
    if not text:
        return []
    from .expressions import ExpressionError, parse_expression

    try:
        tree = parse_expression(text).tree
    except ExpressionError:
        return []
    return called(tree, functions)
