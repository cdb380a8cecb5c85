from ..changes import AddTrigger
from .base import Rule, Verdict, register


@register
class TriggerOnExistingTable(Rule):
    """A new trigger on a table that exists changes what every writer's INSERT,
    UPDATE or DELETE does, for every application at once. (A new table's triggers
    arrive with the table: SD105.)

    Bad: a ``BEFORE UPDATE`` trigger added to a table in production use.
    Good: triggers created with their new table; on an existing table, a reviewed
    change waived in the policy file.
    """

    code, name, category, changes = "SD412", "trigger-on-existing-table", "breaking", (AddTrigger,)
    safe_path = (
        "review what the trigger does to every writer of the table, and its cost per row",
        "waive SD412 for the table in schemadiff-policy.yaml with a reason and an expiry, or add the trigger "
        "in a reviewed manual migration",
    )

    def check(self, change, ctx):
        return self.finding(change, Verdict.REFUSE, f"trigger {change.trigger.name} would change what every write "
                            "to an existing table does")
