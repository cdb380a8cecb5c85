from ..changes import ReplaceFunction
from .base import Rule, Verdict, register


@register
class ChangeFunctionRule(Rule):
    """A changed function body, return type, language, volatility, strictness,
    security or search_path changes what every caller gets, at once; the body is
    compared exactly as the server keeps it (``prosrc``).

    Bad: editing the body of ``update_updated_at_column``.
    Good: a new function under a new name (additive), switched to by its callers.
    """

    code, name, category, changes = "SD413", "change-function", "breaking", (ReplaceFunction,)
    safe_path = (
        "keep the function as it is, and add the new version under a new name (SD114, additive)",
        "move its callers (triggers, clients) to the new function, one reviewed change at a time",
    )

    def check(self, change, ctx):
        reason = f"changing the {', '.join(change.aspects)} of {change.after.display()} changes what every caller gets"
        if change.aspects == ("body",) and change.before.body.strip() == change.after.body.strip():
            reason += " (the bodies differ only in leading or trailing white space, which the server keeps)"
        return self.finding(change, Verdict.REFUSE, reason)
