from ..changes import ReplaceTrigger
from .base import Rule, Verdict, register


@register
class ChangeTriggerRule(Rule):
    """A changed trigger (timing, events, columns, WHEN, function, arguments or
    enabled state) changes what every write to its table does.

    Bad: turning ``BEFORE UPDATE`` into ``BEFORE INSERT OR UPDATE``, or disabling a trigger.
    Good: keep the trigger; review the change by hand.
    """

    code, name, category, changes = "SD414", "change-trigger", "breaking", (ReplaceTrigger,)
    safe_path = (
        "keep the trigger as the database has it",
        "review the new behaviour and roll it out in a reviewed manual migration",
    )

    def check(self, change, ctx):
        return self.finding(change, Verdict.REFUSE, f"changing trigger {change.after.name} changes what every "
                            "write to the table does")
