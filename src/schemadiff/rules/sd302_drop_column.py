from ..changes import DropColumn
from .base import Rule, Verdict, register


@register
class DropColumnRule(Rule):
    """Dropping a column destroys its data and breaks every reader and writer of it.

    Bad: removing ``email:`` from a table file.
    Good: keep the column; make it nullable in a reviewed manual migration if it must go.
    """

    code, name, category, changes = "SD302", "drop-column", "destructive", (DropColumn,)

    def check(self, change, ctx):
        if ctx.from_database:
            return self.finding(change, Verdict.DRIFT, f"column {change.column.name} is in the database, not in the spec; kept")
        return self.finding(change, Verdict.REFUSE, f"dropping column {change.column.name} destroys its data")
