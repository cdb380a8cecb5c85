"""Model objects -> SQL statements, one function per statement kind.

Statements sqlglot models well (CREATE TABLE with its columns and constraints,
ALTER TABLE … ADD CONSTRAINT, COMMENT ON, CREATE SCHEMA, CREATE TYPE … AS ENUM)
are built as sqlglot expression trees and printed with the postgres dialect.
Statements it has no node for, or would print lossily (CREATE INDEX with
operator classes or NULLS NOT DISTINCT, CREATE EXTENSION, RLS, CREATE POLICY),
are built here as the smallest correct text, with every name quoted by
``quote_ident``.

Expressions from the spec (defaults, checks, predicates, policies) are carried
as opaque ``exp.Var`` nodes: printed exactly as written, never re-rendered.
sqlglot would otherwise rewrite ``now()`` as ``CURRENT_TIMESTAMP``, which
PostgreSQL 16+ stores differently, and the database would drift from its spec.
"""

from __future__ import annotations

from functools import lru_cache

from sqlglot import exp

from ..identifiers import quote_ident, quote_literal, quote_qualified, split_dotted
from ..model import (
    CheckConstraint,
    Column,
    EnumType,
    Extension,
    FkAction,
    ForeignKey,
    Identity,
    Index,
    NullsOrder,
    Policy,
    PolicyCommand,
    PrimaryKey,
    SERIAL_TYPES,
    SortOrder,
    Table,
    UniqueConstraint,
)
from ..relnames import qualify_relations  # a subquery's tables, in the policy's schema
from .statements import Statement
from .storage import with_clause
from .verify import Expect, checked, flat

DIALECT = "postgres"


def _ident(name: str) -> exp.Identifier:
    text = quote_ident(name)
    return exp.Identifier(this=name, quoted=text != name)


def _table(schema: str, name: str) -> exp.Table:
    return exp.Table(this=_ident(name), db=_ident(schema))


def _raw(text: str) -> exp.Var:
    """SQL text already checked to be one expression (see ``expressions``), on one line."""
    return exp.Var(this=flat(text))


def _type(type_text: str) -> exp.DataType:
    """The canonical type text, printed verbatim."""
    return exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=type_text)


def _sql(node: exp.Expression, pretty: bool = False) -> str:
    return node.sql(dialect=DIALECT, pretty=pretty)


# -- columns and constraints --------------------------------------------------

def column_def(col: Column) -> exp.ColumnDef:
    constraints = []
    if col.collation:
        constraints.append(exp.ColumnConstraint(kind=exp.CollateColumnConstraint(this=_ident(col.collation))))
    if col.identity is not None:
        constraints.append(exp.ColumnConstraint(
            kind=exp.GeneratedAsIdentityColumnConstraint(this=col.identity is Identity.ALWAYS)))
    if col.generated is not None:
        constraints.append(exp.ColumnConstraint(kind=exp.ComputedColumnConstraint(
            this=exp.Paren(this=_raw(col.generated)), persisted=True)))
    if col.default is not None and not col.serial:
        constraints.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=_raw(col.default))))
    if not col.nullable:
        constraints.append(exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
    # A serial column is written as PostgreSQL's own shorthand, which creates the
    # sequence <table>_<column>_seq, the nextval() default and OWNED BY in one go.
    type_text = SERIAL_TYPES[col.type] if col.serial else col.type
    return exp.ColumnDef(this=_ident(col.name), kind=_type(type_text), constraints=constraints)


def _columns(names) -> list[exp.Identifier]:
    return [_ident(n) for n in names]


def primary_key_node(pk: PrimaryKey) -> exp.Constraint:
    return exp.Constraint(this=_ident(pk.name), expressions=[exp.PrimaryKey(expressions=_columns(pk.columns))])


def _deferrable(deferrable: bool, initially_deferred: bool) -> list[exp.Var]:
    options = []
    if deferrable:
        options.append(exp.Var(this="DEFERRABLE"))
        if initially_deferred:
            options.append(exp.Var(this="INITIALLY DEFERRED"))
    return options


def unique_node(u: UniqueConstraint) -> exp.Constraint:
    node = exp.UniqueColumnConstraint(
        this=exp.Schema(expressions=_columns(u.columns)),
        nulls=u.nulls_not_distinct or None,
        options=_deferrable(u.deferrable, u.initially_deferred) or None,
    )
    return exp.Constraint(this=_ident(u.name), expressions=[node])


def check_node(c: CheckConstraint) -> exp.Constraint:
    return exp.Constraint(this=_ident(c.name), expressions=[exp.CheckColumnConstraint(this=_raw(c.expression))])


_ACTIONS = {
    FkAction.RESTRICT: "RESTRICT", FkAction.CASCADE: "CASCADE", FkAction.SET_NULL: "SET NULL",
    FkAction.SET_DEFAULT: "SET DEFAULT",
}


def foreign_key_node(fk: ForeignKey) -> exp.Constraint:
    options = []
    if fk.on_delete is not FkAction.NO_ACTION:
        options.append(f"ON DELETE {_ACTIONS[fk.on_delete]}")
    if fk.on_update is not FkAction.NO_ACTION:
        options.append(f"ON UPDATE {_ACTIONS[fk.on_update]}")
    options += [v.this for v in _deferrable(fk.deferrable, fk.initially_deferred)]
    reference = exp.Reference(
        this=exp.Schema(this=_table(fk.ref_table.schema, fk.ref_table.name), expressions=_columns(fk.ref_columns)),
        options=options or None,
    )
    return exp.Constraint(this=_ident(fk.name),
                          expressions=[exp.ForeignKey(expressions=_columns(fk.columns), reference=reference)])


# -- statements ---------------------------------------------------------------

def create_extension(x: Extension) -> Statement:
    sql = f"CREATE EXTENSION IF NOT EXISTS {quote_ident(x.name)}"
    if x.schema:
        sql += f" WITH SCHEMA {quote_ident(x.schema)}"
    what = f"extension {x.name}"
    return Statement(checked(sql, Expect("CreateExtensionStmt", (x.name,), what)), "create_extension", what)


def create_schema(name: str) -> Statement:
    what = f"schema {name}"
    sql = _sql(exp.Create(this=_ident(name), kind="SCHEMA"))
    return Statement(checked(sql, Expect("CreateSchemaStmt", (name,), what)), "create_schema", what)


def create_enum(e: EnumType) -> Statement:
    # Labels are literals: written by quote_literal, never by a printer's own escaping.
    sql = f"CREATE TYPE {quote_qualified(e.schema, e.name)} AS ENUM (" + ", ".join(map(quote_literal, e.values)) + ")"
    what = f"type {e.schema}.{e.name}"
    return Statement(checked(sql, Expect("CreateEnumStmt", (e.schema, e.name), what)), "create_enum", what)


@lru_cache(maxsize=8192)
def _column_sql(col: Column) -> str:
    # The same column (id uuid, created_at timestamptz NOT NULL DEFAULT now()) recurs in
    # table after table: printed once by sqlglot, not once per table.
    return _sql(column_def(col))


def create_table(t: Table, inline_fks: list[ForeignKey]) -> Statement:
    columns = [_column_sql(c) for c in t.columns]
    elements: list[exp.Expression] = []
    if t.primary_key:
        elements.append(primary_key_node(t.primary_key))
    elements += [unique_node(u) for u in t.uniques]
    elements += [check_node(c) for c in t.checks]
    elements += [foreign_key_node(k) for k in inline_fks]
    what = f"table {t.schema}.{t.name}"
    # A key's storage parameters go right after its column list (before DEFERRABLE): a
    # clause of its own, the allowlist's text (compile.storage), never sqlglot's.
    keyed = ([t.primary_key] if t.primary_key else []) + list(t.uniques)
    # One element per line: each element is printed by sqlglot; only the
    # layout is ours (sqlglot's pretty mode splits column lists over lines).
    head = _sql(exp.Create(this=_table(t.schema, t.name), kind="TABLE"))
    if t.unlogged:
        head = head.replace("CREATE TABLE ", "CREATE UNLOGGED TABLE ", 1)
    pieces = columns + [_keyed_sql(e, keyed[i].storage if i < len(keyed) else (), what)
                        for i, e in enumerate(elements)]
    options = with_clause("heap", t.storage, what)
    # Checked on one line, with one table element per piece (so no separator stands
    # inside a literal); printed with a line per element when nothing was rewritten.
    # The pieces hold no line break (expressions are flattened), so the two
    # spellings are the same tokens. A table may have no columns: ``CREATE TABLE t ()``.
    one_line = f"{head} ({', '.join(pieces)}){options}"
    sql = checked(one_line, Expect("CreateStmt", (t.schema, t.name), what, elements=len(pieces)))
    if sql == one_line and pieces and not any("\n" in p for p in pieces):
        sql = f"{head} (\n" + ",\n".join("  " + p for p in pieces) + f"\n){options}"
    return Statement(sql, "create_table", what)


def _keyed_sql(node: exp.Expression, storage, what: str) -> str:
    text = _sql(node)
    if not storage:
        return text
    clause = with_clause("btree", storage, what)
    cut = text.index(")", text.index("(")) + 1  # the end of the key's column list
    return text[:cut] + clause + text[cut:]


def add_foreign_key(t: Table, fk: ForeignKey) -> Statement:
    node = exp.Alter(this=_table(t.schema, t.name), kind="TABLE",
                     actions=[exp.AddConstraint(expressions=[foreign_key_node(fk)])])
    what = f"foreign key {fk.name} on {t.schema}.{t.name}"
    return Statement(checked(_sql(node), Expect("AlterTableStmt", (t.schema, t.name), what)), "add_foreign_key", what)


def create_index(t: Table, ix: Index) -> Statement:
    keys = []
    for e in ix.elements:
        key = quote_ident(e.column) if e.column is not None else f"({flat(e.expression)})"
        if e.collation:
            key += f" COLLATE {quote_ident(e.collation)}"
        if e.opclass:  # a name, [schema.]opclass, checked by the loader
            key += " " + ".".join(quote_ident(part) for part in split_dotted(e.opclass))
        if e.order is SortOrder.DESC:
            key += " DESC"
        if e.nulls is NullsOrder.FIRST:
            key += " NULLS FIRST"
        elif e.nulls is NullsOrder.LAST:
            key += " NULLS LAST"
        keys.append(key)
    sql = "CREATE UNIQUE INDEX " if ix.unique else "CREATE INDEX "
    sql += f"{quote_ident(ix.name)} ON {quote_qualified(t.schema, t.name)}"
    if ix.method != "btree":
        sql += f" USING {ix.method}"
    sql += " (" + ", ".join(keys) + ")"
    if ix.include:
        sql += " INCLUDE (" + ", ".join(quote_ident(c) for c in ix.include) + ")"
    if ix.nulls_not_distinct:
        sql += " NULLS NOT DISTINCT"
    what = f"index {t.schema}.{ix.name}"
    sql += with_clause(ix.method, ix.storage, what)
    if ix.where is not None:
        sql += f" WHERE {flat(ix.where)}"
    return Statement(checked(sql, Expect("IndexStmt", (t.schema, t.name, ix.name), what)), "create_index", what)


def enable_rls(t: Table) -> Statement:
    what = f"row level security on {t.schema}.{t.name}"
    sql = f"ALTER TABLE {quote_qualified(t.schema, t.name)} ENABLE ROW LEVEL SECURITY"
    return Statement(checked(sql, Expect("AlterTableStmt", (t.schema, t.name), what)), "enable_rls", what)


def force_rls(t: Table) -> Statement:
    what = f"forced row level security on {t.schema}.{t.name}"
    sql = f"ALTER TABLE {quote_qualified(t.schema, t.name)} FORCE ROW LEVEL SECURITY"
    return Statement(checked(sql, Expect("AlterTableStmt", (t.schema, t.name), what)), "force_rls", what)


def create_policy(t: Table, p: Policy) -> Statement:
    sql = f"CREATE POLICY {quote_ident(p.name)} ON {quote_qualified(t.schema, t.name)}"
    if not p.permissive:
        sql += " AS RESTRICTIVE"
    if p.command is not PolicyCommand.ALL:
        sql += f" FOR {p.command.value.upper()}"
    roles = ", ".join("PUBLIC" if r == "public" else quote_ident(r) for r in p.roles)
    if roles != "PUBLIC":
        sql += f" TO {roles}"
    if p.using is not None:
        sql += f" USING ({flat(qualify_relations(p.using, t.schema))})"
    if p.with_check is not None:
        sql += f" WITH CHECK ({flat(qualify_relations(p.with_check, t.schema))})"
    what = f"policy {p.name} on {t.schema}.{t.name}"
    return Statement(checked(sql, Expect("CreatePolicyStmt", (t.schema, t.name, p.name), what)), "create_policy", what)


# COMMENT ON CONSTRAINT / POLICY / TRIGGER name ON schema.table: the parser's object types.
_MEMBER_OBJTYPES = {"constraint": "OBJECT_TABCONSTRAINT", "policy": "OBJECT_POLICY", "trigger": "OBJECT_TRIGGER"}


def comment_objtype(kind: str) -> str:
    """The parser's ``objtype`` of ``COMMENT ON <kind>``."""
    if kind in _MEMBER_OBJTYPES:
        return _MEMBER_OBJTYPES[kind]
    return "OBJECT_MATVIEW" if kind == "materialized view" else "OBJECT_" + kind.upper()


def comment_sql(kind: str, parts: tuple[str, ...], text: str | None, what: str) -> str:
    """``COMMENT ON kind a.b[.c] IS 'text'`` (or ``IS NULL``): the text a literal by
    ``quote_literal``, the object its quoted name parts; checked like every statement.
    A constraint, policy or trigger is ``(schema, table, name)``:
    ``COMMENT ON CONSTRAINT name ON schema.table``."""
    literal = "NULL" if text is None else quote_literal(text)
    if kind in _MEMBER_OBJTYPES:
        schema, table, name = parts
        target = f"{quote_ident(name)} ON {quote_ident(schema)}.{quote_ident(table)}"
    else:
        target = ".".join(quote_ident(p) for p in parts)
    return checked(f"COMMENT ON {kind.upper()} {target} IS {literal}",
                   Expect("CommentStmt", (comment_objtype(kind), *parts), what))


def comment_on_member(t: Table, kind: str, name: str, text: str) -> Statement:
    """The comment on a constraint, policy or trigger ``name`` of ``t``."""
    what = f"comment on {kind} {name} on {t.schema}.{t.name}"
    return Statement(comment_sql(kind, (t.schema, t.name, name), text, what), "comment", what)


def member_comments(t: Table) -> list[tuple[str, str, Statement]]:
    """(kind, detail, statement) for the comments on ``t``'s keys, checks, foreign keys,
    policies and triggers, in that order."""
    keys = ((t.primary_key,) if t.primary_key is not None else ()) + t.uniques + t.checks + t.foreign_keys
    members = [("constraint", x) for x in keys] + [("policy", p) for p in t.policies] + \
              [("trigger", tr) for tr in t.triggers]
    return [("comment", f"comment on {kind} {x.name}", comment_on_member(t, kind, x.name, x.comment))
            for kind, x in members if x.comment is not None]


def _comment(kind: str, parts: tuple[str, ...], text: str, obj: str) -> Statement:
    return Statement(comment_sql(kind, parts, text, obj), "comment", obj)


def comment_on_table(t: Table) -> Statement:
    return _comment("table", (t.schema, t.name), t.comment or "", f"comment on table {t.schema}.{t.name}")


def comment_on_column(t: Table, c: Column) -> Statement:
    return _comment("column", (t.schema, t.name, c.name), c.comment or "",
                    f"comment on column {t.schema}.{t.name}.{c.name}")


def comment_on_index(t: Table, ix: Index) -> Statement:
    return _comment("index", (t.schema, ix.name), ix.comment or "", f"comment on index {t.schema}.{ix.name}")


def comment_on_type(e: EnumType) -> Statement:
    return _comment("type", (e.schema, e.name), e.comment or "", f"comment on type {e.schema}.{e.name}")
