from ..changes import AlterColumnKind
from .base import Rule, Verdict, register


@register
class AlterColumnKindRule(Rule):
    """Changing a column's identity, generated expression or collation rewrites or
    reindexes the table and changes what clients read or may write.

    Bad: adding ``identity: always`` to an existing column; changing ``collation: C``.
    Good: add a new column with the new definition.
    """

    code, name, category, changes = "SD408", "alter-column-kind", "breaking", (AlterColumnKind,)

    def check(self, change, ctx):
        return self.finding(change, Verdict.REFUSE, f"changing the {change.aspect} of {change.column} rewrites or changes behaviour")
