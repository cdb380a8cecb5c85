from ..changes import DropNotNull
from .base import Rule, Verdict, register


@register
class DropNotNullRule(Rule):
    """Dropping NOT NULL lets NULLs reach readers that were promised none.

    Bad: ``nullable: false`` -> ``nullable: true`` (or the key removed).
    Good: keep NOT NULL; add a new nullable column if the data really is optional.
    """

    code, name, category, changes = "SD403", "drop-not-null", "breaking", (DropNotNull,)
    safe_path = (
        "keep NOT NULL on the column",
        "add a new nullable column for the optional data (expand); backfill it; switch readers",
        "retire the old column later, in a reviewed migration (contract)",
    )

    def check(self, change, ctx):
        return self.finding(change, Verdict.REFUSE, f"readers of {change.column} were promised no NULLs")
