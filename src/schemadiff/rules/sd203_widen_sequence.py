from ..changes import AlterSequence
from .base import Rule, Verdict, register
from .facts_sequences import incompatible


@register
class WidenSequence(Rule):
    """Options of a sequence that every writer survives: a wider type, a higher
    ``maxvalue`` or lower ``minvalue``, a bigger (or smaller) ``cache``, another
    step in the same direction, another ``start`` (read only by a RESTART, which
    schemadiff never writes), an owner where there was none. The current value
    is never moved: no ``RESTART``, no ``setval``.

    Bad: ``maxvalue: 1000`` -> ``maxvalue: 100`` (tightening, SD411).
    Good: ``type: integer`` -> ``type: bigint``; ``cache: 1`` -> ``cache: 20``.
    """

    code, name, category, changes = "SD203", "widen-sequence", "widening", (AlterSequence,)

    def check(self, change, ctx):
        if incompatible(change.before, change.after, change.changed):
            return None  # SD411
        return self.finding(change, Verdict.WIDEN, "every value it can hand out today it can still hand out; "
                                                   "its current value is not moved")
