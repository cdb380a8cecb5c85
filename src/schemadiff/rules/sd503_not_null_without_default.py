from ..changes import AddColumn
from .base import Rule, Verdict, register


@register
class NotNullWithoutDefault(Rule):
    """A NOT NULL column without a default cannot be added to a table with rows, and
    breaks every existing writer that does not send it.

    Bad: ``customer_id: {type: text, nullable: false}`` on an existing table.
    Good: ``customer_id: text`` (nullable), or a constant ``default:``.
    """

    code, name, category, changes = "SD503", "not-null-without-default", "tightening", (AddColumn,)
    safe_path = (
        "add {column} nullable (drop nullable: false) and deploy writers that send it",
        "backfill the existing rows of {table} in batches",
        "in a reviewed migration: ALTER TABLE {table} ADD CONSTRAINT {not_null} CHECK ({column} IS NOT NULL) NOT VALID",
        "in its own transaction: ALTER TABLE {table} VALIDATE CONSTRAINT {not_null} (SHARE UPDATE EXCLUSIVE: "
        "writes go on)",
        "ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL (PostgreSQL 12+ uses the valid CHECK and skips the "
        "scan), then DROP CONSTRAINT {not_null}; mark it nullable: false",
    )

    def check(self, change, ctx):
        col = change.column
        if col.nullable or col.default is not None or col.identity is not None or col.generated is not None:
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"NOT NULL column {col.name} without a default breaks existing rows and writers")
