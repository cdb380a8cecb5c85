from ..changes import AlterColumnKind
from .base import Rule, Verdict, register


@register
class AlterColumnKindRule(Rule):
    """Changing a column's identity, generated expression, collation or serial-ness
    rewrites or reindexes the table and changes what clients read or may write. A
    serial column owns its sequence: turning it into a plain integer or an identity
    column (or an integer into serial) changes the value every writer that leaves the
    column out gets, and drops, orphans or creates a sequence.

    Bad: adding ``identity: always`` to an existing column; changing ``collation: C``;
    ``id: {type: serial}`` becoming ``{type: integer, identity: by default}``.
    Good: add a new column with the new definition.
    """

    code, name, category, changes = "SD408", "alter-column-kind", "breaking", (AlterColumnKind,)
    safe_path = (
        "add a new column with the new definition, beside the old one (expand)",
        "write both in the application; backfill the new one in batches; switch readers",
        "retire the old column in a reviewed migration (contract)",
    )

    def check(self, change, ctx):
        if change.aspect == "serial":
            return self.finding(change, Verdict.REFUSE,
                                f"changing {change.column} from {change.before} to {change.after} changes where its "
                                "values come from (a serial column owns its sequence and defaults to its next value); "
                                "add a new column instead")
        return self.finding(change, Verdict.REFUSE, f"changing the {change.aspect} of {change.column} rewrites or changes behaviour")
