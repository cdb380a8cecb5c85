"""``import`` writes expressions as people write them — where the server agrees.

The server prints what it stored: ``total >= (0)::numeric``, a policy over three
lines with ``customers.id``, ``FROM public.customers`` and
``current_setting('app.tenant'::text)``. A person writes ``total >= 0`` and
``customer_id IN (SELECT id FROM customers WHERE tenant_id =
current_setting('app.tenant')::uuid)``. For each expression of an imported
table this module proposes such a spelling, on one line:

* a cast of a constant goes: ``(0)::numeric`` -> ``0``, ``'x'::text`` -> ``'x'``,
  and so does a column's cast to ``text`` (``(name)::text`` of a varchar column);
  the server adds them back where the types ask for it;
* a column qualified with the only table of its subquery (or, outside
  subqueries, with the expression's own table) loses the qualification;
* a table in the expression's own table's schema loses the schema (the probes
  and the compiler put it back: ``relnames``);
* casts are written ``x::type``, and the server's extra parentheses go.

and keeps it only when the server, given the proposal (``converge``'s probes,
in one rolled-back batch: a temporary copy of the table, nothing real touched),
stores exactly the text it stores for the original. Otherwise the expression
stays as ``readable`` writes it. So the import's round trip stays exact: the
database plans to nothing against the spec written from it.

Types get their short spellings where the loader reads them back to the same
type: ``varchar(120)``, ``char(2)``, ``timestamptz``, ``timestamp``, ``timetz``,
``time``, ``varbit(n)`` (``short_type``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

import psycopg
from pglast import ast
from pglast.stream import RawStream

from ..expressions import ExpressionError, parse_expression, target_node
from ..model import Schema, Table
from ..normalize import TypeError_, canonical_builtin_type, strip_outer_parens
from ..readable import changed, readable_schema
from . import probepool, sandbox, standins
from .converge import _Answers, _batch, _ServerProbe
from .shapes import Shapes

# format_type() text -> what people write (the loader reads each back to the same type)
_SHORT = [
    (re.compile(r"^character varying(\(\d+\))?(\[\])?$"), r"varchar\1\2"),
    (re.compile(r"^character(\(\d+\))?(\[\])?$"), r"char\1\2"),
    (re.compile(r"^timestamp(\(\d\))? with time zone(\[\])?$"), r"timestamptz\1\2"),
    (re.compile(r"^timestamp(\(\d\))? without time zone(\[\])?$"), r"timestamp\1\2"),
    (re.compile(r"^time(\(\d\))? with time zone(\[\])?$"), r"timetz\1\2"),
    (re.compile(r"^time(\(\d\))? without time zone(\[\])?$"), r"time\1\2"),
    (re.compile(r"^bit varying(\(\d+\))?(\[\])?$"), r"varbit\1\2"),
]


def short_type(type_text: str) -> str:
    """``character varying(120)`` -> ``varchar(120)``, when the loader's canonical
    text of the short spelling is the original; else the original."""
    for pattern, repl in _SHORT:
        if pattern.match(type_text):
            short = pattern.sub(repl, type_text)
            try:
                builtin, _ = canonical_builtin_type(short)
            except TypeError_:
                return type_text
            return short if builtin == type_text else type_text
    return type_text


class _People(RawStream):
    """pglast's printer, with casts written ``x::type`` as people write them."""

    def print_node(self, node, is_name=False, is_symbol=False):
        if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Boolean):
            self.write("true" if node.val.boolval else "false")  # as the server and people write them
            self.separator()
            return
        if isinstance(node, ast.TypeCast) and not is_name:
            arg = node.arg
            bare = isinstance(arg, (ast.ColumnRef, ast.FuncCall, ast.TypeCast, ast.SubLink)) or (
                isinstance(arg, ast.A_Const) and not _negative(arg))
            if bare:
                super().print_node(arg)
            else:
                self.write("(")
                super().print_node(arg)
                self.write(")")
            self.write("::")
            super().print_node(node.typeName)
            return
        super().print_node(node, is_name, is_symbol)


def _negative(const: ast.A_Const) -> bool:
    val = const.val
    if isinstance(val, ast.Integer):
        return val.ival < 0
    if isinstance(val, ast.Float):
        return val.fval.startswith("-")
    return False


class _Simplifier:
    def __init__(self, table: Table):
        self.table = table

    def visit(self, node, qualifier: str | None):
        """``qualifier``: the name columns of the current scope may drop (the only
        table of a subquery, or the expression's own table at the top)."""
        if isinstance(node, (list, tuple)):
            return type(node)(self.visit(n, qualifier) for n in node)
        if not isinstance(node, ast.Node):
            return node
        if isinstance(node, ast.SelectStmt):
            return self.select(node)
        if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const) and not node.arg.isnull:
            return node.arg
        if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.ColumnRef) \
                and tuple(n.sval for n in node.typeName.names)[-1:] == ("text",) and not node.typeName.arrayBounds:
            return self.visit(node.arg, qualifier)  # varchar compared with text: the server adds it back
        if isinstance(node, ast.ColumnRef) and qualifier is not None and len(node.fields) == 2 \
                and isinstance(node.fields[0], ast.String) and node.fields[0].sval == qualifier \
                and isinstance(node.fields[1], ast.String):
            return ast.ColumnRef(fields=(node.fields[1],))
        if isinstance(node, ast.RangeVar) and node.schemaname == self.table.schema:
            node.schemaname = None
            return node
        for attr in node:
            value = getattr(node, attr)
            if isinstance(value, (ast.Node, tuple, list)):
                setattr(node, attr, self.visit(value, qualifier))
        return node

    def select(self, node: ast.SelectStmt):
        inner = None
        from_ = node.fromClause or ()
        if len(from_) == 1 and isinstance(from_[0], ast.RangeVar):
            rv = from_[0]
            inner = rv.alias.aliasname if rv.alias is not None else rv.relname
        for attr in node:
            value = getattr(node, attr)
            if isinstance(value, (ast.Node, tuple, list)):
                setattr(node, attr, self.visit(value, inner))
        return node


def proposal(text: str | None, table: Table) -> str | None:
    """The people's spelling of ``text`` (unverified), or None when it is the same.
    Cached: a schema repeats its defaults and policies from table to table, and
    the result depends on the table only through its schema, and its name where
    the text holds it."""
    if text is None:
        return None
    return _proposal(text, table.schema, table.name if table.name in text else None)


@lru_cache(maxsize=65536)
def _proposal(text: str, schema: str, name: str | None) -> str | None:
    per = _SHAPES.get((schema, name))
    if per is None:
        per = _SHAPES[(schema, name)] = Shapes(lambda t: _spelling(t, schema, name))
    out = per(text)  # ``_spelling``, once per expression shape: ``shapes``
    if out is None or out == text:
        return None
    try:  # what goes into a probe statement is exactly one expression, as the loader requires of a spec's
        parse_expression(out)
    except ExpressionError:
        return None
    return out


_SHAPES: dict[tuple[str, str | None], Shapes] = {}


def _spelling(text: str, schema: str, name: str | None) -> str | None:
    """``text`` simplified and printed the people's way; None when pglast cannot read or print it."""
    table = Table(schema=schema, name=name if name is not None else "", columns=())
    node = target_node(text)
    if node is None:
        return None
    try:
        new = _Simplifier(table).visit(node, table.name)
        return strip_outer_parens(_People()(new))
    except Exception:  # noqa: BLE001 - a tree pglast cannot print is simply left as it is
        return None


def people_schema(conn: psycopg.Connection, schema: Schema) -> Schema:
    """``schema`` (as introspected) with each expression in the people's spelling the
    server verifies, else ``readable``'s; column types in their short spellings."""
    base = readable_schema(schema)
    originals = {t.qualified: t for t in schema.tables}
    # What to ask: ((kind, table, column, proposal), the original text it must store as, key).
    asks: list[tuple[tuple, str, tuple]] = []
    proposals: dict[tuple, str] = {}

    def propose(kind: str, t: Table, column: str | None, shown: str | None, original: str | None, key: tuple):
        p = proposal(shown, t) if shown is not None else None
        if p is not None and original is not None:
            asks.append(((kind, t, column, p), original, key))
            proposals[key] = p

    for t in base.tables:
        o = originals[t.qualified]
        ocols = {c.name: c for c in o.columns}
        for c in t.columns:
            if not c.serial:
                propose("default", t, c.name, c.default, ocols[c.name].default, ("default", t.qualified, c.name))
            propose("generated", t, c.name, c.generated, ocols[c.name].generated, ("generated", t.qualified, c.name))
        ochecks = {x.name: x for x in o.checks}
        for x in t.checks:
            propose("check", t, None, x.expression, ochecks[x.name].expression, ("check", t.qualified, x.name))
        oix = {ix.name: ix for ix in o.indexes}
        for ix in t.indexes:
            propose("predicate", t, None, ix.where, oix[ix.name].where, ("where", t.qualified, ix.name))
            for n, e in enumerate(ix.elements):
                propose("element", t, None, e.expression, oix[ix.name].elements[n].expression,
                        ("element", t.qualified, ix.name, n))
        opol = {p.name: p for p in o.policies}
        for p in t.policies:
            propose("policy", t, None, p.using, opol[p.name].using, ("using", t.qualified, p.name))
            propose("policy", t, None, p.with_check, opol[p.name].with_check, ("with_check", t.qualified, p.name))
    accepted: set[tuple] = set()
    if asks:
        accepted = _verify(conn, asks, schema.functions)

    def pick(key: tuple, current: str | None) -> str | None:
        return proposals[key] if key in accepted else current

    tables = []
    for t in base.tables:
        q = t.qualified
        tables.append(changed(
            t,
            columns=tuple(changed(c, type=short_type(c.type),
                                  default=pick(("default", q, c.name), c.default),
                                  generated=pick(("generated", q, c.name), c.generated)) for c in t.columns),
            checks=tuple(changed(x, expression=pick(("check", q, x.name), x.expression)) for x in t.checks),
            indexes=tuple(changed(ix, where=pick(("where", q, ix.name), ix.where),
                                  elements=tuple(changed(e, expression=pick(("element", q, ix.name, n), e.expression))
                                                 for n, e in enumerate(ix.elements)))
                          for ix in t.indexes),
            policies=tuple(changed(p, using=pick(("using", q, p.name), p.using),
                                   with_check=pick(("with_check", q, p.name), p.with_check))
                           for p in t.policies)))
    return replace(base, tables=tuple(tables))


def _verify(conn: psycopg.Connection, asks: list[tuple[tuple, str, tuple]], functions=()) -> set[tuple]:
    """The keys of the proposals the server stores exactly as their originals. ``functions``:
    the imported functions, called through stand-ins (``standins``: never their bodies)."""
    conn.autocommit = False
    accepted: set[tuple] = set()
    try:
        sandbox.pin(conn)
        requests = list({(k, t.qualified, col, text): (k, t, col, text) for (k, t, col, text), _, _ in asks}.values())
        standin = standins.Session(conn, functions)
        shared, back = probepool.pooled(requests)  # fewer temporary copies: ``probepool``
        batch = _batch(conn, shared, standin)
        if not batch and probepool.copies(shared) > probepool.CHUNK:
            # Failed whole, perhaps out of lock slots: again in parts, each its own savepoint.
            # What a part cannot answer is asked one by one below, as the whole batch's was.
            for part in probepool.chunks(shared):
                batch.update(_batch(conn, part, standin))
        answers = _Answers(probepool.answers_for(batch, back), _ServerProbe(conn, standin))
        for (kind, t, column, text), original, key in asks:
            method = getattr(answers, kind)
            stored = method(t, column, text) if kind in ("default", "generated") else method(t, text)
            if stored is not None and stored == original:
                accepted.add(key)
    finally:
        conn.rollback()
        conn.autocommit = True
    return accepted
