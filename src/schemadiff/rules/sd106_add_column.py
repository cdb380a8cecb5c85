from ..changes import AddColumn
from .facts_speccalls import spec_code_run
from .base import Rule, Verdict, register


@register
class AddColumnRule(Rule):
    """A nullable column, or one with a constant default, is additive: existing rows
    read NULL or the default without a table rewrite, existing writers are unaffected.

    Bad: ``customer_id: {type: text, nullable: false}`` on an existing table (SD503).
    Good: ``customer_id: text`` or ``opt_out: {type: boolean, nullable: false, default: false}``.
    """

    code, name, category, changes = "SD106", "add-column", "additive", (AddColumn,)

    def check(self, change, ctx):
        if spec_code_run(change, ctx):
            return None  # runs the spec's code over existing rows: SD607
        col = change.column
        if col.generated is not None or col.identity is not None or col.serial:
            return None
        if col.default is not None and ctx.is_volatile(col.default):
            return None
        if col.type in ctx.catalog.constrained_domains or (
                col.default is None and col.type in ctx.catalog.volatile_domain_defaults):
            return None  # every existing row is checked against the domain, or gets its own value: SD610
        if not col.nullable and col.default is None:
            return None
        why = "nullable: existing rows read NULL" if col.nullable and col.default is None else \
            "a constant default: existing rows read it without a rewrite"
        return self.finding(change, Verdict.ADD, why)
