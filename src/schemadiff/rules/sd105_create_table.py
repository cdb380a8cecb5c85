from ..changes import AddTable
from .base import Rule, Verdict, register
from .names import clashes


@register
class CreateTable(Rule):
    """A new table, with its own constraints, indexes, RLS and policies, is additive:
    it is empty, so its indexes and constraints are built the simple way.

    Bad: (nothing: always allowed)
    Good: a new ``tables/customer_care_state.yaml`` -> ``CREATE TABLE …``.
    """

    code, name, category, changes = "SD105", "create-table", "additive", (AddTable,)

    def check(self, change, ctx):
        if clashes(change, ctx):
            return None  # a name already taken: SD901
        return self.finding(change, Verdict.ADD, "a new table holds no rows and no client depends on it")
