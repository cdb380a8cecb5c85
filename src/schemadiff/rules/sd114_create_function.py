from ..changes import AddFunction
from .base import Rule, Verdict, register


@register
class CreateFunction(Rule):
    """A new function (a signature the database does not have) is additive:
    nothing calls it yet, and the plan never calls it.

    Bad: (nothing: always allowed)
    Good: ``functions/update_updated_at_column.yaml`` -> ``CREATE FUNCTION … AS $body$…$body$``.
    """

    code, name, category, changes = "SD114", "create-function", "additive", (AddFunction,)

    def check(self, change, ctx):
        return self.finding(change, Verdict.ADD, "a new function is called by nothing yet; the plan never calls it")
