from ..changes import SetNotNull
from .base import Rule, Verdict, register


@register
class SetNotNullRule(Rule):
    """SET NOT NULL on an existing column scans the table under an ACCESS EXCLUSIVE
    lock and rejects writers that send NULL — seed 002's "Batch 2" step.

    Bad: ``customer_id: text`` -> ``customer_id: {type: text, nullable: false}``.
    Good: keep it nullable; enforce in the application, or run a reviewed manual
    migration (CHECK … NOT VALID, VALIDATE, then SET NOT NULL).
    """

    code, name, category, changes = "SD501", "set-not-null", "tightening", (SetNotNull,)
    safe_path = (
        "keep {column} nullable in the spec; backfill the NULLs of {table} in batches",
        "in a reviewed migration: ALTER TABLE {table} ADD CONSTRAINT {not_null} CHECK ({column} IS NOT NULL) NOT VALID",
        "in its own transaction: ALTER TABLE {table} VALIDATE CONSTRAINT {not_null} (SHARE UPDATE EXCLUSIVE: "
        "writes go on)",
        "ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL (PostgreSQL 12+ uses the valid CHECK and skips the "
        "scan), then DROP CONSTRAINT {not_null}",
        "then mark {column} nullable: false in the spec",
    )

    def check(self, change, ctx):
        return self.finding(change, Verdict.REFUSE,
                            f"SET NOT NULL on {change.column} locks the table for a full scan and rejects writers sending NULL")
