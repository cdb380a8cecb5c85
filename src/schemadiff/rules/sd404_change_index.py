from ..changes import DropIndex, ReplaceIndex
from .base import Rule, Verdict, register


@register
class ChangeIndexRule(Rule):
    """Changing or dropping an index can turn fast queries into full scans (and a
    unique index guards data). An index the spec does not give is drift, kept.

    Bad: changing the columns of ``idx_customers_email``.
    Good: add a new index under a new name; drop the old one in a reviewed manual step.
    """

    code, name, category, changes = "SD404", "change-index", "breaking", (DropIndex, ReplaceIndex)
    safe_path = (
        "keep the index as it is in the spec",
        "add the new index under a new name (built CONCURRENTLY by plan)",
        "drop the old one in a reviewed manual migration (DROP INDEX CONCURRENTLY), then remove it from the spec",
    )

    def check(self, change, ctx):
        if isinstance(change, DropIndex):
            if ctx.from_database:
                return self.finding(change, Verdict.DRIFT, f"index {change.index.name} is in the database, not in the spec; kept")
            return self.finding(change, Verdict.REFUSE, f"dropping index {change.index.name} can slow every query using it")
        return self.finding(change, Verdict.REFUSE, f"changing index {change.after.name} drops the one in use")
