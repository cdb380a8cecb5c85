from ..changes import EnableRls
from .base import Rule, Verdict, register


@register
class EnableRlsRule(Rule):
    """Enabling row level security on an existing table hides every row from roles
    without a matching policy: existing clients may suddenly read nothing.

    Bad: ``rls: {enabled: true}`` added to a table clients already read.
    Good: RLS on new tables (part of SD105); on existing ones, a reviewed rollout.
    """

    code, name, category, changes = "SD701", "enable-rls-existing-table", "authorization", (EnableRls,)
    safe_path = (
        "create the policies every existing client needs first, in a reviewed migration",
        "test each role against them, then ENABLE ROW LEVEL SECURITY in a reviewed rollout",
    )

    def check(self, change, ctx):
        return self.finding(change, Verdict.REFUSE, "existing clients without a matching policy would read no rows")
