from ..changes import DropExtension
from .base import Rule, Verdict, register


@register
class DropExtensionRule(Rule):
    """Dropping an extension drops its types and functions, and what uses them.

    Bad: removing ``citext`` from ``extensions:``.
    Good: keep it.
    """

    code, name, category, changes = "SD306", "drop-extension", "destructive", (DropExtension,)
    safe_path = (
        "keep the extension in the spec",
        "stop using its types and functions; drop it in a reviewed manual migration",
    )

    def check(self, change, ctx):
        if ctx.from_database:
            return self.finding(change, Verdict.UNMANAGED, "not described by the spec; never touched")
        return self.finding(change, Verdict.REFUSE, "dropping an extension drops its objects")
