from ..changes import RemoveEnumValue
from .base import Rule, Verdict, register


@register
class RemoveEnumValueRule(Rule):
    """PostgreSQL cannot remove an enum value without rebuilding the type; rows
    holding it would have no value left.

    Bad: ``[user, assistant, tool]`` -> ``[user, assistant]``.
    Good: keep the value; stop writing it in the application.
    """

    code, name, category, changes = "SD303", "remove-enum-value", "destructive", (RemoveEnumValue,)
    safe_path = (
        "keep the value in the spec",
        "stop writing it in the application; update the rows that hold it in batches",
        "if it must go, rebuild the type in a reviewed manual migration",
    )

    def check(self, change, ctx):
        if ctx.from_database:
            return self.finding(change, Verdict.DRIFT, f"enum value {change.value!r} is in the database, not in the spec; kept")
        return self.finding(change, Verdict.REFUSE, f"removing enum value {change.value!r} breaks rows that hold it")
