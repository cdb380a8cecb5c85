from ..changes import AddView
from .base import Rule, Verdict, register
from .names import clashes
from .sd704_view_bypasses_rls import rls_tables_read


@register
class CreateMaterializedView(Rule):
    """A new materialized view is additive when it is created ``WITH NO DATA``:
    the migration runs nothing of its query (which may read every row of every
    table it names, for as long as that takes), and its indexes are built on the
    empty view in the same transaction, where no other session sees them. It
    cannot be read until it is filled: plan lists ``REFRESH MATERIALIZED VIEW``
    as a follow-up you run when you choose; schemadiff never runs it. (A
    materialized view that reads a table with row level security: SD705.)

    Bad: ``CREATE MATERIALIZED VIEW … AS SELECT …`` filled inside the migration
    (it holds its locks for as long as the query runs).
    Good: ``views/daily_totals.yaml`` with ``materialized: true`` ->
    ``CREATE MATERIALIZED VIEW … WITH NO DATA``, then ``REFRESH MATERIALIZED VIEW …`` when you choose.
    """

    code, name, category, changes = "SD116", "create-materialized-view", "additive", (AddView,)

    def check(self, change, ctx):
        if not change.view.materialized:
            return None  # SD115
        if clashes(change, ctx) or rls_tables_read(change.view, ctx):
            return None  # SD901, SD705
        n = len(change.view.indexes)
        return self.finding(change, Verdict.ADD, "created WITH NO DATA" + (
            f", with {n} index{'es' if n != 1 else ''} built on the empty view" if n else "")
            + ": nothing reads it yet and its query does not run; REFRESH it when you choose")
