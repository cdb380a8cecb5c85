from ..changes import AddEnum
from .base import Rule, Verdict, register
from .names import clashes


@register
class CreateEnum(Rule):
    """A new enum type is additive.

    Bad: (nothing: always allowed)
    Good: ``enums: {MessageRole: [user, assistant]}`` -> ``CREATE TYPE … AS ENUM``.
    """

    code, name, category, changes = "SD103", "create-enum", "additive", (AddEnum,)

    def check(self, change, ctx):
        if clashes(change, ctx):
            return None  # a name already taken: SD901
        return self.finding(change, Verdict.ADD, "a new type is used by nothing yet")
