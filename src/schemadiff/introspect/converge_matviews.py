"""Bringing equal index expressions of a materialized view to the database's spelling.

An index's predicate and expressions are stored as the server's deparse
(``total > 100`` comes back ``(total > (100)::numeric)``). For each index of a
materialized view the database already holds under the same name, whose
predicate or expressions differ in text: in one transaction that is always
rolled back, a temporary table takes the view's columns (``LIKE``), the index is
built on it from the spec's text (the table is empty: nothing is computed but
the constants), and its deparse, printed with ``search_path`` = ``pg_catalog``
as introspection prints, is compared with the database's. Equal: the desired
index takes the database's text. Offline (``check``): equal parse trees.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from pglast.parser import ParseError, parse_sql_json

from ..expressions import without_locations
from ..model import Index, Schema, View
from . import sandbox, standins

if TYPE_CHECKING:
    import psycopg


def _tree(expression: str | None):
    if expression is None:
        return None
    try:
        return without_locations(json.loads(parse_sql_json(f"SELECT {expression}")).get("stmts"))
    except ParseError:
        return None


def _texts(ix: Index) -> tuple:
    return (ix.where, tuple(e.expression for e in ix.elements))


def converge_matview_indexes(desired: Schema, current: Schema, conn: psycopg.Connection | None) -> Schema:
    cur = {v.qualified: v for v in current.views if v.materialized}
    todo: list[tuple[View, Index, Index]] = []
    for v in desired.views:
        old_view = cur.get(v.qualified)
        if not v.materialized or old_view is None:
            continue
        olds = {ix.name: ix for ix in old_view.indexes}
        for ix in v.indexes:
            old = olds.get(ix.name)
            if old is not None and len(old.elements) == len(ix.elements) and _texts(old) != _texts(ix):
                todo.append((v, ix, old))
    if not todo:
        return desired
    same: dict[tuple, Index] = {}
    for v, ix, old in todo:
        if _tree(ix.where) == _tree(old.where) and all(
                _tree(a.expression) == _tree(b.expression) for a, b in zip(ix.elements, old.elements)):
            same[(v.qualified, ix.name)] = old
    asks = [item for item in todo if (item[0].qualified, item[1].name) not in same]
    if conn is not None and asks:
        same.update(_ask_server(conn, asks, desired.functions))

    def converged(v: View) -> View:
        if not any((v.qualified, ix.name) in same for ix in v.indexes):
            return v
        return replace(v, indexes=tuple(_take(ix, same[(v.qualified, ix.name)]) if (v.qualified, ix.name) in same
                                        else ix for ix in v.indexes))
    return replace(desired, views=tuple(converged(v) for v in desired.views))


def _take(ix: Index, old: Index) -> Index:
    return replace(ix, where=old.where, elements=tuple(replace(e, expression=o.expression)
                                                       for e, o in zip(ix.elements, old.elements)))


def _ask_server(conn: psycopg.Connection, items: list[tuple[View, Index, Index]], functions=()) -> dict:
    """Each index built on the copy calls the spec's functions through their stand-ins
    (``standins``): the server folds an IMMUTABLE call with constant arguments as it
    takes the index, which would run the database's body of the function."""
    import psycopg

    from ..compile.ddl import create_index
    from ..identifiers import quote_qualified
    from .read import _expr

    out = {}
    previous = conn.autocommit
    conn.autocommit = False
    try:
        sandbox.pin(conn)
        standin = standins.Session(conn, functions)
        for n, (v, ix, old) in enumerate(items):
            probe = View(schema="pg_temp", name=f"schemadiff_probe_matview_{n}", query="SELECT 1")
            # its stand-ins made outside the probe's savepoint, so that they outlive a failed probe
            try:
                index = standin.statement(create_index(probe, replace(ix, name=f"{probe.name}_ix", storage=())).sql)
            except standins.NotProbed:
                continue
            try:
                with conn.transaction():  # a savepoint: an index the server rejects leaves the rest
                    conn.execute(f"CREATE TEMP TABLE {probe.name} (LIKE {quote_qualified(v.schema, v.name)})")
                    conn.execute(index)
                    row = conn.execute(
                        "SELECT pg_catalog.pg_get_expr(ix.indpred, ix.indrelid), "
                        "ARRAY(SELECT CASE WHEN k.attnum = 0 THEN pg_catalog.pg_get_indexdef(ix.indexrelid, "
                        "k.ord::int, true) END FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
                        "WHERE k.ord <= ix.indnkeyatts ORDER BY k.ord) "
                        "FROM pg_catalog.pg_index ix WHERE ix.indrelid = %s::pg_catalog.regclass",
                        (f"pg_temp.{probe.name}",)).fetchone()
            except psycopg.Error:
                continue
            where = _expr(standin.text(row[0]))
            exprs = [_expr(standin.text(e)) if e else None for e in row[1]]
            if where == old.where and exprs == [e.expression for e in old.elements]:
                out[(v.qualified, ix.name)] = old
    finally:
        conn.rollback()
        conn.autocommit = previous
    return out
