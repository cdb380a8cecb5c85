"""Bringing equal view queries to one spelling before the diff.

The server keeps a view's query as its own deparse (``pg_get_viewdef``: columns
qualified by their table, casts written out, its own layout). A spec query that
the server would print as the database's text is the same query. Offline (two
specs) equal parse trees are the same query. Against a database the server
decides: in one transaction that is always rolled back, each spec query becomes
a temporary view (creating a view runs nothing), and its ``pg_get_viewdef``,
printed with ``search_path`` = ``pg_catalog`` as introspection prints, is compared
with the database's. Equal: the desired view takes the database's text.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from pglast.parser import ParseError, parse_sql_json

from ..expressions import without_locations
from ..model import Schema, View
from . import sandbox

if TYPE_CHECKING:  # check (offline) loads neither psycopg nor the compiler
    import psycopg


def _tree(text: str):
    try:
        return without_locations(json.loads(parse_sql_json(text)).get("stmts"))
    except ParseError:
        return None


def converge_views(desired: Schema, current: Schema, conn: psycopg.Connection | None = None) -> Schema:
    from .converge_matviews import converge_matview_indexes

    desired = converge_matview_indexes(desired, current, conn)
    cur = {v.qualified: v for v in current.views}
    todo = [v for v in desired.views if v.qualified in cur and v.query != cur[v.qualified].query]
    if not todo:
        return desired
    same: dict = {}
    for v in todo:
        a, b = _tree(v.query), _tree(cur[v.qualified].query)
        if a is not None and a == b:
            same[v.qualified] = cur[v.qualified].query
    asks = [v for v in todo if v.qualified not in same]
    if conn is not None and asks:
        same.update(_ask_server(conn, asks, cur))
    return replace(desired, views=tuple(replace(v, query=same[v.qualified]) if v.qualified in same else v
                                        for v in desired.views))


def _ask_server(conn: psycopg.Connection, views: list[View], cur: dict) -> dict:
    import psycopg

    out = {}
    previous = conn.autocommit
    conn.autocommit = False
    try:
        sandbox.pin(conn)
        for n, v in enumerate(views):
            name = f"schemadiff_probe_view_{n}"
            try:
                with conn.transaction():  # a savepoint: a query the server rejects leaves the rest
                    conn.execute(f"CREATE TEMP VIEW {name} AS {_pinned(v)}")
                    text = conn.execute(f"SELECT pg_catalog.pg_get_viewdef('pg_temp.{name}'::pg_catalog.regclass)"
                                        ).fetchone()[0]
            except psycopg.Error:
                continue
            if text == cur[v.qualified].query:
                out[v.qualified] = text
    finally:
        conn.rollback()
        conn.autocommit = previous
    return out


def _pinned(v: View) -> str:
    from ..sqltext import pin_literals

    from ..compile.views import query_sql

    return pin_literals(query_sql(v))
