from ..changes import TABLE_MEMBER_KINDS, SetComment, SetFunctionComment
from ..identifiers import quote_ident
from .base import Rule, Verdict, register


def _member(change) -> str:
    """``constraint t_check``, ``policy p``, ``trigger tr``, ``column c``: the member of a
    table or view a comment is on, as a prefix of the reason (the finding's object is the
    table or view). A name from the database is quoted when it needs it, control
    characters shown escaped, so it cannot forge a line of the report."""
    if not isinstance(change, SetComment) or change.column is None \
            or change.kind not in ("column",) + TABLE_MEMBER_KINDS:
        return ""
    name = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in quote_ident(change.column))
    return f"{change.kind} {name}: "


@register
class CommentRule(Rule):
    """Comments are documentation: setting or changing one is allowed. A comment
    in the database that the spec does not give is drift (kept); on a column,
    constraint, policy or trigger, the finding names it.

    Bad: (nothing refused)
    Good: ``comment: Current C.A.R.E. state`` -> ``COMMENT ON TABLE … IS '…'``.
    """

    code, name, category, changes = "SD108", "comment", "additive", (SetComment, SetFunctionComment)

    def check(self, change, ctx):
        if change.after is None:
            if ctx.from_database:
                return self.finding(change, Verdict.DRIFT, _member(change)
                                    + "a comment in the database that the spec does not give; kept")
            return self.finding(change, Verdict.ADD, "removing a comment loses no data")
        return self.finding(change, Verdict.ADD, "comments change no data and no behaviour")
