from ..changes import AddPrimaryKey, AddUnique
from .base import Rule, Verdict, register


@register
class KeyOnExistingColumns(Rule):
    """A new UNIQUE or PRIMARY KEY on existing columns fails on duplicates already
    stored and rejects writers that send them.

    Bad: ``unique: [[email]]`` added to a table with rows.
    Good: a unique key on columns added in the same change (SD109).
    """

    code, name, category, changes = "SD505", "key-on-existing-columns", "tightening", (AddPrimaryKey, AddUnique)

    def check(self, change, ctx):
        key = change.primary_key if isinstance(change, AddPrimaryKey) else change.unique
        old = [c for c in key.columns if (change.table, c) not in ctx.new_columns]
        if not old and isinstance(change, AddUnique):
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"{key.name} on existing column(s) {', '.join(old or key.columns)} fails on duplicates and rejects writers")
