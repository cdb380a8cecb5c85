from ..changes import AddEnum
from .base import Rule, Verdict, register


@register
class CreateEnum(Rule):
    """A new enum type is additive.

    Bad: (nothing: always allowed)
    Good: ``enums: {MessageRole: [user, assistant]}`` -> ``CREATE TYPE … AS ENUM``.
    """

    code, name, category, changes = "SD103", "create-enum", "additive", (AddEnum,)

    def check(self, change, ctx):
        return self.finding(change, Verdict.ADD, "a new type is used by nothing yet")
