from ..changes import AddView
from .base import Rule, Verdict, register
from .sd704_view_bypasses_rls import rls_tables_read


@register
class MaterializedViewBypassesRls(Rule):
    """A materialized view stores the rows its query returns when it is
    refreshed, and ``REFRESH`` runs the query as the view's owner (usually the
    table's owner, whom row level security does not bind). It has no row level
    security of its own and no ``security_invoker``: every reader granted the
    view sees every row stored, including the rows a table's policies hide from
    them. Judged for the tables it names and those it reads through views (any
    view: a ``security_invoker`` view inside it is invoked by the owner too);
    the message names the path (``public.mv -> public.v1 -> public.care``).

    Bad: ``materialized: true`` with ``query: SELECT c.id FROM public.care c`` over ``care`` with
    ``rls: {enabled: true}``.
    Good: a plain view with ``security_invoker: true`` over the table, or a materialized view of
    tables without row level security.
    """

    code, name, category, changes = "SD705", "materialized-view-bypasses-rls", "authorization", (AddView,)
    safe_path = (
        "make it a plain view with `security_invoker: true` (PostgreSQL 15 and later): the table's policies "
        "apply to every reader",
        "or keep the materialized view to tables without row level security (aggregates with no tenant's rows)",
    )

    def check(self, change, ctx):
        if not change.view.materialized:
            return None
        hit = rls_tables_read(change.view, ctx)
        if not hit:
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"it reads {', '.join(hit)}, which row level security guards, as its owner at each "
                            "REFRESH and stores the rows: every reader of the materialized view would see the rows "
                            "the policies hide")
