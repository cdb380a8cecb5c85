from ..changes import AddColumn
from .base import Rule, Verdict, register


@register
class DomainColumnRewrite(Rule):
    """A new column of a domain type with a CHECK or NOT NULL (its own or a base
    domain's) added to an existing table: PostgreSQL checks every existing row
    against the domain, so it rewrites the whole table under an ACCESS EXCLUSIVE
    lock (measured on PostgreSQL 15 and 18: the table gets a new file, whatever the
    default), and the ADD fails there if the default (or NULL) violates the domain.
    So does a domain whose own default is volatile (``DEFAULT gen_random_uuid()``)
    for a column without a default of its own: every row gets its own value, a
    rewrite (SD601's case, hidden in the type). A domain without constraints and
    with a constant default, or none, is a plain alias and stays additive (SD106).

    Only ``plan`` can tell: the domain lives in the database (``external: types``),
    so ``check``, which compares two specs, does not judge it.

    Bad: ``score: public.positive_int`` added to an existing table, where
    ``CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0)``.
    Good: ``score: integer`` (nullable) now, backfilled, then a ``check:`` added
    in a reviewed migration (NOT VALID, then VALIDATE); or the domain column in a new table.
    """

    code, name, category, changes = "SD610", "domain-column-rewrite", "rewrite", (AddColumn,)
    safe_path = (
        "add {column} with the domain's base type, nullable, without the domain",
        "backfill the existing rows of {table} in batches",
        "add the domain's rule as a CHECK on {column} in a reviewed migration: NOT VALID, then VALIDATE CONSTRAINT "
        "in its own transaction (SHARE UPDATE EXCLUSIVE: writes go on)",
    )

    def check(self, change, ctx):
        if change.table in ctx.new_tables:
            return None
        col = change.column
        domain = ctx.catalog.constrained_domains.get(col.type)
        if domain is not None:
            return self.finding(change, Verdict.REFUSE,
                                f"column {col.name} is of {domain}: PostgreSQL checks every existing row "
                                "against it, rewriting the table under an exclusive lock")
        default = ctx.catalog.volatile_domain_defaults.get(col.type)
        if default is not None and col.default is None and col.identity is None and col.generated is None:
            return self.finding(change, Verdict.REFUSE,
                                f"column {col.name} is of domain {col.type}, whose volatile default {default} gives "
                                "every existing row its own value: a rewrite of the table under an exclusive lock")
        return None
