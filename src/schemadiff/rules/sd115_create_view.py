from ..changes import AddView
from .base import Rule, Verdict, register
from .names import clashes
from .sd704_view_bypasses_rls import rls_tables_read


@register
class CreateView(Rule):
    """A new view is additive: it stores no data and nothing reads it yet (unless
    it would read a table with row level security with its owner's rights: SD704).

    Bad: (nothing: always allowed)
    Good: ``views/active_customers.yaml`` -> ``CREATE VIEW … AS SELECT …``.
    """

    code, name, category, changes = "SD115", "create-view", "additive", (AddView,)

    def check(self, change, ctx):
        if change.view.materialized:
            return None  # SD116
        if clashes(change, ctx):
            return None  # a name already taken: SD901
        if rls_tables_read(change.view, ctx):
            return None  # SD704: it would read a table's rows past its policies
        return self.finding(change, Verdict.ADD, "a new view holds no data and is read by nothing yet")
