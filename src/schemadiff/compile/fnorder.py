"""Where the spec's functions go among the tables and views that call them.

A CREATE TABLE holds its columns' defaults and generated expressions and its
CHECKs: a spec function they call must exist before it. A view's query is
checked when it is created: a function it calls must exist before the view. A
SQL function's body is checked when it is created (``check_function_bodies``):
a function that reads a table or a view must come after it. So three places:

1. before the tables: the functions a table's default, generated column or
   CHECK calls (such a function, if written in SQL, cannot read a spec table:
   its body is checked before the table exists; write it in PL/pgSQL, whose
   body is checked when it runs);
2. after the tables, before the views: the functions a view's query, or a
   materialized view's index (built with it), calls;
3. after the views: every other function (trigger functions, those called by
   policies and indexes only, those reading views), before the indexes,
   policies and triggers that use them.

A call matches by schema and name (every overload of a called name moves).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..model import Function, Table, View
from ..speccalls import called, called_in_text

BEFORE_TABLES, BEFORE_VIEWS, AFTER_VIEWS = "before tables", "before views", "after views"


def _table_calls(tables: Iterable[Table], functions) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for t in tables:
        for col in t.columns:
            out.update(called_in_text(col.default, functions))
            out.update(called_in_text(col.generated, functions))
        for x in t.checks:
            out.update(called_in_text(x.expression, functions))
    return out


def _view_calls(views: Iterable[View], functions) -> set[tuple[str, str]]:
    from pglast.parser import ParseError, parse_sql_json

    out: set[tuple[str, str]] = set()
    for v in views:
        try:
            tree = json.loads(parse_sql_json(v.query))
        except ParseError:
            continue
        out.update(called(tree, functions))
        for index in v.indexes:  # a materialized view's indexes are built with it
            out.update(called_in_text(index.where, functions))
            for element in index.elements:
                out.update(called_in_text(element.expression, functions))
    return out


def place(functions: Iterable[Function], tables: Iterable[Table], views: Iterable[View]) -> dict[str, list[Function]]:
    """The functions in each of the three places, each list in the given order."""
    functions = list(functions)
    early = _table_calls(tables, functions)
    middle = _view_calls(views, functions) - early
    out: dict[str, list[Function]] = {BEFORE_TABLES: [], BEFORE_VIEWS: [], AFTER_VIEWS: []}
    for fn in functions:
        key = (fn.schema, fn.name)
        out[BEFORE_TABLES if key in early else BEFORE_VIEWS if key in middle else AFTER_VIEWS].append(fn)
    return out
