from ..changes import AddView
from .base import Rule, Verdict, register


@register
class CreateView(Rule):
    """A new view is additive: it stores no data and nothing reads it yet.

    Bad: (nothing: always allowed)
    Good: ``views/active_customers.yaml`` -> ``CREATE VIEW … AS SELECT …``.
    """

    code, name, category, changes = "SD115", "create-view", "additive", (AddView,)

    def check(self, change, ctx):
        return self.finding(change, Verdict.ADD, "a new view holds no data and is read by nothing yet")
