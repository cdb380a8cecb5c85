from ..changes import DropFunction
from .base import Rule, Verdict, register


@register
class DropFunctionRule(Rule):
    """Removing a function breaks every trigger, default, policy and client that calls it.

    Bad: deleting a function file.
    Good: keep it in the spec until nothing calls it.
    """

    code, name, category, changes = "SD309", "drop-function", "destructive", (DropFunction,)
    safe_path = (
        "keep the function file in the spec",
        "remove every trigger, policy and client call that uses it first",
        "drop it in a reviewed manual migration",
    )

    def check(self, change, ctx):
        if ctx.from_database:
            return self.finding(change, Verdict.DRIFT, f"function {change.function.display()} is in the database, "
                                "not in the spec; kept")
        return self.finding(change, Verdict.REFUSE, "dropping a function breaks whatever calls it")
