from ..changes import AddColumn
from .base import Rule, Verdict, register


@register
class NotNullWithoutDefault(Rule):
    """A NOT NULL column without a default cannot be added to a table with rows, and
    breaks every existing writer that does not send it.

    Bad: ``customer_id: {type: text, nullable: false}`` on an existing table.
    Good: ``customer_id: text`` (nullable), or a constant ``default:``.
    """

    code, name, category, changes = "SD503", "not-null-without-default", "tightening", (AddColumn,)

    def check(self, change, ctx):
        col = change.column
        if col.nullable or col.default is not None or col.identity is not None or col.generated is not None:
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"NOT NULL column {col.name} without a default breaks existing rows and writers")
