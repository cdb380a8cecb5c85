from ..changes import AddExtension
from .base import Rule, Verdict, register


@register
class CreateExtension(Rule):
    """A new extension is additive (``CREATE EXTENSION IF NOT EXISTS``).

    Bad: (nothing: always allowed)
    Good: ``extensions: [citext]`` -> ``CREATE EXTENSION IF NOT EXISTS citext``.
    """

    code, name, category, changes = "SD102", "create-extension", "additive", (AddExtension,)

    def check(self, change, ctx):
        return self.finding(change, Verdict.ADD, "a new extension adds objects and changes none")
