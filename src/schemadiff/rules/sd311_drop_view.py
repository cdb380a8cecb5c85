from ..changes import DropView
from .base import Rule, Verdict, register


@register
class DropViewRule(Rule):
    """Removing a view or a materialized view breaks every query, report and view that reads it.

    Bad: deleting a view file.
    Good: keep it in the spec until nothing reads it.
    """

    code, name, category, changes = "SD311", "drop-view", "destructive", (DropView,)
    safe_path = (
        "keep the view file in the spec",
        "move every reader (queries, reports, other views) off it first",
        "drop it in a reviewed manual migration",
    )

    def check(self, change, ctx):
        if ctx.from_database:
            return self.finding(change, Verdict.DRIFT, f"{change.view.kind} {change.view.qualified} is in the "
                                "database, not in the spec; kept")
        return self.finding(change, Verdict.REFUSE, f"dropping a {change.view.kind} breaks whatever reads it")
