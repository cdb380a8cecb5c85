from ..changes import AddIndex
from .facts_speccalls import spec_code_run
from .base import Rule, Verdict, register
from .names import clashes
from .facts import new_null_columns
from .facts_matviews import existing_matview


@register
class AddIndexRule(Rule):
    """A new index is additive. On an existing table it is built with
    ``CREATE INDEX CONCURRENTLY`` outside a transaction, so writes are never blocked.

    A new index of an existing materialized view is built the same way. A unique one
    fails on duplicate rows the view holds: the build stops, the index is left INVALID,
    and the next plan rebuilds it (SD111) once the view's rows are unique.

    Bad: a plain ``CREATE INDEX`` on a busy table (blocks writes for the whole build).
    Good: ``indexes: {lead_customer_id_idx: [customer_id]}`` -> ``CREATE INDEX CONCURRENTLY …``.
    """

    code, name, category, changes = "SD107", "add-index", "additive", (AddIndex,)

    def check(self, change, ctx):
        if spec_code_run(change, ctx):
            return None  # runs the spec's code over existing rows: SD607
        if clashes(change, ctx):
            return None  # a name already taken: SD901
        if existing_matview(change.table, ctx):
            note = "; a unique index fails on duplicate rows, leaving it INVALID (SD111)" if change.index.unique else ""
            return self.finding(change, Verdict.ADD, "built concurrently on the materialized view: reads and "
                                f"REFRESH CONCURRENTLY go on during the build{note}")
        if change.index.unique:
            columns = [e.column for e in change.index.elements]
            if not (all(columns) and new_null_columns(change.table, columns, ctx)):
                return None  # a tightening: SD505
        return self.finding(change, Verdict.ADD, "built concurrently: reads and writes go on during the build")
