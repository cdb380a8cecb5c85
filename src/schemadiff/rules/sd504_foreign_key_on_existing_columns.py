from ..changes import AddForeignKey
from .base import Rule, Verdict, register


@register
class ForeignKeyOnExistingColumns(Rule):
    """A new foreign key on columns that already hold data can reject existing rows
    and writers, and locks both tables while it is added.

    Bad: ``references: customer(id)`` added to an existing, filled column.
    Good: a foreign key on a column added in the same change (SD109).
    """

    code, name, category, changes = "SD504", "foreign-key-on-existing-columns", "tightening", (AddForeignKey,)

    def check(self, change, ctx):
        old = [c for c in change.foreign_key.columns if (change.table, c) not in ctx.new_columns]
        if not old:
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"foreign key {change.foreign_key.name} constrains existing column(s) {', '.join(old)}")
