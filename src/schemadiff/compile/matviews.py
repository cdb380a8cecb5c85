"""Materialized views -> SQL, and the comments on any view's columns.

``CREATE MATERIALIZED VIEW s.m AS <query> WITH NO DATA``: the query is never
run by a migration (it may read every row of every table it names, for as
long as that takes); the view is created empty, and ``REFRESH MATERIALIZED
VIEW`` is a follow-up the user runs when they choose (``refresh_sql``; plan
lists it, never runs it). Its indexes are built on the empty view in the same
transaction, with the table index syntax (``ddl.create_index``). Each
statement is parsed back like a plain view's: one ``CreateTableAsStmt`` of
kind MATVIEW on the view, WITH NO DATA, its query the one SELECT the query
alone parses to.
"""

from __future__ import annotations

import json

from pglast.parser import parse_sql_json

from ..expressions import without_locations
from ..identifiers import quote_qualified
from ..model import View
from ..sqltext import pin_literals
from . import ddl
from .statements import Statement
from .verify import CompileError, Expect, checked

MATVIEW_OBJTYPE = "OBJECT_MATVIEW"


def create_matview(v: View) -> Statement:
    from .views import query_sql

    what = f"materialized view {v.schema}.{v.name}"
    query = query_sql(v)
    sql = f"CREATE MATERIALIZED VIEW {quote_qualified(v.schema, v.name)} AS {query} WITH NO DATA"
    out = checked(sql, Expect("CreateTableAsStmt", (v.schema, v.name), what))
    node = json.loads(parse_sql_json(out))["stmts"][0]["stmt"]["CreateTableAsStmt"]
    alone = json.loads(parse_sql_json(pin_literals(query)))["stmts"]
    into = node.get("into") or {}
    rel = into.get("rel") or {}
    if (set(node) - {"query", "into", "objtype"} or node.get("objtype") != MATVIEW_OBJTYPE
            or set(into) - {"rel", "onCommit", "skipData"} or not into.get("skipData")
            or (rel.get("schemaname"), rel.get("relname")) != (v.schema, v.name)
            or len(alone) != 1 or without_locations(node.get("query")) != without_locations(alone[0]["stmt"])):
        raise CompileError("CREATE MATERIALIZED VIEW does not read back as built", what)
    return Statement(out, "create_matview", what)


def refresh_sql(v: View) -> str:
    """The follow-up a new materialized view needs before it can be read (never run by schemadiff)."""
    return f"REFRESH MATERIALIZED VIEW {quote_qualified(v.schema, v.name)};"


def comment_on_matview(v: View, text: str | None) -> Statement:
    what = f"comment on materialized view {v.schema}.{v.name}"
    return Statement(ddl.comment_sql("materialized view", (v.schema, v.name), text, what), "comment", what)


def comment_on_view_column(v: View, column: str, text: str | None) -> Statement:
    what = f"comment on column {v.schema}.{v.name}.{column}"
    return Statement(ddl.comment_sql("column", (v.schema, v.name, column), text, what), "comment", what)


def matview_statements(v: View) -> list[Statement]:
    out = [create_matview(v)]
    out += [ddl.create_index(v, ix) for ix in v.indexes]  # the view is empty: nothing to scan, nobody waits
    out += [ddl.comment_on_index(v, ix) for ix in v.indexes if ix.comment is not None]
    if v.comment is not None:
        out.append(comment_on_matview(v, v.comment))
    return out


