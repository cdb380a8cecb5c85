from ..changes import ReorderEnumValues
from .base import Rule, Verdict, register


@register
class ReorderEnum(Rule):
    """Enum order is sort order: reordering changes every ``ORDER BY`` and ``<``
    on the column, and PostgreSQL cannot do it in place.

    Bad: ``[low, high, medium]`` -> ``[low, medium, high]``.
    Good: add new values at the position they belong (``ADD VALUE … BEFORE``).
    """

    code, name, category, changes = "SD401", "reorder-enum-values", "breaking", (ReorderEnumValues,)
    safe_path = (
        "keep the existing order in the spec",
        "add each new value where it belongs (ALTER TYPE … ADD VALUE … BEFORE / AFTER): list it in that position",
    )

    def check(self, change, ctx):
        return self.finding(change, Verdict.REFUSE, "enum order is sort order; reordering changes query results")
