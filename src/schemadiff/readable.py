"""Server expression text -> the form a person writes, stable under a round trip.

PostgreSQL stores expressions as parse trees and prints them back its own way:
``x IN ('a', 'b')`` becomes ``x = ANY (ARRAY['a'::text, 'b'::text])``, and for a
varchar column ``(x)::text = ANY ((ARRAY['a'::character varying])::text[])`` —
text which, applied again, is stored as yet another form. ``import`` therefore
writes expressions back in the form a person would have written, which the
server stores exactly as it stored the original: the round trip reaches a fixed
point instead of drifting (the "perpetual diff" of other tools).

The rewrites are few and only fire on the exact shapes the server produces,
with the column's type known:
- ``col = ANY (ARRAY[c1, c2])`` (with the server's casts) -> ``col IN (c1, c2)``;
- ``col = 'x'::T`` with T the column's type -> ``col = 'x'``;
- a default ``'x'::T`` with T the column's type -> ``'x'``.
Anything else is left exactly as the server printed it.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from pglast import ast
from pglast.enums import A_Expr_Kind
from pglast.stream import RawStream

from .expressions import ExpressionError, parse_expression, references, target_node
from .model import Schema, Table
from .normalize import TypeError_, canonical_builtin_type, strip_outer_parens

_TYPMOD = re.compile(r"\(\d+(,\d+)?\)")
_CHAR_FAMILY = ("character varying", "character", "bpchar", "text")


def _base(type_text: str) -> str:
    return _TYPMOD.sub("", type_text)


def _type_name_key(type_name) -> tuple | None:
    """A hashable key for a plain type name (names, integer modifiers, array
    bounds), or None when it holds anything else."""
    try:
        mods = tuple(m.val.ival for m in type_name.typmods or ())
        bounds = tuple(b.ival for b in type_name.arrayBounds or ())
        return (tuple(n.sval for n in type_name.names), mods, bounds, type_name.setof, type_name.pct_type)
    except AttributeError:
        return None


def _cast_type(type_name) -> str | None:
    key = _type_name_key(type_name)
    if key is None:
        return _cast_type_uncached(type_name)
    if key not in _CAST_TYPES:
        _CAST_TYPES[key] = _cast_type_uncached(type_name)
    return _CAST_TYPES[key]


_CAST_TYPES: dict[tuple, str | None] = {}  # a schema casts to the same few types


def _cast_type_uncached(type_name) -> str | None:
    try:
        text = RawStream()(type_name)
    except Exception:  # noqa: BLE001 - an unprintable type name is simply not rewritten
        return None
    try:
        builtin, _ = canonical_builtin_type(text)
    except TypeError_:
        return None
    return _base(builtin if builtin is not None else text)


def _fits(cast: str | None, column_type: str) -> bool:
    """Would the server add exactly this cast to a bare literal compared with the column?"""
    if cast is None:
        return False
    col = _base(column_type)
    if cast == col:
        return True
    return col in ("character varying", "character") and cast in ("character varying", "bpchar", "character", "text")


def _column(node, types: dict[str, str]) -> tuple[str, str, bool] | None:
    """(name, type, was cast to text) for ``col`` or ``(col)::text``."""
    cast = False
    if isinstance(node, ast.TypeCast):
        if _cast_type(node.typeName) != "text":
            return None
        node, cast = node.arg, True
    if isinstance(node, ast.ColumnRef) and len(node.fields) == 1 and isinstance(node.fields[0], ast.String):
        name = node.fields[0].sval
        if name in types:
            if cast and _base(types[name]) not in ("character varying", "character"):
                return None
            return name, types[name], cast
    return None


def _literal(node, column_type: str):
    """A bare constant for ``'x'::T`` (T fitting the column) or a plain constant."""
    if isinstance(node, ast.A_Const):
        return node
    if (isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const)
            and isinstance(node.arg.val, ast.String) and _fits(_cast_type(node.typeName), column_type)):
        return node.arg
    return None


class _Rewriter:
    def __init__(self, types: dict[str, str]):
        self.types = types
        self.changed = False

    def visit(self, node):
        if isinstance(node, tuple):
            return tuple(self.visit(n) for n in node)
        if isinstance(node, list):
            return [self.visit(n) for n in node]
        if not isinstance(node, ast.Node) or isinstance(node, ast.SubLink):
            return node  # columns inside subqueries may be other tables'
        for attr in node:
            value = getattr(node, attr)
            if isinstance(value, (ast.Node, tuple, list)):
                setattr(node, attr, self.visit(value))
        if isinstance(node, ast.A_Expr):
            return self.a_expr(node)
        return node

    def a_expr(self, node):
        op = tuple(n.sval for n in node.name or ()) if node.name else ()
        if node.kind == A_Expr_Kind.AEXPR_OP_ANY and op == ("=",):
            col = _column(node.lexpr, self.types)
            array = node.rexpr
            if col is not None and isinstance(array, ast.TypeCast):
                element = (_cast_type(array.typeName) or "").removesuffix("[]")
                if element != "text" and not _fits(element, col[1]):
                    return node
                array = array.arg
            if col is None or not isinstance(array, ast.A_ArrayExpr) or not array.elements:
                return node
            items = [_literal(e, col[1]) for e in array.elements]
            if any(i is None for i in items):
                return node
            self.changed = True
            return ast.A_Expr(kind=A_Expr_Kind.AEXPR_IN, name=(ast.String(sval="="),),
                              lexpr=ast.ColumnRef(fields=(ast.String(sval=col[0]),)), rexpr=items)
        if node.kind == A_Expr_Kind.AEXPR_OP and len(op) == 1:
            col = _column(node.lexpr, self.types)
            if col is not None and not col[2] and isinstance(node.rexpr, ast.TypeCast):
                literal = _literal(node.rexpr, col[1])
                if literal is not None:
                    self.changed = True
                    node.rexpr = literal
        return node


def _types_key(text: str, types: dict[str, str]) -> tuple | None:
    """What the rewrites of ``text`` depend on: the text and the types of the
    bare column names it uses outside subqueries (the only names the rewriters
    look up; they never enter a subquery). None when it is not one expression."""
    try:
        refs = references(parse_expression(text))
    except ExpressionError:
        return None
    used = {ref[0] for ref in refs.columns if len(ref) == 1}
    return (text, tuple(sorted((name, types[name]) for name in used if name in types)))


def _cached(cache: dict, key, compute):
    if key is None:
        return compute()
    found = cache.get(key, _MISSING)
    if found is _MISSING:
        found = cache[key] = compute()
    return found


_MISSING = object()
# Expression rewrites, by _types_key: a schema repeats its policies, defaults and checks.
_READABLE: dict[tuple, str] = {}
_READABLE_DEFAULT: dict[tuple, str] = {}
_COMPARABLE: dict[tuple, str] = {}


def readable(text: str | None, types: dict[str, str]) -> str | None:
    """The expression as a person writes it, or unchanged when no rule applies."""
    if text is None:
        return None
    if not _any_rewrite_site(text):
        return text  # what ``_readable`` returns for it, whatever the types
    return _cached(_READABLE, _types_key(text, types), lambda: _readable(text, types))


def _any_rewrite_site(text: str) -> bool:
    """Whether ``SELECT text`` (libpg_query's JSON, parsed in C, no Python nodes) holds a
    ``TypeCast`` or an ``= ANY`` anywhere: every rewrite needs one, so without either
    ``_readable`` returns the text unchanged, one expression or not. A constant that spells
    a marker is quoted in the JSON and at worst takes the full path. Unparsable: True."""
    from pglast.parser import parse_sql_json

    try:
        tree = parse_sql_json(f"SELECT {text}")
    except Exception:  # noqa: BLE001 — the full path decides
        return True
    return '"TypeCast":' in tree or '"AEXPR_OP_ANY"' in tree


def _may_rewrite(text: str) -> bool:
    """False when no rule above can fire on ``text``: each needs a cast (``TypeCast``)
    or an ``= ANY`` (``AEXPR_OP_ANY``) in the tree, seen here in libpg_query's JSON
    (parsed once per text, in C) before pglast's node objects are built."""
    try:
        tree = json.dumps(parse_expression(text).tree)
    except ExpressionError:
        return True
    return '"TypeCast"' in tree or '"AEXPR_OP_ANY"' in tree


def _readable(text: str, types: dict[str, str]) -> str:
    if not _may_rewrite(text):
        return text
    node = target_node(text)
    if node is None:
        return text
    rewriter = _Rewriter(types)
    new = rewriter.visit(node)
    if not rewriter.changed:
        return text
    return strip_outer_parens(RawStream()(new))


def readable_default(text: str | None, column_type: str) -> str | None:
    if text is None:
        return None
    return _cached(_READABLE_DEFAULT, (text, column_type), lambda: _readable_default(text, column_type))


def _readable_default(text: str, column_type: str) -> str:
    node = target_node(text)
    if node is None:
        return text
    literal = _literal(node, column_type)
    if literal is not None and literal is not node:
        return RawStream()(literal)
    return text


def changed(obj, **fields):
    """``dataclasses.replace(obj, **fields)``, or ``obj`` itself when every field already
    has that value (equal: the copy would equal it; most of an import's objects keep theirs)."""
    for name, value in fields.items():
        if getattr(obj, name) != value:
            return replace(obj, **fields)
    return obj


def readable_table(t: Table) -> Table:
    types = {c.name: c.type for c in t.columns}
    return changed(
        t,
        columns=tuple(changed(c, default=readable_default(c.default, c.type),
                              generated=readable(c.generated, types)) for c in t.columns),
        checks=tuple(changed(c, expression=readable(c.expression, types)) for c in t.checks),
        indexes=tuple(changed(ix, where=readable(ix.where, types),
                              elements=tuple(changed(e, expression=readable(e.expression, types))
                                             for e in ix.elements))
                      for ix in t.indexes),
        policies=tuple(changed(p, using=readable(p.using, types), with_check=readable(p.with_check, types))
                       for p in t.policies),
    )


def readable_schema(schema: Schema) -> Schema:
    return replace(schema, tables=tuple(readable_table(t) for t in schema.tables))


# -- comparison ---------------------------------------------------------------

_EQUIVALENT_FUNCS = {("transaction_timestamp",): ("now",), ("pg_catalog", "now"): ("now",),
                     ("pg_catalog", "transaction_timestamp"): ("now",)}


class _Canon(_Rewriter):
    """Further rewrites used only to compare: spellings PostgreSQL stores
    differently but that mean the same."""

    def visit(self, node):
        node = super().visit(node)
        if isinstance(node, ast.SQLValueFunction) and node.op.name == "SVFOP_CURRENT_TIMESTAMP" and node.typmod in (None, -1):
            return ast.FuncCall(funcname=(ast.String(sval="now"),), args=None)
        if isinstance(node, ast.FuncCall):
            name = tuple(n.sval for n in node.funcname)
            if name in _EQUIVALENT_FUNCS and not node.args:
                node.funcname = tuple(ast.String(sval=s) for s in _EQUIVALENT_FUNCS[name])
        if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP and node.name \
                and tuple(n.sval for n in node.name) == ("=",) and isinstance(node.rexpr, ast.A_Const) \
                and isinstance(node.rexpr.val, ast.Boolean) and isinstance(node.lexpr, ast.ColumnRef):
            if node.rexpr.val.boolval:
                return node.lexpr
        if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const) and isinstance(node.arg.val, ast.String):
            cast = _cast_type(node.typeName)
            if cast in ("text",):
                return node.arg
        return node


def comparable(text: str | None, types: dict[str, str]) -> str | None:
    """A spelling of ``text`` for equality tests only: parentheses, keyword case,
    the server's casts and IN/ANY forms, ``CURRENT_TIMESTAMP``/``now()`` and
    ``x = true``/``x`` do not matter.

    Cached by the text and the types of the columns it names (see _types_key)."""
    if text is None:
        return None
    return _cached(_COMPARABLE, _types_key(text, types), lambda: _comparable(text, types))


def _comparable(text: str, types: dict[str, str]) -> str:
    node = target_node(text)
    if node is None:
        return text
    if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const) and isinstance(node.arg.val, ast.String):
        node = node.arg  # a default literal's cast to the column type
    return RawStream()(_Canon(types).visit(node))
