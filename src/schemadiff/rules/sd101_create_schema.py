from ..changes import AddSchema
from .base import Rule, Verdict, register


@register
class CreateSchema(Rule):
    """A new schema is additive.

    Bad: (nothing: always allowed)
    Good: ``schemas: [billing]`` in schemadiff.yaml -> ``CREATE SCHEMA billing``.
    """

    code, name, category, changes = "SD101", "create-schema", "additive", (AddSchema,)

    def check(self, change, ctx):
        return self.finding(change, Verdict.ADD, "a new schema touches nothing that exists")
