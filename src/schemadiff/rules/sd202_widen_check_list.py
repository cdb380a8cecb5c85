from ..changes import ReplaceCheck
from .base import Rule, Verdict, register
from .facts import is_check_widening


@register
class WidenCheckList(Rule):
    """A ``CHECK (col IN (...))`` whose list grows to a superset is a widening: every
    row that passed still passes. It is why the seeds chose TEXT + CHECK over ENUM.
    The constraint is replaced ``NOT VALID`` in one statement, then validated.

    Bad: ``state IN ('a', 'b', 'c')`` -> ``state IN ('a', 'b')`` (narrowing, SD405).
    Good: ``state IN ('a', 'b')`` -> ``state IN ('a', 'b', 'c')``.
    """

    code, name, category, changes = "SD202", "widen-check-list", "widening", (ReplaceCheck,)

    def check(self, change, ctx):
        table = ctx.desired.table(change.table) or ctx.current.table(change.table)
        types = {c.name: c.type for c in table.columns} if table else {}
        if is_check_widening(change.before.expression, change.after.expression, types):
            return self.finding(change, Verdict.WIDEN, "the allowed list is a superset: every existing row passes")
        return None
