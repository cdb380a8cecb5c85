from ..changes import AddEnumValue
from .base import Rule, Verdict, register


@register
class AddEnumValueRule(Rule):
    """A new enum value is additive; it is committed in its own step before
    anything uses it (PostgreSQL cannot use a value added in the same transaction).

    Bad: (nothing: always allowed; removing or reordering values is SD303/SD401)
    Good: ``[user, assistant]`` -> ``[user, assistant, tool]``:
    ``ALTER TYPE … ADD VALUE 'tool' AFTER 'assistant'``.
    """

    code, name, category, changes = "SD104", "add-enum-value", "additive", (AddEnumValue,)

    def check(self, change, ctx):
        return self.finding(change, Verdict.ADD, "existing values and rows are unchanged")
