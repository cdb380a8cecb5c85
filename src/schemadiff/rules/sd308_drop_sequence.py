from ..changes import DropSequence
from .base import Rule, Verdict, register


@register
class DropSequenceRule(Rule):
    """Dropping a sequence breaks every default that calls ``nextval()`` on it
    and loses its current value. A sequence in the database that the spec does
    not describe is drift (kept); removing one from the spec is refused.

    Bad: deleting a sequence from `sequences:` in schemadiff.yaml.
    Good: keep it in the spec; stop using it first.
    """

    code, name, category, changes = "SD308", "drop-sequence", "destructive", (DropSequence,)
    safe_path = (
        "keep the sequence in the spec; a spec change never drops one",
        "stop every default and application query that calls nextval() on it, and deploy that",
        "drop it, if it must go, in a reviewed manual migration — then remove it from the spec",
    )

    def check(self, change, ctx):
        if ctx.from_database:
            return self.finding(change, Verdict.DRIFT, "a sequence in the database that the spec does not "
                                                       "describe; kept")
        return self.finding(change, Verdict.REFUSE, "dropping a sequence breaks every nextval() default on it "
                                                    "and loses its current value")
