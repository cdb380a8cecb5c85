"""One rewrite of many expressions that differ only in their whole numbers.

A schema repeats an expression from table to table with another bound (``quantity <=
1000``, ``quantity <= 2000``…): the text differs, so a cache keyed by the text misses
every time, and ``humane``'s rewrite (pglast's Python nodes, a simplifier, a printer)
runs once per table. ``Shapes`` runs it once per *shape* instead: the expression's
libpg_query tree (parsed in C) without positions, with each positive integer constant
a numbered hole. The first expression of a shape is rewritten as it is. When a second
one comes, the first is rewritten again with each constant made a distinct sentinel
number; that result is the shape's template when each sentinel appears in it exactly
once and putting the first expression's own numbers in its place gives exactly the
first result. The second and every later expression of the shape are then the template
with their numbers put in (a shape seen once costs one rewrite, as before).

This holds because the rewrite never looks at the value of a positive integer
constant (only at its sign, ``_People``), and pglast prints one as its decimal
digits. Holes are made only where that is so: not in a type's modifiers
(``varchar(32)``, ``interval`` fields, ``char(1)`` are printed by value), and not in
an expression with a subquery (LIMIT and the like). A shape whose template fails a
check is rewritten text by text, as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from ..expressions import _POSITIONS

_LITERAL = re.compile(r"0[xX][0-9A-Fa-f_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*")
_SENTINEL_BASE = 1_000_000_007  # int4: a sentinel is an Integer constant, as the number it stands for
_UNSHAPED = object()


def shape(text: str) -> tuple[str, tuple[int, ...], tuple[int, ...]] | None:
    """(the shape's key, the hole values, their offsets in ``text``), or None when the
    text does not parse or has no hole."""
    from pglast.parser import parse_sql_json

    try:
        raw = parse_sql_json(f"SELECT {text}")
    except Exception:  # noqa: BLE001 — not one expression: no shape
        return None
    if '"SubLink"' in raw:  # a key; a constant that spells it is quoted (\"SubLink\"): no shape either
        return None
    tree = json.loads(raw)
    values: list[int] = []
    offsets: list[int] = []

    def walk(node, in_typmods: bool):
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key in _POSITIONS:
                    continue
                if key == "A_Const" and not in_typmods:
                    ival = value.get("ival")
                    if isinstance(ival, dict) and isinstance(ival.get("ival"), int) and ival["ival"] > 0 \
                            and isinstance(value.get("location"), int):
                        values.append(ival["ival"])
                        offsets.append(value["location"] - len("SELECT "))
                        out[key] = {"hole": len(values)}
                        continue
                out[key] = walk(value, in_typmods or key == "typmods")
            return out
        if isinstance(node, list):
            return [walk(v, in_typmods) for v in node]
        return node

    key = json.dumps(walk(tree, False), sort_keys=True)
    if not values:
        return None
    return key, tuple(values), tuple(offsets)


def _with_sentinels(text: str, offsets: tuple[int, ...]) -> str | None:
    """``text`` with the literal at each offset written as its sentinel."""
    parts, end = [], 0
    for at, n in sorted((at, n) for n, at in enumerate(offsets)):
        m = _LITERAL.match(text, at) if at >= end else None
        if m is None:
            return None
        parts += [text[end:at], str(_SENTINEL_BASE + n)]
        end = m.end()
    return "".join(parts) + text[end:]


def _fill(template: str, values: tuple[int, ...]) -> str:
    return re.sub(r"\d+", lambda m: str(values[int(m.group()) - _SENTINEL_BASE])
                  if _SENTINEL_BASE <= int(m.group()) < _SENTINEL_BASE + len(values) else m.group(), template)


class Shapes:
    """``rewrite(text)`` for each text, ``rewrite`` run once per shape where it can be."""

    def __init__(self, rewrite: Callable[[str], str | None]):
        self.rewrite = rewrite
        self.templates: dict[str, object] = {}

    def __call__(self, text: str) -> str | None:
        found = shape(text)
        if found is None:
            return self.rewrite(text)
        key, values, offsets = found
        template = self.templates.get(key)
        if template is None:  # the first of its shape: rewritten alone, kept to check a template on
            result = self.rewrite(text)
            self.templates[key] = (text, values, offsets, result)
            return result
        if isinstance(template, tuple):  # the second: a template is worth making now
            template = self.templates[key] = self._template(*template, key=key)
        if template is _UNSHAPED:
            return self.rewrite(text)
        return _fill(template, values)

    def _template(self, text: str, values, offsets, result: str | None, *, key: str):
        if result is None:
            return _UNSHAPED
        marked = _with_sentinels(text, offsets)
        again = shape(marked) if marked is not None else None
        sentinels = tuple(_SENTINEL_BASE + n for n in range(len(values)))
        if again is None or again[0] != key or again[1] != sentinels:
            return _UNSHAPED
        template = self.rewrite(marked)
        if template is None:
            return _UNSHAPED
        found = [int(d) for d in re.findall(r"\d+", template)]
        if sorted(d for d in found if d in sentinels) != list(sentinels) or _fill(template, values) != result:
            return _UNSHAPED
        return template
