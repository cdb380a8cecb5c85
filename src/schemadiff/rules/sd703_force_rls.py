from ..changes import ForceRls
from .base import Rule, Verdict, register


@register
class ForceRlsRule(Rule):
    """FORCE ROW LEVEL SECURITY applies policies to the table's owner too (and
    removing it lifts them): both change who reads what.

    Bad: ``rls: {forced: true}`` on an existing table its owner reads.
    Good: decide FORCE when the table is created.
    """

    code, name, category, changes = "SD703", "force-rls-existing-table", "authorization", (ForceRls,)
    safe_path = (
        "decide FORCE when a table is created",
        "on an existing table: check what the owner role runs, then a reviewed manual migration",
    )

    def check(self, change, ctx):
        if not change.forced and ctx.from_database:
            return self.finding(change, Verdict.DRIFT, "FORCE ROW LEVEL SECURITY is on in the database, not in the spec; kept")
        if change.forced:
            return self.finding(change, Verdict.REFUSE, "forcing row level security changes what the table owner reads")
        return self.finding(change, Verdict.REFUSE, "no longer forcing row level security lets the table owner read every row")
