"""The parts of a view file beyond its query: comments on its columns (any view)
and the indexes of a materialized view.

Column names are identifiers (quoted by the compiler); the columns a query
outputs are read from its parse tree where each output has a name the parser
knows (an alias, or a column reference); a name the query does not output is
an error with its line. An index is written with a table's syntax and its
expressions and predicates are judged like a table index's (immutable
functions only); its keys must be columns the query outputs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pglast.parser import ParseError, parse_sql_json

from ..funcpolicy import catalog_opclasses
from ..model import Index, IndexElement, NullsOrder, SortOrder
from .context import FileContext
from .resolve import ResolveError, Resolver, check_identifier

if TYPE_CHECKING:
    from . import format as f


def output_columns(query: str) -> list[str] | None:
    """The names of the columns ``query`` outputs, in order; None when one of them
    has a name only the server can tell (``count(*)`` without an alias) or the query
    is a set operation."""
    try:
        stmts = json.loads(parse_sql_json(query)).get("stmts") or []
        select = stmts[0]["stmt"]["SelectStmt"]
    except (ParseError, KeyError, IndexError, TypeError):
        return None
    names = []
    for target in select.get("targetList") or []:
        res = (target or {}).get("ResTarget") or {}
        if res.get("name"):
            names.append(res["name"])
            continue
        fields = ((res.get("val") or {}).get("ColumnRef") or {}).get("fields") or []
        last = fields[-1] if fields else {}
        if not isinstance(last, dict) or "String" not in last:
            return None
        names.append(last["String"].get("sval", ""))
    return names or None


def column_comments(spec: f.ViewSpec, ctx: FileContext, where: str, outputs: list[str] | None
                    ) -> tuple[tuple[str, str], ...] | None:
    ok = True
    out = []
    for name, col in spec.columns.items():
        try:
            check_identifier(name, "column name")
        except ResolveError as exc:
            ctx.error(("columns", name), str(exc), where, exc.hint, key=True)
            ok = False
            continue
        if outputs is not None and name not in outputs:
            ctx.error(("columns", name), f"the query has no output column {name!r}", where,
                      f"its columns: {', '.join(outputs)}", key=True)
            ok = False
            continue
        out.append((name, col.comment))
    return tuple(sorted(out)) if ok else None


def matview_indexes(spec: f.ViewSpec, ctx: FileContext, where: str, resolver: Resolver,
                    outputs: list[str] | None) -> tuple[Index, ...] | None:
    from . import format as f

    ok = True
    out: list[Index] = []

    def known(name: str, path: tuple) -> bool:
        nonlocal ok
        try:
            check_identifier(name, "column name")
        except ResolveError as exc:
            ctx.error(path, str(exc), where, exc.hint)
            ok = False
            return False
        if outputs is not None and name not in outputs:
            ctx.error(path, f"the query has no output column {name!r}", where, f"its columns: {', '.join(outputs)}")
            ok = False
            return False
        return True

    def expression(text: str, path: tuple, what: str) -> bool:
        nonlocal ok
        try:
            parsed = resolver.expression(text, what=what, context="index")
            resolver.check_columns(parsed, outputs if outputs is not None else _Anything(), spec.view, what=what)
        except ResolveError as exc:
            ctx.error(path, str(exc), where, exc.hint)
            ok = False
            return False
        return True

    for name, raw in spec.indexes.items():
        path = ("indexes", name)
        try:
            check_identifier(name, "index name")
        except ResolveError as exc:
            ctx.error(path, str(exc), where, exc.hint, key=True)
            ok = False
            continue
        ix = raw if isinstance(raw, f.IndexSpec) else f.IndexSpec(columns=raw)
        cols_path = path + (("columns",) if isinstance(raw, f.IndexSpec) else ())
        if ix.storage is not None:
            ctx.error(path + ("storage",), "storage parameters of a materialized view's index are not written yet",
                      where, "leave `storage` out; set them by hand after apply if you need them")
            ok = False
        elements = []
        for i, key in enumerate(ix.columns):
            kpath = cols_path + (i,)
            k = key if isinstance(key, f.IndexColumnSpec) else f.IndexColumnSpec(column=key)
            if (k.column is None) == (k.expression is None):
                ctx.error(kpath, "an index key has either `column` or `expression`", where)
                ok = False
                continue
            if k.column is not None and not known(k.column, kpath):
                continue
            if k.expression is not None and not expression(k.expression, kpath + ("expression",),
                                                             "index expression"):
                continue
            if k.opclass and "." not in k.opclass:
                if k.opclass not in catalog_opclasses():
                    ctx.error(kpath + ("opclass",), f"operator class {k.opclass!r} is not one of pg_catalog's", where)
                    ok = False
                    continue
            nulls = NullsOrder(k.nulls) if k.nulls else None
            order = SortOrder(k.order)
            if (order is SortOrder.ASC and nulls is NullsOrder.LAST) or (
                    order is SortOrder.DESC and nulls is NullsOrder.FIRST):
                nulls = None
            elements.append(IndexElement(k.column, k.expression, order, nulls, k.opclass, k.collation))
        if ix.where is not None:
            expression(ix.where, path + ("where",), "index predicate")
        for i, col in enumerate(ix.include):
            known(col, path + ("include", i))
        if ix.nulls_not_distinct and not ix.unique:
            ctx.error(path + ("nulls_not_distinct",), "nulls_not_distinct applies to unique indexes only", where)
            ok = False
        if ix.method != "btree" and any(e.order is SortOrder.DESC or e.nulls for e in elements):
            ctx.error(path, f"a {ix.method} index has no sort order", where)
            ok = False
        out.append(Index(name, tuple(elements), ix.unique, ix.method, ix.where, tuple(ix.include),
                         ix.nulls_not_distinct, ix.comment))
    return tuple(sorted(out, key=lambda i: i.name)) if ok else None


class _Anything(list):
    """Every column name counts as known (the query's outputs could not be read)."""

    def __contains__(self, item) -> bool:
        return True



def check_view_names(views, contexts: dict, tables, sequences, enums) -> None:
    """A view's name and a materialized view's index names share the schema's
    namespace with tables, their indexes, key indexes and serial sequences,
    sequences, types and the other views: a clash is an error at its line (the
    server would refuse the second CREATE halfway through the migration). A view
    named like a table is reported by the loader already."""
    from ..normalize import serial_sequence

    held: dict[tuple[str, str], str] = {}
    for t in tables:
        where = f"of table {t.schema}.{t.name}"
        names = [(ix.name, f"index {ix.name} {where}") for ix in t.indexes]
        names += [(u.name, f"the index of unique constraint {u.name} {where}") for u in t.uniques]
        if t.primary_key is not None:
            names.append((t.primary_key.name, f"the index of primary key {t.primary_key.name} {where}"))
        names += [(serial_sequence(t.name, col.name), f"the sequence of serial column {col.name} {where}")
                  for col in t.columns if col.serial]
        for name, what in names:
            held.setdefault((t.schema, name), what)
    for s in sequences:
        held.setdefault((s.schema, s.name), f"sequence {s.schema}.{s.name}")
    for e in enums:
        held.setdefault((e.schema, e.name), f"enum type {e.schema}.{e.name}")
    for v in views:
        ctx = contexts[v.qualified]
        mine = [(v.name, ("view",), f"{v.kind} {v.qualified}")]
        mine += [(ix.name, ("indexes", ix.name), f"index {ix.name} of {v.kind} {v.qualified}") for ix in v.indexes]
        for name, path, what in mine:
            if (v.schema, name) in held:
                ctx.error(path, f"the name {name!r} ({what}) is already used by {held[(v.schema, name)]}",
                          f"{v.kind} {v.qualified}", key=path[0] == "indexes")
            held.setdefault((v.schema, name), what)
