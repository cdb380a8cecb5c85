from ..changes import AddCheck, AddColumn, AddIndex
from .base import Rule, Verdict, register
from .facts_speccalls import spec_code_run


@register
class SpecCodeInMigration(Rule):
    """The plan never runs the spec's own code. An expression on an existing table
    that calls a function of the spec would run that function's body inside the
    migration, over the rows the table already holds:

    - the default of a column added to an existing table (PostgreSQL computes it
      at ``ADD COLUMN``: once, or once per row if VOLATILE);
    - a generated column added to an existing table (computed for every row);
    - a CHECK added to an existing table (``VALIDATE`` evaluates it per row);
    - an index expression or predicate on an existing table (the build evaluates
      it per row).

    A declared volatility is only its author's claim; the body is code the
    migration would run with the migration's rights. A policy calling a spec
    function is fine (it runs at query time, as the querying role), and so is
    anything on a new table (no rows; see "Functions" in docs/spec.md for the
    one constant an index's build may fold).

    Bad: ``level: {type: integer, default: public.default_level()}`` added to an
    existing table; ``checks: ["public.valid_code(code)"]`` on an existing table.
    Good: the column nullable without the default, backfilled by the application,
    then the default set in a reviewed migration; or the expression on a new table.
    """

    code, name, category, changes = "SD607", "spec-code-in-migration", "rewrite", (AddColumn, AddCheck, AddIndex)
    safe_path = (
        "leave the call to a spec function out of the expression on {table}",
        "run what it computes in a reviewed migration or from the application, in batches",
        "or put the expression on a new table, or in a policy (evaluated at query time)",
    )

    def check(self, change, ctx):
        what = spec_code_run(change, ctx)
        if what is None:
            return None
        return self.finding(change, Verdict.REFUSE, f"{what}: the migration would run its body over the existing rows")
