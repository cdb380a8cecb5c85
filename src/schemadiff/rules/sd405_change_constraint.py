from ..changes import (
    DropCheck, DropForeignKey, DropPrimaryKey, DropUnique, ReplaceCheck, ReplaceForeignKey, ReplaceUnique,
)
from .base import Rule, Verdict, register
from .facts import is_check_widening


@register
class ChangeConstraintRule(Rule):
    """Changing or dropping a constraint removes a guarantee readers rely on (or, for
    a changed one, may reject rows existing writers send). A constraint in the
    database that the spec does not give is drift, kept.

    Bad: ``state IN ('a', 'b', 'c')`` -> ``state IN ('a', 'b')``; removing a unique.
    Good: widen a CHECK list to a superset (SD202); add new constraints on new columns (SD109).
    """

    code, name, category, changes = "SD405", "change-constraint", "breaking", (
        DropCheck, DropForeignKey, DropPrimaryKey, DropUnique, ReplaceCheck, ReplaceForeignKey, ReplaceUnique)
    safe_path = (
        "keep the constraint as it is; a CHECK list may grow to a superset (SD202)",
        "for a new rule: add a new constraint under a new name (NOT VALID, then VALIDATE)",
        "drop the old one in a reviewed manual migration, then remove it from the spec",
    )

    def check(self, change, ctx):
        if isinstance(change, ReplaceCheck):
            table = ctx.desired.table(change.table) or ctx.current.table(change.table)
            types = {c.name: c.type for c in table.columns} if table else {}
            if is_check_widening(change.before.expression, change.after.expression, types):
                return None
            return self.finding(change, Verdict.REFUSE, f"check {change.after.name} would reject rows it accepts today")
        if isinstance(change, (ReplaceForeignKey, ReplaceUnique)):
            return self.finding(change, Verdict.REFUSE, f"changing {change.after.name} drops the guarantee in force")
        name = {DropCheck: lambda c: c.check.name, DropForeignKey: lambda c: c.foreign_key.name,
                DropPrimaryKey: lambda c: c.primary_key.name, DropUnique: lambda c: c.unique.name}[type(change)](change)
        if ctx.from_database:
            return self.finding(change, Verdict.DRIFT, f"constraint {name} is in the database, not in the spec; kept")
        return self.finding(change, Verdict.REFUSE, f"dropping {name} removes a guarantee readers rely on")
