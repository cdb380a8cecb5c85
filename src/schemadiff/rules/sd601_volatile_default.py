from ..changes import AddColumn
from .base import Rule, Verdict, register


@register
class VolatileDefault(Rule):
    """A column with a volatile default (``gen_random_uuid()``, ``random()``,
    ``clock_timestamp()``) added to an existing table rewrites every row under an
    ACCESS EXCLUSIVE lock. Stable defaults such as ``now()`` do not.

    A new ``serial`` column is one: every existing row gets ``nextval()``.

    So is a default calling any function outside ``pg_catalog`` (an external
    function), whatever volatility it declares: PostgreSQL runs a non-volatile
    default once at ADD COLUMN and a volatile one per row, so its body runs in the
    migration either way, and a declared IMMUTABLE is only its author's claim. A
    function the catalog lacks (one the plan creates) counts as volatile too.

    Bad: ``token: {type: uuid, default: gen_random_uuid()}`` on a big existing table;
    ``seq: bigserial`` added to an existing table; ``x: {type: integer, default:
    public.f()}`` added to an existing table.
    Good: a nullable column, filled in batches by the application.
    """

    code, name, category, changes = "SD601", "volatile-default", "rewrite", (AddColumn,)
    safe_path = (
        "add {column} nullable, without the default",
        "backfill the existing rows of {table} in batches (e.g. 10 000 rows per UPDATE)",
        "set the default for new rows in a reviewed migration (ALTER TABLE {table} ALTER COLUMN {column} SET "
        "DEFAULT …: no rewrite)",
    )

    def check(self, change, ctx):
        col = change.column
        if col.serial:  # nextval() of its new sequence, once per existing row
            return self.finding(change, Verdict.REFUSE,
                                f"serial column {col.name} fills every existing row with the next value of its "
                                "sequence: a rewrite of the table under an exclusive lock")
        if col.default is None or not ctx.is_volatile(col.default):
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"volatile default {col.default} rewrites every row of the table under an exclusive lock")
