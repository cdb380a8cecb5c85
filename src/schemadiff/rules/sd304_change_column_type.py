from ..changes import AlterColumnType
from .base import Rule, Verdict, register
from .facts import is_varchar_widening


@register
class ChangeColumnType(Rule):
    """A type change other than a varchar widening may lose data, rewrites the
    table under an ACCESS EXCLUSIVE lock, and breaks clients that read the old type.

    Bad: ``varchar(255)`` -> ``varchar(100)``; ``text`` -> ``integer``.
    Good: add a new column of the new type; backfill; switch readers.
    """

    code, name, category, changes = "SD304", "change-column-type", "destructive", (AlterColumnType,)
    safe_path = (
        "add a new column of the new type (nullable), beside the old one",
        "write both columns in the application; backfill the new one in batches",
        "switch readers to the new column, then stop writing the old one",
        "leave the old column in the spec until a reviewed migration drops it",
    )

    def check(self, change, ctx):
        if is_varchar_widening(change.before, change.after):
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"{change.before} -> {change.after} can lose data and rewrites the table")
