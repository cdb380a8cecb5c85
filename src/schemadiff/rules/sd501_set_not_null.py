from ..changes import SetNotNull
from .base import Rule, Verdict, register


@register
class SetNotNullRule(Rule):
    """SET NOT NULL on an existing column scans the table under an ACCESS EXCLUSIVE
    lock and rejects writers that send NULL — seed 002's "Batch 2" step.

    Bad: ``customer_id: text`` -> ``customer_id: {type: text, nullable: false}``.
    Good: keep it nullable; enforce in the application, or run a reviewed manual
    migration (CHECK … NOT VALID, VALIDATE, then SET NOT NULL).
    """

    code, name, category, changes = "SD501", "set-not-null", "tightening", (SetNotNull,)

    def check(self, change, ctx):
        return self.finding(change, Verdict.REFUSE,
                            f"SET NOT NULL on {change.column} locks the table for a full scan and rejects writers sending NULL")
