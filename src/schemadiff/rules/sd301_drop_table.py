from ..changes import DropTable
from .base import Rule, Verdict, register


@register
class DropTableRule(Rule):
    """Dropping a table destroys its data. A table the spec removed is refused;
    a table in the database the spec never described is not schemadiff's.

    Bad: deleting ``tables/lead.yaml`` from the spec.
    Good: keep the file; stop using the table in the application first.
    """

    code, name, category, changes = "SD301", "drop-table", "destructive", (DropTable,)
    safe_path = (
        "keep the table's file in the spec; a spec change never drops a table",
        "stop every reader and writer of the table in the application, and deploy that",
        "drop it, if it must go, in a reviewed manual migration after a backup — then remove its file",
    )

    def check(self, change, ctx):
        if ctx.from_database:
            return self.finding(change, Verdict.UNMANAGED, "not described by the spec; never touched")
        return self.finding(change, Verdict.REFUSE, "dropping a table destroys its rows")
