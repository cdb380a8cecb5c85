from ..changes import DropColumn
from .base import Rule, Verdict, register


@register
class DropColumnRule(Rule):
    """Dropping a column destroys its data and breaks every reader and writer of it.

    Bad: removing ``email:`` from a table file.
    Good: keep the column; make it nullable in a reviewed manual migration if it must go.
    """

    code, name, category, changes = "SD302", "drop-column", "destructive", (DropColumn,)
    safe_path = (
        "keep the column in the spec (expand/contract: stop using it before it goes)",
        "stop reading and writing it in the application, and deploy that",
        "if writers must be able to leave it out: give it a default or drop its NOT NULL in a reviewed migration",
        "drop it, if it must go, in a reviewed manual migration — then remove it from the spec",
    )

    def check(self, change, ctx):
        if ctx.from_database:
            return self.finding(change, Verdict.DRIFT, f"column {change.column.name} is in the database, not in the spec; kept")
        return self.finding(change, Verdict.REFUSE, f"dropping column {change.column.name} destroys its data")
