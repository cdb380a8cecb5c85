from ..changes import DropPolicy, ReplacePolicy
from .base import Rule, Verdict, register


@register
class ChangePolicyRule(Rule):
    """Changing or dropping a row level security policy changes who sees which rows.

    Bad: editing the ``using`` of ``tenant_isolation``.
    Good: review policy changes by hand; schemadiff adds policies only to new tables.
    """

    code, name, category, changes = "SD406", "change-policy", "breaking", (DropPolicy, ReplacePolicy)
    safe_path = (
        "keep the policy as it is in the spec",
        "review the new policy by hand and roll it out in a manual migration, tested against every role",
    )

    def check(self, change, ctx):
        if isinstance(change, DropPolicy):
            if ctx.from_database:
                return self.finding(change, Verdict.DRIFT, f"policy {change.policy.name} is in the database, not in the spec; kept")
            return self.finding(change, Verdict.REFUSE, f"dropping policy {change.policy.name} changes who sees which rows")
        return self.finding(change, Verdict.REFUSE, f"changing policy {change.after.name} changes who sees which rows")
