"""What a planned statement does to the table it touches: the lock it takes and
whether it rewrites or scans the table — for a person reviewing ``plan``.

Read from the statement itself (PostgreSQL's parser, as the final guard reads
it), so the words cannot drift from what runs. Lock levels are PostgreSQL's
(https://www.postgresql.org/docs/current/explicit-locking.html); "brief" means
the statement does no work proportional to the table's size while it holds it.
"""

from __future__ import annotations

from pglast import ast, parse_sql
from pglast.enums.parsenodes import AlterTableType, ConstrType

NEW_TABLE = "new table: no other session sees it before the transaction commits"
NO_TABLE_LOCK = "no table lock"
NEW_VIEW = "new view: no table lock; no other session sees it before the transaction commits"
NEW_MATVIEW = ("new materialized view, created empty (WITH NO DATA: its query does not run); its indexes are built "
               "on the empty view; no other session sees it before the transaction commits")

_BRIEF = "ACCESS EXCLUSIVE, brief; no rewrite, no scan"
_VALIDATE = "SHARE UPDATE EXCLUSIVE (reads and writes go on); scans the table once"


def _alter_table(node: ast.AlterTableStmt) -> str:
    effects = []
    for cmd in node.cmds or ():
        kind = cmd.subtype
        constraint = cmd.def_ if isinstance(cmd.def_, ast.Constraint) else None
        if kind == AlterTableType.AT_SetRelOptions:  # schemadiff sets only SHARE UPDATE EXCLUSIVE ones (SD112)
            effects.append("SHARE UPDATE EXCLUSIVE, brief (catalog only; applies to later writes)")
        elif kind == AlterTableType.AT_ValidateConstraint:
            effects.append(_VALIDATE)
        elif constraint is not None and constraint.contype == ConstrType.CONSTR_FOREIGN:
            effects.append("SHARE ROW EXCLUSIVE on both tables, brief (NOT VALID: no scan)"
                           if constraint.skip_validation else
                           "SHARE ROW EXCLUSIVE on both tables; scans the table")
        elif constraint is not None and constraint.indexname:
            effects.append("ACCESS EXCLUSIVE, brief (attaches the index already built; no scan)")
        elif constraint is not None and not constraint.skip_validation:
            effects.append("ACCESS EXCLUSIVE; scans the table")
        elif kind == AlterTableType.AT_AlterColumnType:
            effects.append("ACCESS EXCLUSIVE, brief; no rewrite (a widening keeps every stored value)")
        else:  # ADD COLUMN with a constant default or none, NOT VALID constraints, DROP+ADD of a widened CHECK
            effects.append(_BRIEF)
    return "; ".join(dict.fromkeys(effects)) or _BRIEF


UNREAD = "not one statement schemadiff can read: the final guard judges it before anything runs"


def _statement(sql: str):
    """The parse tree of a single statement, or None. The text shown is never what decides
    what runs (the final guard does): a statement this cannot read is said so, not raised."""
    try:
        parsed = parse_sql(sql)
    except Exception:  # noqa: BLE001 — pglast's ParseError and anything else: unread, never a crash
        return None
    return parsed[0].stmt if len(parsed) == 1 else None


def referenced_tables(sql: str) -> list[tuple[str, str]]:
    """(schema, table) of every table a statement's foreign keys reference."""
    node = _statement(sql)
    found = []
    if isinstance(node, ast.CreateStmt):
        constraints = [c for e in node.tableElts or () for c in (
            (e.constraints or ()) if isinstance(e, ast.ColumnDef) else (e,) if isinstance(e, ast.Constraint) else ())]
    elif isinstance(node, ast.AlterTableStmt):
        constraints = [cmd.def_ for cmd in node.cmds or () if isinstance(cmd.def_, ast.Constraint)]
    else:
        constraints = []
    for c in constraints:
        if c.contype == ConstrType.CONSTR_FOREIGN and c.pktable is not None:
            found.append((c.pktable.schemaname or "public", c.pktable.relname))
    return found


def effect(sql: str, *, new_table: bool = False) -> str:
    """The lock a statement takes on its table and what it costs, in a few words."""
    if new_table:
        return NEW_TABLE
    node = _statement(sql)
    if node is None:
        return UNREAD
    if isinstance(node, ast.IndexStmt):
        if node.concurrent:
            return "SHARE UPDATE EXCLUSIVE (reads and writes go on); scans the table twice, outside a transaction"
        return "SHARE (blocks writes for the whole build); scans the table"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "SHARE UPDATE EXCLUSIVE (reads and writes go on); outside a transaction"
    if isinstance(node, ast.AlterTableStmt):
        return _alter_table(node)
    if isinstance(node, ast.CommentStmt):
        return "SHARE UPDATE EXCLUSIVE, brief (catalog only)"
    if isinstance(node, ast.AlterEnumStmt):
        return "no table lock (the type only); committed before anything uses the value"
    if isinstance(node, ast.AlterSeqStmt):
        return "SHARE ROW EXCLUSIVE on the sequence, brief (catalog only); nextval() on it waits for the commit"
    return NO_TABLE_LOCK  # CREATE SCHEMA / EXTENSION / TYPE


_SUBCOMMANDS = {
    AlterTableType.AT_AddColumn: "ADD COLUMN",
    AlterTableType.AT_AlterColumnType: "ALTER COLUMN … TYPE",
    AlterTableType.AT_ValidateConstraint: "VALIDATE CONSTRAINT",
    AlterTableType.AT_DropConstraint: "DROP CONSTRAINT",
    AlterTableType.AT_EnableRowSecurity: "ENABLE ROW LEVEL SECURITY",
    AlterTableType.AT_ForceRowSecurity: "FORCE ROW LEVEL SECURITY",
    AlterTableType.AT_SetRelOptions: "SET (storage parameters)",
}


def statement_kind(sql: str) -> str:
    """What kind of statement this is, in a few SQL words: ``ALTER TABLE … ADD COLUMN``,
    ``CREATE INDEX CONCURRENTLY``, ``COMMENT ON COLUMN``."""
    node = _statement(sql)
    if node is None:
        return "unread"
    if isinstance(node, ast.AlterTableStmt):
        parts = []
        for cmd in node.cmds or ():
            if isinstance(cmd.def_, ast.Constraint):
                c = cmd.def_
                kind = {ConstrType.CONSTR_FOREIGN: "FOREIGN KEY", ConstrType.CONSTR_CHECK: "CHECK",
                        ConstrType.CONSTR_UNIQUE: "UNIQUE", ConstrType.CONSTR_PRIMARY: "PRIMARY KEY"}.get(c.contype, "")
                parts.append(f"ADD CONSTRAINT … {kind}".rstrip()
                             + (" USING INDEX" if c.indexname else " NOT VALID" if c.skip_validation else ""))
            else:
                parts.append(_SUBCOMMANDS.get(cmd.subtype, cmd.subtype.name.removeprefix("AT_")))
        return f"ALTER {'INDEX' if node.objtype.name == 'OBJECT_INDEX' else 'TABLE'} … " + ", ".join(parts)
    if isinstance(node, ast.IndexStmt):
        return f"CREATE {'UNIQUE ' if node.unique else ''}INDEX{' CONCURRENTLY' if node.concurrent else ''}"
    if isinstance(node, ast.DropStmt):
        return f"DROP INDEX{' CONCURRENTLY' if node.concurrent else ''}"
    if isinstance(node, ast.CommentStmt):
        return f"COMMENT ON {node.objtype.name.removeprefix('OBJECT_')}"
    if isinstance(node, ast.AlterEnumStmt):
        return "ALTER TYPE … ADD VALUE"
    return {"CreateSchemaStmt": "CREATE SCHEMA", "CreateExtensionStmt": "CREATE EXTENSION",
            "CreateEnumStmt": "CREATE TYPE … AS ENUM", "CreateStmt": "CREATE TABLE",
            "CreatePolicyStmt": "CREATE POLICY", "CreateSeqStmt": "CREATE SEQUENCE",
            "AlterSeqStmt": "ALTER SEQUENCE", "ViewStmt": "CREATE VIEW",
            "CreateTableAsStmt": "CREATE MATERIALIZED VIEW … WITH NO DATA"}.get(type(node).__name__,
                                                                               type(node).__name__)
