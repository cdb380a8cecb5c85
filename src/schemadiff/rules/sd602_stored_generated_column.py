from ..changes import AddColumn
from .base import Rule, Verdict, register


@register
class StoredGeneratedColumn(Rule):
    """A stored generated column (or an identity column) added to an existing table
    computes a value for every row: a full rewrite under an ACCESS EXCLUSIVE lock.

    Bad: ``total: {type: numeric, generated: "price * quantity"}`` on an existing table.
    Good: compute it in a view or the application; or a nullable column filled in batches.
    """

    code, name, category, changes = "SD602", "stored-generated-column", "rewrite", (AddColumn,)
    safe_path = (
        "compute the value in a view or the application, or",
        "add a nullable plain column and fill it in batches; keep it current with the application",
    )

    def check(self, change, ctx):
        col = change.column
        if col.generated is None and col.identity is None:
            return None
        what = "generated" if col.generated is not None else "identity"
        return self.finding(change, Verdict.REFUSE, f"a new {what} column {col.name} rewrites every row")
