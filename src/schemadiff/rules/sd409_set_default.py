from ..changes import SetDefault
from .base import Rule, Verdict, register


@register
class SetDefaultRule(Rule):
    """A default on an existing column that had none changes what existing writers
    store when they omit it (a value instead of NULL).

    Bad: ``hands_off_enabled: {type: boolean}`` -> ``{type: boolean, default: true}``.
    Good: defaults belong to new columns, added with them (SD106).
    """

    code, name, category, changes = "SD409", "set-default", "breaking", (SetDefault,)
    safe_path = (
        "leave the existing column without a default",
        "have writers send the value, or add a new column with its default (SD106)",
    )

    def check(self, change, ctx):
        return self.finding(change, Verdict.REFUSE, f"existing writers that omit {change.column} would store {change.default} instead of NULL")
