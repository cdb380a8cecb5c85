"""The final guard: every statement of a plan, parsed again by PostgreSQL's own
parser (pglast) just before anything runs, must be one of the additive kinds.

This is defense in depth. It does not trust the spec, the plan file, or the
code upstream: a plan holding anything else — a ``DROP TABLE`` typed into a saved
plan, a bug that emits ``SET NOT NULL`` — is refused whole, before the first
statement runs. Two narrow exceptions, each checked exactly:

- ``ALTER TABLE … DROP CONSTRAINT c, ADD CONSTRAINT c CHECK (…) NOT VALID``: the
  one legitimate replacement (a CHECK list widened to a superset), allowed only
  as that pairing, on the same name, in one statement, the new one NOT VALID;
- ``DROP INDEX CONCURRENTLY IF EXISTS i``: allowed only for an index the caller
  confirms the database holds INVALID (a failed concurrent build; it serves no
  query and its definition is rebuilt from the spec).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pglast import ast, parse_sql
from pglast.enums import AlterTableType, ConstrType, ObjectType, VariableSetKind
from pglast.parser import ParseError

_ALLOWED_ALTER = {
    AlterTableType.AT_AddColumn,
    AlterTableType.AT_AddConstraint,
    AlterTableType.AT_ValidateConstraint,
    AlterTableType.AT_EnableRowSecurity,
    AlterTableType.AT_ForceRowSecurity,
    AlterTableType.AT_AlterColumnType,  # the planner emits it for varchar widenings only
}
_SIMPLE = (ast.CreateStmt, ast.IndexStmt, ast.CreateEnumStmt, ast.CreateSchemaStmt, ast.CreateExtensionStmt,
           ast.CommentStmt, ast.CreatePolicyStmt, ast.VariableSetStmt)


@dataclass(frozen=True)
class GuardProblem:
    index: int  # 0-based statement number
    sql: str
    reason: str

    def __str__(self) -> str:
        first = self.sql.strip().splitlines()[0] if self.sql.strip() else ""
        return f"statement {self.index + 1}: {self.reason}: {first[:120]}"


def check_statements(statements: Iterable[str],
                     invalid_index: Callable[[str | None, str], bool] = lambda schema, name: False,
                     is_check: Callable[[str | None, str, str], bool] = lambda schema, table, name: True,
                     column_type: Callable[[str | None, str, str], str | None] = lambda schema, table, col: None,
                     ) -> list[GuardProblem]:
    """Problems of a list of SQL statements (one statement per item).

    ``invalid_index(schema, index)``: does the database hold that index INVALID?
    ``is_check(schema, table, constraint)``: is that constraint a CHECK?
    """
    problems: list[GuardProblem] = []
    for i, sql in enumerate(statements):
        reason = _judge(sql, invalid_index, is_check, column_type)
        if reason:
            problems.append(GuardProblem(i, sql, reason))
    return problems


def _judge(sql: str, invalid_index, is_check, column_type=lambda s, t, c: None) -> str | None:
    try:
        stmts = parse_sql(sql)
    except ParseError as exc:
        return f"does not parse ({exc})"
    if len(stmts) != 1:
        return f"holds {len(stmts)} statements; one is allowed"
    node = stmts[0].stmt
    if isinstance(node, ast.VariableSetStmt):
        if node.name == "lock_timeout":
            return _positive_lock_timeout(node)
        if node.name == "statement_timeout":
            return None
        return f"SET {node.name} is not allowed"
    if isinstance(node, ast.IndexStmt):
        return None
    if isinstance(node, ast.AlterEnumStmt):
        if node.oldVal:  # RENAME VALUE
            return "renaming an enum value is not additive"
        return None
    if isinstance(node, _SIMPLE):
        if isinstance(node, ast.CreateStmt) and (node.inhRelations or node.partbound or node.partspec):
            return "CREATE TABLE with inheritance or partitions is not planned by schemadiff"
        return None
    if isinstance(node, ast.AlterTableStmt):
        if node.objtype != ObjectType.OBJECT_TABLE:
            return "only ALTER TABLE is allowed"
        return _alter_table(node, is_check, column_type)
    if isinstance(node, ast.DropStmt):
        if (node.removeType == ObjectType.OBJECT_INDEX and node.concurrent and node.missing_ok
                and len(node.objects) == 1):
            names = [n.sval for n in node.objects[0]]
            schema, name = (names[0], names[1]) if len(names) == 2 else (None, names[-1])
            if invalid_index(schema, name):
                return None
            return f"DROP INDEX of {'.'.join(names)}, which the database does not hold INVALID"
        return "DROP is destructive"
    return f"{type(node).__name__} is not an additive statement"


def _positive_lock_timeout(node: ast.VariableSetStmt) -> str | None:
    """A lock wait must stay bounded: lock_timeout 0 (or its default, 0) waits forever."""
    value = None
    if node.kind == VariableSetKind.VAR_SET_VALUE and node.args and len(node.args) == 1:
        const = node.args[0].val
        value = str(const.ival) if hasattr(const, "ival") else getattr(const, "sval", None)
    if value is None or re.fullmatch(r"\s*0*(\.0*)?\s*(us|ms|s|min|h|d)?\s*", value):
        return "SET lock_timeout must be a positive duration: 0 or its default waits for locks forever"
    return None


def _alter_table(node: ast.AlterTableStmt, is_check, column_type) -> str | None:
    cmds = list(node.cmds or ())
    kinds = [c.subtype for c in cmds]
    if kinds == [AlterTableType.AT_DropConstraint, AlterTableType.AT_AddConstraint]:
        drop, add = cmds
        con = add.def_
        if (isinstance(con, ast.Constraint) and con.contype == ConstrType.CONSTR_CHECK and con.skip_validation
                and con.conname == drop.name and not drop.missing_ok and drop.behavior.name == "DROP_RESTRICT"):
            rel = node.relation
            if is_check(rel.schemaname, rel.relname, drop.name):
                return None
            return f"DROP CONSTRAINT {drop.name}: the database's constraint of that name is not a CHECK"
        return "DROP CONSTRAINT is allowed only as a CHECK replaced by a NOT VALID CHECK of the same name"
    for cmd in cmds:
        if cmd.subtype not in _ALLOWED_ALTER:
            return f"ALTER TABLE … {cmd.subtype.name.removeprefix('AT_')} is not additive"
        if cmd.subtype == AlterTableType.AT_AlterColumnType:
            type_name = cmd.def_.typeName
            names = [n.sval for n in type_name.names]
            if names[-1] not in ("varchar", "text"):
                return "ALTER COLUMN TYPE is allowed only to widen to varchar or text"
            if cmd.def_.raw_default is not None or getattr(cmd.def_, "cooked_default", None) is not None:
                return "ALTER COLUMN TYPE … USING is not allowed"
            from pglast.stream import RawStream

            from .normalize import canonical_builtin_type
            from .rules.facts import is_varchar_widening
            try:
                after, _ = canonical_builtin_type(RawStream()(type_name))
            except Exception:  # noqa: BLE001
                after = None
            rel = node.relation
            before = column_type(rel.schemaname, rel.relname, cmd.name)
            if after is None or before is None or not is_varchar_widening(before, after):
                return f"ALTER COLUMN {cmd.name} TYPE: only a varchar widening is allowed (from {before} to {after})"
        if cmd.subtype == AlterTableType.AT_AddColumn:
            col = cmd.def_
            for c in col.constraints or ():
                if c.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
                    return "ADD COLUMN with an inline key is not planned by schemadiff"
    return None
