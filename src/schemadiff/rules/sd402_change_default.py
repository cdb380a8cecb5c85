from ..changes import ChangeDefault
from .base import Rule, Verdict, register


@register
class ChangeDefaultRule(Rule):
    """Changing or dropping a default changes what existing writers store when they
    omit the column.

    Bad: ``hands_off_enabled`` default ``false`` -> ``true`` (surprises the existing client).
    Good: keep the default; give new behaviour a new column, or set the value explicitly.
    """

    code, name, category, changes = "SD402", "change-default", "breaking", (ChangeDefault,)
    safe_path = (
        "keep the existing default",
        "give the new behaviour a new column with its own default (expand), or have writers send the value",
        "switch readers to the new column; retire the old one later (contract)",
    )

    def check(self, change, ctx):
        if change.after is None and ctx.from_database:
            return self.finding(change, Verdict.DRIFT,
                                f"the database has a default on {change.column} the spec does not give; kept")
        return self.finding(change, Verdict.REFUSE, f"existing writers that omit {change.column} would store another value")
