from ..changes import DropEnum
from .base import Rule, Verdict, register


@register
class DropEnumRule(Rule):
    """Dropping an enum type breaks every column and function that uses it.

    Bad: deleting an enum from schemadiff.yaml.
    Good: keep it.
    """

    code, name, category, changes = "SD305", "drop-enum", "destructive", (DropEnum,)
    safe_path = (
        "keep the type in the spec",
        "stop using it in every column and function; drop it in a reviewed manual migration",
    )

    def check(self, change, ctx):
        if ctx.from_database:
            return self.finding(change, Verdict.UNMANAGED, "not described by the spec; never touched")
        return self.finding(change, Verdict.REFUSE, "dropping a type breaks what uses it")
