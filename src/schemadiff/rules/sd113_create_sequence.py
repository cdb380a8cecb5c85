from ..changes import AddSequence
from .base import Rule, Verdict, register
from .names import clashes


@register
class CreateSequence(Rule):
    """A new sequence is additive: nothing uses it yet (a new table's default
    may call it; the plan creates the sequence first).

    Bad: (nothing: always allowed)
    Good: ``sequences: {order_no: {start: 1000}}`` -> ``CREATE SEQUENCE public.order_no …``.
    """

    code, name, category, changes = "SD113", "create-sequence", "additive", (AddSequence,)

    def check(self, change, ctx):
        if clashes(change, ctx):
            return None  # a name already taken: SD901
        return self.finding(change, Verdict.ADD, "a new sequence is used by nothing yet")
