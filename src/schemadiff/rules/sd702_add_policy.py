from ..changes import AddPolicy
from .base import Rule, Verdict, register


@register
class AddPolicyRule(Rule):
    """A new policy on an existing table changes who can read or write which rows.

    Bad: a new ``using:`` policy on a table in production use.
    Good: policies created with their new table (SD105).
    """

    code, name, category, changes = "SD702", "add-policy-existing-table", "authorization", (AddPolicy,)
    safe_path = (
        "review the policy by hand and test it against every role",
        "roll it out in a reviewed manual migration",
    )

    def check(self, change, ctx):
        return self.finding(change, Verdict.REFUSE, f"policy {change.policy.name} changes who can see rows of an existing table")
