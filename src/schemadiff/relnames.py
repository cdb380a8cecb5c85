"""Table names inside an expression, resolved as the spec means them.

A policy's subquery may name a table without its schema:
``customer_id IN (SELECT id FROM customers WHERE …)``. The spec means the table
of that name in the policy's own table's schema. Migrations and convergence
probes run with ``search_path = pg_catalog, pg_temp`` (so that a hostile
``search_path`` cannot decide what a name means), where ``customers`` resolves
to nothing. So, before such an expression reaches the server, every relation
named without a schema (and not the name of a ``WITH`` query of the expression)
gets that schema written in front of it, at the position PostgreSQL's own
parser reports for it. Nothing else of the text changes, and nothing is added to
``search_path``: an unqualified function or operator still means pg_catalog's.
"""

from __future__ import annotations

import json

from pglast.parser import ParseError, parse_sql_json

from .identifiers import quote_ident

_PREFIX = "SELECT "


def _walk(value, ctes: set[str], found: list[tuple[int, str]]) -> None:
    if isinstance(value, list):
        for v in value:
            _walk(v, ctes, found)
        return
    if not isinstance(value, dict):
        return
    if "CommonTableExpr" in value and isinstance(value["CommonTableExpr"], dict):
        ctes.add(value["CommonTableExpr"].get("ctename", ""))
    if "relname" in value and "location" in value and not value.get("schemaname") and not value.get("catalogname"):
        found.append((value["location"], value["relname"]))
    for v in value.values():
        if isinstance(v, (dict, list)):
            _walk(v, ctes, found)


def unqualified_relations(expression: str) -> list[str]:
    """The relation names ``expression`` uses without a schema (``WITH`` names excluded)."""
    try:
        tree = json.loads(parse_sql_json(_PREFIX + expression))
    except ParseError:
        return []
    ctes: set[str] = set()
    found: list[tuple[int, str]] = []
    _walk(tree, ctes, found)
    return [name for _, name in found if name not in ctes]


def with_queries(expression: str) -> list[str]:
    """The names of the ``WITH`` queries inside ``expression``."""
    try:
        tree = json.loads(parse_sql_json(_PREFIX + expression))
    except ParseError:
        return []
    ctes: set[str] = set()
    _walk(tree, ctes, [])
    return sorted(ctes)


def qualify_relations(expression: str, schema: str) -> str:
    """``expression`` with ``schema.`` in front of every relation named without one.
    Unchanged when there is none (or when it does not parse: the caller's own
    parse reports that)."""
    if "select" not in expression.lower():  # no subquery, no relation: the common case, cheaply
        return expression
    try:
        tree = json.loads(parse_sql_json(_PREFIX + expression))
    except ParseError:
        return expression
    ctes: set[str] = set()
    found: list[tuple[int, str]] = []
    _walk(tree, ctes, found)
    spots = sorted({loc - len(_PREFIX) for loc, name in found if name not in ctes}, reverse=True)
    if not spots:
        return expression
    data = expression.encode("utf-8")  # the parser's locations count bytes
    prefix = (quote_ident(schema) + ".").encode("utf-8")
    for at in spots:
        data = data[:at] + prefix + data[at:]
    return data.decode("utf-8")
