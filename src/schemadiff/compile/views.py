"""Views -> SQL: ``CREATE VIEW s.v [WITH (…)] AS <query> [WITH … CHECK OPTION]``.

The query is the spec's text on one line (``flat``: line breaks and comments
between tokens become a space, tokens kept exactly), without a final ``;``;
every literal pinned like every statement's (``verify.checked``). The statement
is parsed back: one ``ViewStmt`` on the view, its query the one SELECT the
query alone parses to, and only the options written here.
"""

from __future__ import annotations

import json

from pglast.parser import parse_sql_json

from ..expressions import without_locations
from ..identifiers import quote_qualified
from ..model import View
from ..sqltext import flat, pin_literals
from . import ddl
from .statements import Statement
from .verify import CompileError, Expect, checked


def query_sql(view: View) -> str:
    # "\n": flat's token path always runs, so no comment survives — a trailing ``-- …``
    # on one line would swallow what a statement writes after the query (WITH NO DATA).
    return flat(view.query + "\n").rstrip().rstrip(";").rstrip()


def create_view(v: View) -> Statement:
    what = f"view {v.schema}.{v.name}"
    options = [name for name, on in (("security_invoker", v.security_invoker),
                                     ("security_barrier", v.security_barrier)) if on]
    query = query_sql(v)
    sql = f"CREATE VIEW {quote_qualified(v.schema, v.name)}"
    if options:
        sql += " WITH (" + ", ".join(f"{o} = true" for o in options) + ")"
    sql += f" AS {query}"
    if v.check_option:
        sql += f" WITH {v.check_option.upper()} CHECK OPTION"
    out = checked(sql, Expect("ViewStmt", (v.schema, v.name), what))
    node = json.loads(parse_sql_json(out))["stmts"][0]["stmt"]["ViewStmt"]
    alone = json.loads(parse_sql_json(pin_literals(query)))["stmts"]
    if (set(node) - {"view", "query", "options", "withCheckOption"} or len(alone) != 1
            or without_locations(node.get("query")) != without_locations(alone[0]["stmt"])
            or len(node.get("options") or ()) != len(options)):
        raise CompileError("CREATE VIEW does not read back as built", what)
    return Statement(out, "create_view", what)


def comment_on_view(v: View, text: str | None) -> Statement:
    what = f"comment on view {v.schema}.{v.name}"
    return Statement(ddl.comment_sql("view", (v.schema, v.name), text, what), "comment", what)


def view_statements(v: View) -> list[Statement]:
    from .matviews import comment_on_view_column, matview_statements

    if v.materialized:
        out = matview_statements(v)
    else:
        out = [create_view(v)]
        if v.comment is not None:
            out.append(comment_on_view(v, v.comment))
    out += [comment_on_view_column(v, column, text) for column, text in v.column_comments]
    return out
