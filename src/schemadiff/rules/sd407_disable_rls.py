from ..changes import DisableRls
from .base import Rule, Verdict, register


@register
class DisableRlsRule(Rule):
    """Disabling row level security exposes every row to every role with access.

    Bad: ``rls: {enabled: false}`` on a table that has it.
    Good: keep RLS on.
    """

    code, name, category, changes = "SD407", "disable-rls", "breaking", (DisableRls,)
    safe_path = (
        "keep row level security enabled",
        "grant access with a new policy instead, in a reviewed migration",
    )

    def check(self, change, ctx):
        if ctx.from_database:
            return self.finding(change, Verdict.DRIFT, "row level security is on in the database, off in the spec; kept on")
        return self.finding(change, Verdict.REFUSE, "disabling row level security exposes every row")
