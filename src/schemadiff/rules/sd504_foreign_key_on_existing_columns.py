from ..changes import AddForeignKey
from .base import Rule, Verdict, register
from .facts import new_null_columns


@register
class ForeignKeyOnExistingColumns(Rule):
    """A new foreign key on columns that already hold data can reject existing rows
    and writers, and locks both tables while it is added.

    Bad: ``references: customer(id)`` added to an existing, filled column.
    Good: a foreign key on a column added in the same change (SD109).
    """

    code, name, category, changes = "SD504", "foreign-key-on-existing-columns", "tightening", (AddForeignKey,)
    safe_path = (
        "fix the rows of {table} that reference nothing, in batches",
        "in a reviewed migration: ALTER TABLE {table} ADD CONSTRAINT {constraint} FOREIGN KEY ({columns}) "
        "REFERENCES … NOT VALID (SHARE ROW EXCLUSIVE, brief)",
        "in its own transaction: ALTER TABLE {table} VALIDATE CONSTRAINT {constraint} (SHARE UPDATE EXCLUSIVE: "
        "writes go on)",
        "then add the foreign key to the spec",
    )

    def check(self, change, ctx):
        cols = change.foreign_key.columns
        if new_null_columns(change.table, cols, ctx):
            return None
        old = [c for c in cols if (change.table, c) not in ctx.new_columns]
        if old:
            return self.finding(change, Verdict.REFUSE,
                                f"foreign key {change.foreign_key.name} constrains existing column(s) {', '.join(old)}")
        return self.finding(change, Verdict.REFUSE,
                            f"foreign key {change.foreign_key.name} is on new column(s) with a default: "
                            "every existing row would reference that value")
