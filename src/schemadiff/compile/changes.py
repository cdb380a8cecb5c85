"""Allowed changes -> SQL, dispatched by change type.

Each function returns ``(phase, sql)`` pairs. Phases (see ``plan``):
``enum-values`` (committed first), ``transactional`` (one transaction),
``concurrent`` (one statement each, outside a transaction), ``validate``
(one transaction each). Recipes on existing tables: indexes CONCURRENTLY;
CHECK and FOREIGN KEY ``NOT VALID`` then ``VALIDATE``; UNIQUE as a concurrent
unique index attached ``USING INDEX``; a widened CHECK dropped and re-added
``NOT VALID`` in one statement, then validated.
"""

from __future__ import annotations

from functools import singledispatch

from sqlglot import exp

from .. import changes as c
from ..identifiers import quote_ident, quote_literal, quote_qualified
from ..model import Index, Table
from . import ddl, routines, sequences, views
from .storage import options_sql, with_clause
from .verify import CompileError, Expect, checked, statement_kind
from ..phases import CONCURRENT, ENUM_VALUES, PHASES, TRANSACTIONAL, VALIDATE  # noqa: F401  (named here too)


def _table_sql(q) -> str:
    return quote_qualified(q.schema, q.name)


def compile_change(change: c.Change) -> list[tuple[str, str]]:
    """The (phase, SQL) pairs of an allowed change, each statement checked to be
    exactly one statement of a kind the change may emit, on the change's own
    object (``verify.checked``)."""
    return [(phase, _checked_for(change, sql)) for phase, sql in _compile(change)]


# The statement kinds each change may emit (the statement's object is checked too).
_KINDS: dict[type, tuple[str, ...]] = {
    c.AddEnumValue: ("AlterEnumStmt",),
    c.AddColumn: ("AlterTableStmt", "CommentStmt"),
    c.AlterColumnType: ("AlterTableStmt",),
    c.AddCheck: ("AlterTableStmt", "CommentStmt"),
    c.ReplaceCheck: ("AlterTableStmt", "CommentStmt"),
    c.AddForeignKey: ("AlterTableStmt", "CommentStmt"),
    c.AddUnique: ("IndexStmt", "AlterTableStmt", "CommentStmt"),
    c.ValidateConstraint: ("AlterTableStmt",),
    c.AddIndex: ("IndexStmt", "CommentStmt"),
    c.RebuildInvalidIndex: ("DropStmt", "IndexStmt"),
    c.SetComment: ("CommentStmt",),
    c.SetStorageParameter: ("AlterTableStmt",),
}


def _checked_for(change: c.Change, sql: str) -> str:
    kinds = _KINDS.get(type(change))
    if kinds is None:  # built by ddl, which checks each statement itself
        return sql
    node = statement_kind(sql)
    what = f"{change.target()}: {change.describe()}"
    if node not in kinds:
        raise CompileError(f"a {node} where {' or '.join(kinds)} was built", what)
    return checked(sql, Expect(node, _expected_target(change, node), what))


def _expected_target(change: c.Change, node: str) -> tuple[str, ...]:
    if isinstance(change, c.AddEnumValue):
        return (change.enum.schema, change.enum.name)
    if isinstance(change, c.SetComment):
        parts = (change.object.schema, change.object.name) + ((change.column,) if change.column is not None else ())
        return (ddl.comment_objtype(change.kind),) + parts
    table = change.table
    if isinstance(change, c.SetStorageParameter) and change.index is not None:
        return (table.schema, change.index)  # ALTER INDEX schema.index SET (…)
    if node == "AlterTableStmt":
        return (table.schema, table.name)
    if node == "CommentStmt" and isinstance(change, c.AddColumn):
        return ("OBJECT_COLUMN", table.schema, table.name, change.column.name)
    if node == "CommentStmt" and isinstance(change, _COMMENTED_CONSTRAINT):
        return ("OBJECT_TABCONSTRAINT", table.schema, table.name, _constraint(change).name)
    name = change.unique.name if isinstance(change, c.AddUnique) else change.index.name
    if node == "IndexStmt":
        return (table.schema, table.name, name)
    if node == "CommentStmt":
        return ("OBJECT_INDEX", table.schema, name)
    return ("OBJECT_INDEX", table.schema, name)  # DropStmt of the invalid index being rebuilt


# New constraints on an existing table, whose comment follows them in the same phase as
# their last statement: the constraint exists only from then on.
_COMMENTED_CONSTRAINT = (c.AddCheck, c.ReplaceCheck, c.AddForeignKey, c.AddUnique)


def _constraint(change):
    if isinstance(change, c.AddCheck):
        return change.check
    if isinstance(change, c.ReplaceCheck):
        return change.after
    return change.foreign_key if isinstance(change, c.AddForeignKey) else change.unique


def _with_comment(change, steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    con = _constraint(change)
    if con.comment is None:
        return steps
    t = Table(change.table.schema, change.table.name, ())
    return steps + [(steps[-1][0], ddl.comment_on_member(t, "constraint", con.name, con.comment).sql)]


@singledispatch
def _compile(change: c.Change) -> list[tuple[str, str]]:
    raise TypeError(f"no SQL for {type(change).__name__}: it is never allowed")


@_compile.register
def _(change: c.AddSchema):
    return [(TRANSACTIONAL, ddl.create_schema(change.name).sql)]


@_compile.register
def _(change: c.AddExtension):
    return [(TRANSACTIONAL, ddl.create_extension(change.extension).sql)]


@_compile.register
def _(change: c.AddEnum):
    out = [(TRANSACTIONAL, ddl.create_enum(change.enum).sql)]
    if change.enum.comment is not None:  # as `sql` writes it: apply to an empty database builds the same
        out.append((TRANSACTIONAL, ddl.comment_on_type(change.enum).sql))
    return out


@_compile.register
def _(change: c.AddSequence):  # OWNED BY follows once the tables exist (plan.build_plan, sequence_owner_steps)
    out = [(TRANSACTIONAL, sequences.create_sequence(change.sequence).sql)]
    if change.sequence.comment is not None:
        out.append((TRANSACTIONAL, sequences.comment_on_sequence(change.sequence).sql))
    return out


@_compile.register
def _(change: c.AlterSequence):  # only the changes SD203 allows: never RESTART, never setval
    keys = tuple(k for k in change.changed if k in sequences.ALTERABLE)
    if "type" in keys:  # ALTER SEQUENCE … AS moves bounds that were the old type's: say them
        keys += ("minvalue", "maxvalue")
    out = [(TRANSACTIONAL, sequences.alter_sequence(change.before, change.after, keys))] if keys else []
    if "owned_by" in change.changed:
        out.append((TRANSACTIONAL, sequences.owned_by(change.after).sql))
    return out


@_compile.register
def _(change: c.AddEnumValue):
    sql = f"ALTER TYPE {quote_qualified(change.enum.schema, change.enum.name)} ADD VALUE {quote_literal(change.value)}"
    if change.after is not None:
        sql += f" AFTER {quote_literal(change.after)}"
    elif change.before is not None:
        sql += f" BEFORE {quote_literal(change.before)}"
    return [(ENUM_VALUES, sql)]


@_compile.register
def _(change: c.AddColumn):
    node = exp.Alter(this=ddl._table(change.table.schema, change.table.name), kind="TABLE",
                     actions=[ddl.column_def(change.column)])
    sql = ddl._sql(node)
    if " ADD COLUMN " not in sql:
        sql = sql.replace(" ADD ", " ADD COLUMN ", 1)
    out = [(TRANSACTIONAL, sql)]
    if change.column.comment is not None:
        t = Table(change.table.schema, change.table.name, (change.column,))
        out.append((TRANSACTIONAL, ddl.comment_on_column(t, change.column).sql))
    return out


@_compile.register
def _(change: c.AlterColumnType):  # only varchar widenings are allowed
    return [(TRANSACTIONAL, f"ALTER TABLE {_table_sql(change.table)} ALTER COLUMN {quote_ident(change.column)} "
                            f"TYPE {change.after}")]


@_compile.register
def _(change: c.AddCheck):
    sql = ddl._sql(exp.Alter(this=ddl._table(change.table.schema, change.table.name), kind="TABLE",
                             actions=[exp.AddConstraint(expressions=[ddl.check_node(change.check)])]))
    return _with_comment(change, [(TRANSACTIONAL, sql + " NOT VALID"), (VALIDATE, _validate(change.table, change.check.name))])


@_compile.register
def _(change: c.ReplaceCheck):  # only superset widenings are allowed
    t = _table_sql(change.table)
    add = ddl._sql(ddl.check_node(change.after))
    return _with_comment(change, [
        (TRANSACTIONAL, f"ALTER TABLE {t} DROP CONSTRAINT {quote_ident(change.before.name)}, ADD {add} NOT VALID"),
        (VALIDATE, _validate(change.table, change.after.name))])


@_compile.register
def _(change: c.AddForeignKey):
    t = Table(change.table.schema, change.table.name, ())
    return _with_comment(change, [(TRANSACTIONAL, ddl.add_foreign_key(t, change.foreign_key).sql + " NOT VALID"),
                                  (VALIDATE, _validate(change.table, change.foreign_key.name))])


@_compile.register
def _(change: c.AddUnique):
    u = change.unique
    cols = ", ".join(quote_ident(col) for col in u.columns)
    index = f"CREATE UNIQUE INDEX CONCURRENTLY {quote_ident(u.name)} ON {_table_sql(change.table)} ({cols})"
    if u.nulls_not_distinct:
        index += " NULLS NOT DISTINCT"
    index += with_clause("btree", u.storage, f"{change.target()}: {change.describe()}")
    attach = f"ALTER TABLE {_table_sql(change.table)} ADD CONSTRAINT {quote_ident(u.name)} UNIQUE USING INDEX {quote_ident(u.name)}"
    if u.deferrable:
        attach += " DEFERRABLE" + (" INITIALLY DEFERRED" if u.initially_deferred else "")
    return _with_comment(change, [(CONCURRENT, index), (VALIDATE, attach)])


@_compile.register
def _(change: c.ValidateConstraint):
    return [(VALIDATE, _validate(change.table, change.name))]


def _validate(table, name: str) -> str:
    return f"ALTER TABLE {_table_sql(table)} VALIDATE CONSTRAINT {quote_ident(name)}"


def concurrent_index(table, ix: Index) -> str:
    t = Table(table.schema, table.name, ())
    return ddl.create_index(t, ix).sql.replace(" INDEX ", " INDEX CONCURRENTLY ", 1)


@_compile.register
def _(change: c.AddIndex):
    out = [(CONCURRENT, concurrent_index(change.table, change.index))]
    if change.index.comment is not None:
        t = Table(change.table.schema, change.table.name, ())
        out.append((VALIDATE, ddl.comment_on_index(t, change.index).sql))
    return out


@_compile.register
def _(change: c.RebuildInvalidIndex):
    name = quote_qualified(change.table.schema, change.index.name)
    return [(CONCURRENT, f"DROP INDEX CONCURRENTLY IF EXISTS {name}"),
            (CONCURRENT, concurrent_index(change.table, change.index))]


@_compile.register
def _(change: c.SetComment):
    member = change.kind == "column" or change.kind in c.TABLE_MEMBER_KINDS
    parts = (change.object.schema, change.object.name) + ((change.column,) if member else ())
    return [(TRANSACTIONAL, ddl.comment_sql(change.kind, parts, change.after, f"comment on {change.target()}"))]


@_compile.register
def _(change: c.SetStorageParameter):  # only set or changed, never RESET (SD307)
    what = f"{change.target()}: {change.describe()}"
    options = options_sql(change.kind, [(change.key, change.after)], what)
    if change.index is None:
        return [(TRANSACTIONAL, f"ALTER TABLE {_table_sql(change.table)} SET ({options})")]
    return [(TRANSACTIONAL, f"ALTER INDEX {quote_qualified(change.table.schema, change.index)} SET ({options})")]


@_compile.register
def _(change: c.AddFunction):
    return [(TRANSACTIONAL, s.sql) for s in routines.function_statements(change.function)]


@_compile.register
def _(change: c.SetFunctionComment):
    return [(TRANSACTIONAL, routines.comment_on_function(change.function, change.after).sql)]


@_compile.register
def _(change: c.AddView):
    return [(TRANSACTIONAL, s.sql) for s in views.view_statements(change.view)]
