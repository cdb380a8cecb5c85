from ..changes import AddColumn
from .base import Rule, Verdict, register


@register
class ConstrainedDomainColumn(Rule):
    """A new column of a domain type with a CHECK or NOT NULL (its own or a base
    domain's) added to an existing table: PostgreSQL checks every existing row
    against the domain, so it rewrites the whole table under an ACCESS EXCLUSIVE
    lock (measured on PostgreSQL 15 and 18: the table gets a new file, whatever the
    default), and the ADD fails there if the default (or NULL) violates the domain.
    A domain without constraints is a plain alias and stays additive (SD106).

    Only ``plan`` can tell: the domain lives in the database (``external: types``),
    so ``check``, which compares two specs, does not judge it.

    Bad: ``score: public.positive_int`` added to an existing table, where
    ``CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0)``.
    Good: ``score: integer`` (nullable) now, backfilled, then a ``check:`` added
    in a reviewed migration (NOT VALID, then VALIDATE); or the domain column in a new table.
    """

    code, name, category, changes = "SD610", "constrained-domain-column", "rewrite", (AddColumn,)
    safe_path = (
        "add {column} with the domain's base type, nullable, without the domain",
        "backfill the existing rows of {table} in batches",
        "add the domain's rule as a CHECK on {column} in a reviewed migration: NOT VALID, then VALIDATE CONSTRAINT "
        "in its own transaction (SHARE UPDATE EXCLUSIVE: writes go on)",
    )

    def check(self, change, ctx):
        if change.table in ctx.new_tables:
            return None
        domain = ctx.catalog.constrained_domains.get(change.column.type)
        if domain is None:
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"column {change.column.name} is of {domain}: PostgreSQL checks every existing row "
                            "against it, rewriting the table under an exclusive lock")
