from ..changes import AddCheck
from ..expressions import parse_expression, references
from .base import Rule, Verdict, register


@register
class CheckOnExistingColumns(Rule):
    """A new CHECK on columns that already hold data can reject existing rows (the
    add fails) and rejects writers that send values they sent before.

    Bad: ``checks: ["amount > 0"]`` added to an existing table.
    Good: a check on a column added in the same change (SD109).
    """

    code, name, category, changes = "SD502", "check-on-existing-columns", "tightening", (AddCheck,)
    safe_path = (
        "fix or backfill the rows of {table} the check would reject, in batches",
        "in a reviewed migration: ALTER TABLE {table} ADD CONSTRAINT {constraint} CHECK ({expression}) NOT VALID "
        "(new writes are checked at once)",
        "in its own transaction: ALTER TABLE {table} VALIDATE CONSTRAINT {constraint} (SHARE UPDATE EXCLUSIVE: "
        "writes go on)",
        "then add the check to the spec",
    )

    def check(self, change, ctx):
        used = {r[-1] for r in references(parse_expression(change.check.expression)).columns}
        old = sorted(c for c in used if (change.table, c) not in ctx.new_columns)
        if not old:
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"check {change.check.name} constrains existing column(s) {', '.join(old)}")
