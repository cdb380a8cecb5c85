from ..changes import AddCheck, AddForeignKey, AddUnique
from .facts_speccalls import spec_code_run
from .base import Rule, Verdict, register
from .names import clashes
from .facts import new_null_columns


@register
class ConstraintOnNewColumns(Rule):
    """A constraint on an existing table is additive when every column it involves
    is added by the same plan: no existing row or writer can violate it. CHECK and
    FOREIGN KEY are added ``NOT VALID`` and validated in a separate transaction;
    UNIQUE is built as a concurrent unique index, then attached ``USING INDEX``.
    UNIQUE and FOREIGN KEY also need the new columns to have no default: a default
    gives every existing row the same value (duplicates, dangling references).

    Bad: a CHECK on a column that already holds data (SD502).
    Good: ``onboarding_tier: {type: integer, default: 0, check: "onboarding_tier BETWEEN 0 AND 3"}``
    added to ``user_profiles`` in one change.
    """

    code, name, category, changes = "SD109", "constraint-on-new-columns", "additive", (AddCheck, AddForeignKey, AddUnique)

    def check(self, change, ctx):
        if spec_code_run(change, ctx):
            return None  # runs the spec's code over existing rows: SD607
        if clashes(change, ctx):
            return None  # a name already taken: SD901
        columns = _columns(change, ctx)
        if columns is None or not all((change.table, c) in ctx.new_columns for c in columns):
            return None
        if isinstance(change, (AddUnique, AddForeignKey)) and not new_null_columns(change.table, columns, ctx):
            return None  # a default gives every existing row the same value: duplicates, dangling references
        return self.finding(change, Verdict.ADD, "it involves only columns this plan adds")


def _columns(change, ctx):
    from ..expressions import parse_expression, references
    if isinstance(change, AddCheck):
        refs = references(parse_expression(change.check.expression)).columns
        return {r[-1] for r in refs}
    if isinstance(change, AddForeignKey):
        return set(change.foreign_key.columns)
    return set(change.unique.columns)
