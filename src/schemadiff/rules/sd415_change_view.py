from ..changes import ReplaceView
from .base import Rule, Verdict, register


@register
class ChangeViewRule(Rule):
    """A changed view query or option changes what every reader gets, at once.
    Queries are compared as the server prints them (a change of spacing, case or
    casts is no change). Appending columns at the end is the one change
    ``CREATE OR REPLACE VIEW`` accepts; it is refused too: readers of ``SELECT *``
    and positional clients see a new column, and the old query is replaced whole.

    The same holds for a materialized view: a changed query, or a view made materialized
    or plain (the view would be dropped and rebuilt, empty until its next REFRESH). Its
    indexes alone are judged as a table's: a new one is added (SD107), a changed one
    refused (SD404).

    Bad: editing the ``WHERE`` of a view.
    Good: a new view under a new name (additive), readers moved to it.
    """

    code, name, category, changes = "SD415", "change-view", "breaking", (ReplaceView,)
    safe_path = (
        "keep the view as it is, and add the new query as a new view (SD115, additive)",
        "move its readers to the new view, then retire the old one in a reviewed manual migration",
    )

    def check(self, change, ctx):
        return self.finding(change, Verdict.REFUSE, f"changing the {', '.join(change.aspects)} of "
                            f"{change.after.kind} {change.after.qualified} changes what every reader gets")
