from ..changes import DropTrigger
from .base import Rule, Verdict, register


@register
class DropTriggerRule(Rule):
    """Removing a trigger silently stops what it did on every write (an ``updated_at``
    that stops moving, an audit row no longer written).

    Bad: deleting a trigger from its table's file.
    Good: keep it in the spec.
    """

    code, name, category, changes = "SD310", "drop-trigger", "destructive", (DropTrigger,)
    safe_path = (
        "keep the trigger in its table's file",
        "make sure nothing depends on what it does, then drop it in a reviewed manual migration",
    )

    def check(self, change, ctx):
        if ctx.from_database:
            return self.finding(change, Verdict.DRIFT, f"trigger {change.trigger.name} is in the database, not in "
                                "the spec; kept")
        return self.finding(change, Verdict.REFUSE, f"dropping trigger {change.trigger.name} stops what it does "
                            "on every write")
