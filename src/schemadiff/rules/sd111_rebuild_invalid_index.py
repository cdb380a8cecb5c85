from ..changes import RebuildInvalidIndex
from .base import Rule, Verdict, register


@register
class RebuildInvalidIndexRule(Rule):
    """An INVALID index (left by a failed ``CREATE INDEX CONCURRENTLY``) serves no
    query; it is dropped concurrently and built again. This is the one DROP a plan
    may hold, and it loses nothing: an invalid index is not used for reads, and its
    definition is the spec's.

    Bad: (nothing refused)
    Good: a build interrupted by a deadlock or a cancel is finished by the next apply.
    """

    code, name, category, changes = "SD111", "rebuild-invalid-index", "additive", (RebuildInvalidIndex,)

    def check(self, change, ctx):
        return self.finding(change, Verdict.ADD, "an invalid index serves no query; rebuilt concurrently")
