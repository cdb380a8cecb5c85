from ..changes import SetComment, SetFunctionComment
from .base import Rule, Verdict, register


@register
class CommentRule(Rule):
    """Comments are documentation: setting or changing one is allowed. A comment
    in the database that the spec does not give is drift (kept).

    Bad: (nothing refused)
    Good: ``comment: Current C.A.R.E. state`` -> ``COMMENT ON TABLE … IS '…'``.
    """

    code, name, category, changes = "SD108", "comment", "additive", (SetComment, SetFunctionComment)

    def check(self, change, ctx):
        if change.after is None:
            if ctx.from_database:
                return self.finding(change, Verdict.DRIFT, "a comment in the database that the spec does not give; kept")
            return self.finding(change, Verdict.ADD, "removing a comment loses no data")
        return self.finding(change, Verdict.ADD, "comments change no data and no behaviour")
