from ..changes import AlterSequence
from .base import Rule, Verdict, register
from .facts_sequences import incompatible


@register
class ChangeSequence(Rule):
    """Options of a sequence that can break writers or repeat values: a
    narrower type, a lower ``maxvalue`` or higher ``minvalue``, a step in the
    other direction, ``cycle`` switched either way, another owner or none.

    Bad: ``increment: 1`` -> ``increment: -1``; ``cycle: false`` -> ``cycle: true``.
    Good: ``maxvalue`` raised, ``cache`` raised (SD203).
    """

    code, name, category, changes = "SD411", "change-sequence", "breaking", (AlterSequence,)
    safe_path = (
        "keep the sequence's options as they are in the spec",
        "if the values must change, create a new sequence with the new options (additive), "
        "point the column's default at it in a reviewed migration, and keep the old one until nothing uses it",
        "never lower the current value or bounds below values already handed out: "
        "unique keys would start failing",
    )

    def check(self, change, ctx):
        reasons = incompatible(change.before, change.after, change.changed)
        if not reasons:
            return None
        return self.finding(change, Verdict.REFUSE, "; ".join(reasons))
