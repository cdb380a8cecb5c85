"""View files -> ``model.View``, and the order views are created in.

A view lives in a YAML file of its own (``views/NAME.yaml``, any file with a
``view:`` key). Its query is one SELECT, parsed by PostgreSQL's parser: no
``INTO``, no ``FOR UPDATE``, no data-modifying statement, no parameter, no
``WITH`` (a CTE name is an unqualified relation), no ``*`` or ``t.*`` as an
output (the server stores the columns of the day: a later column would make
the spec's query differ forever; import never writes one, as
``pg_get_viewdef`` lists them), every table or view it reads
schema-qualified (its meaning must not depend on ``search_path``), and its
function calls judged like a policy's (a view's query runs for every reader).
"""

from __future__ import annotations

import heapq
import json
from typing import TYPE_CHECKING

from pglast.parser import ParseError, parse_sql_json

from ..casts import AnyType
from ..funcpolicy import judge_tree
from ..model import QualifiedName, View
from .context import FileContext
from .matviews import column_comments, matview_indexes, output_columns
from .resolve import ResolveError, Resolver, check_identifier

if TYPE_CHECKING:  # the format's models (pydantic) only name a type here: the catalog reader imports this module
    from . import format as f

_FORBIDDEN = {"InsertStmt": "an INSERT", "UpdateStmt": "an UPDATE", "DeleteStmt": "a DELETE", "MergeStmt": "a MERGE",
              "ParamRef": "a parameter", "intoClause": "INTO", "lockingClause": "FOR UPDATE/SHARE",
              "withClause": "WITH (a common table expression)"}


class _AnyFunction:
    """Every function counts as declared: ordering only needs the relations."""

    def __contains__(self, item) -> bool:
        return True

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


def _walk(tree):
    todo = [tree]
    while todo:
        value = todo.pop()
        if isinstance(value, list):
            todo.extend(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                yield key, item
                if isinstance(item, (dict, list)):
                    todo.append(item)


STAR_PROBLEM = ("the query selects `*`: the view would keep the columns of the day it is created, and every "
                "column added to its table later makes the spec's query differ from the database's")
STAR_HINT = "list the columns (`SELECT t.id, t.name FROM public.t t`); import writes them listed too"


def _star(targets) -> bool:
    """A ``*`` or ``t.*`` as an output of a SELECT (``count(*)`` and ``f(t.*)`` are not:
    the server keeps those as written, and a later column does not change them)."""
    for target in targets if isinstance(targets, list) else ():
        ref = ((target or {}).get("ResTarget") or {}).get("val", {}).get("ColumnRef") or {}
        if any(isinstance(field, dict) and "A_Star" in field for field in ref.get("fields") or ()):
            return True
    return False


def query_problem(text: str, external, casts=None, functions=()) -> tuple[str | None, set[QualifiedName]]:
    """Why ``text`` is not a query a view may hold (None when it is), and the
    relations it reads. ``casts``: the types beyond the built-in ones a cast may
    name (the spec's enums); None: casts are not judged (ordering, import)."""
    try:
        stmts = json.loads(parse_sql_json(text)).get("stmts") or []
    except ParseError as exc:
        return f"the query does not parse ({exc})", set()
    if len(stmts) != 1 or "SelectStmt" not in (stmts[0].get("stmt") or {}):
        return "the query must be exactly one SELECT", set()
    tree = stmts[0]["stmt"]["SelectStmt"]
    reads: set[QualifiedName] = set()
    for key, item in _walk(tree):
        if key == "targetList" and _star(item):
            return STAR_PROBLEM, set()
        if key in _FORBIDDEN and item:
            return f"the query holds {_FORBIDDEN[key]}, which a view of the spec may not", set()
        if key == "RangeVar" or (isinstance(item, dict) and "relname" in item and key in ("relation",)):
            rv = item
            if not rv.get("schemaname"):
                return (f"the query reads {rv.get('relname')!r} without its schema: write it schema-qualified "
                        "(`public.t`), so its meaning does not depend on search_path"), set()
            reads.add(QualifiedName(rv["schemaname"], rv["relname"]))
    problem = judge_tree(tree, "policy", external, casts=AnyType() if casts is None else casts,
                         functions=functions)
    if problem is not None:
        return f"the query {problem}", set()
    return None, reads


def build_view(spec: f.ViewSpec, ctx: FileContext, resolver: Resolver) -> tuple[View, set[QualifiedName]] | None:
    schema = spec.schema_ or resolver.default_schema
    where = f"view {schema}.{spec.view}"
    ok = True
    for value, path, what in ((spec.view, ("view",), "view name"), (schema, ("schema",), "schema name")):
        try:
            check_identifier(value, what)
        except ResolveError as exc:
            ctx.error(path, str(exc), where, exc.hint)
            ok = False
    if spec.materialized:
        where = f"materialized view {schema}.{spec.view}"
        for key in ("security_invoker", "security_barrier", "check_option"):
            if getattr(spec, key):
                ctx.error((key,), f"a materialized view has no {key}", where,
                          "its query runs as its owner at each REFRESH; leave the key out")
                ok = False
    elif spec.indexes:
        ctx.error(("indexes",), "a plain view has no indexes", where,
                  "index the tables it reads, or make it `materialized: true`", key=True)
        ok = False
    problem, reads = query_problem(spec.query, frozenset(resolver.external_functions), frozenset(resolver.enums),
                                   resolver.spec_functions)
    if problem is not None:
        ctx.error(("query",), problem, where, STAR_HINT if problem == STAR_PROBLEM else "")
        ok = False
    outputs = output_columns(spec.query) if problem is None else None
    comments = column_comments(spec, ctx, where, outputs)
    indexes = matview_indexes(spec, ctx, where, resolver, outputs) if spec.materialized else ()
    if not ok or comments is None or indexes is None:
        return None
    return View(schema=schema, name=spec.view, query=spec.query, security_invoker=spec.security_invoker,
                security_barrier=spec.security_barrier, check_option=spec.check_option,
                comment=spec.comment, materialized=spec.materialized, indexes=indexes,
                column_comments=comments), reads


def view_order(views, reads: dict[QualifiedName, set[QualifiedName]] | None = None) -> list[View]:
    """Views with every view of the spec they read before them (Kahn's algorithm,
    the smallest ready name first); views in a cycle are left out (the loader
    reports them). ``reads``: what each view reads, parsed from its query when not given."""
    if reads is None:
        reads = {v.qualified: query_problem(v.query, _AnyFunction())[1] for v in views}
    by_name = {v.qualified: v for v in views}
    waiting = {q: {r for r in reads.get(q, ()) if r in by_name and r != q} for q in by_name}
    ready = [q for q, w in waiting.items() if not w]
    heapq.heapify(ready)
    out: list[View] = []
    while ready:
        q = heapq.heappop(ready)
        out.append(by_name[q])
        for other, w in waiting.items():
            if q in w:
                w.discard(q)
                if not w:
                    heapq.heappush(ready, other)
    return out
