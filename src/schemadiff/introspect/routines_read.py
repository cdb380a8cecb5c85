"""Catalog rows of ``queries/functions.sql`` and ``queries/triggers.sql`` -> the model.

A row the spec language cannot write exactly gives None: the object stays on
the out-of-scope list (``queries/out_of_scope.sql``) and is never managed.
"""

from __future__ import annotations

from pglast.parser import ParseError, parse_sql_json, scan

import json

from ..model import (
    TRIGGER_EVENT_ORDER, Function, FunctionArg, QualifiedName, Trigger, TriggerEvent, TriggerTiming, View, Volatility,
)
from ..spec.views import query_problem
from ..normalize import strip_outer_parens

_VOLATILITY = {"v": Volatility.VOLATILE, "s": Volatility.STABLE, "i": Volatility.IMMUTABLE}
_ENABLED = {"O": "origin", "D": "disabled", "R": "replica", "A": "always"}


def search_path(config: list[str] | None) -> tuple[str, ...] | None:
    """The schemas of a function's ``search_path=…`` setting (the server writes
    them quoted as identifiers, comma-separated): read by PostgreSQL's grammar."""
    if not config:
        return None
    value = config[0].split("=", 1)[1]
    try:
        stmt = json.loads(parse_sql_json(f"SET search_path = {value}"))["stmts"][0]["stmt"]["VariableSetStmt"]
    except (ParseError, KeyError, IndexError, ValueError):
        return ()
    return tuple((a.get("A_Const") or {}).get("sval", {}).get("sval", "") for a in stmt.get("args") or ())


def function(r: dict) -> Function | None:
    names = list(r["arg_names"] or [])
    types = list(r["arg_types"] or [])
    args = tuple(FunctionArg(t, (names[i] or None) if i < len(names) else None) for i, t in enumerate(types))
    path = search_path(r["config"])
    if path == ():
        return None
    return Function(schema=r["schema"], name=r["name"], args=args, returns=r["returns"], language=r["language"],
                    body=r["body"], volatility=_VOLATILITY[r["volatility"]], strict=r["strict"],
                    security_definer=r["security_definer"], search_path=path, comment=r["comment"])


def when_text(definition: str) -> str | None:
    """The WHEN condition of ``pg_get_triggerdef``'s text, as the server spells it:
    the tokens between ``WHEN (`` and its matching ``)``."""
    try:
        tokens = scan(definition)
    except ParseError:
        return None
    for i, tok in enumerate(tokens):
        if tok.name == "WHEN" and i + 1 < len(tokens) and tokens[i + 1].name == "ASCII_40":
            depth = 0
            for close in tokens[i + 1:]:
                depth += {"ASCII_40": 1, "ASCII_41": -1}.get(close.name, 0)
                if depth == 0:
                    return strip_outer_parens(definition[tokens[i + 1].end + 1:close.start].strip())
            return None
    return None


def trigger(r: dict) -> Trigger | None:
    bits = r["type"]
    if r["transition_tables"] or bits & 64:  # REFERENCING … TABLE, INSTEAD OF: not in the spec language
        return None
    events = tuple(e for e, bit in ((TriggerEvent.INSERT, 4), (TriggerEvent.DELETE, 8), (TriggerEvent.UPDATE, 16),
                                    (TriggerEvent.TRUNCATE, 32)) if bits & bit)
    events = tuple(e for e in TRIGGER_EVENT_ORDER if e in events)
    when = None
    if r["has_when"]:
        when = when_text(r["definition"])
        if when is None:
            return None
    raw = bytes.fromhex(r["args_hex"] or "")
    args = tuple(part.decode("utf-8") for part in raw.split(b"\x00")[:r["nargs"]])
    return Trigger(name=r["name"], timing=TriggerTiming.BEFORE if bits & 2 else TriggerTiming.AFTER, events=events,
                   function=QualifiedName(r["function_schema"], r["function_name"]), for_each_row=bool(bits & 1),
                   columns=tuple(r["columns"] or ()), when=when, args=args, enabled=_ENABLED[r["enabled"]],
                   comment=r["comment"])


def view(r: dict, functions=()) -> View | None:
    """A view as the spec writes it, or None (left out of scope): one with options other
    than the spec's, or a query the spec's view files may not
    hold (a WITH, a relation the server prints unqualified)."""
    options: dict[str, str] = {}
    for item in r["options"] or ():
        key, _, value = item.partition("=")
        options[key] = value
    if set(options) - {"security_invoker", "security_barrier", "check_option"}:
        return None
    flag = lambda key: options.get(key, "false").lower() in ("true", "on", "1", "yes")  # noqa: E731
    # Calls outside pg_catalog, but of the database's own functions read with it (``functions``,
    # speccalls.Callee), are left out, not guessed.
    if query_problem(r["query"], (), functions=functions)[0] is not None:  # casts: not judged (import)
        return None
    return View(schema=r["schema"], name=r["name"], query=r["query"], security_invoker=flag("security_invoker"),
                security_barrier=flag("security_barrier"), check_option=options.get("check_option") or None,
                comment=r["comment"])
