from ..changes import AddIndex
from .base import Rule, Verdict, register


@register
class AddIndexRule(Rule):
    """A new index is additive. On an existing table it is built with
    ``CREATE INDEX CONCURRENTLY`` outside a transaction, so writes are never blocked.

    Bad: a plain ``CREATE INDEX`` on a busy table (blocks writes for the whole build).
    Good: ``indexes: {lead_customer_id_idx: [customer_id]}`` -> ``CREATE INDEX CONCURRENTLY …``.
    """

    code, name, category, changes = "SD107", "add-index", "additive", (AddIndex,)

    def check(self, change, ctx):
        return self.finding(change, Verdict.ADD, "built concurrently: reads and writes go on during the build")
