from ..changes import SetLogged
from .base import Rule, Verdict, register


@register
class SetLoggedRule(Rule):
    """Switching an existing table between LOGGED and UNLOGGED rewrites it under
    ACCESS EXCLUSIVE (SET LOGGED also writes every row to the WAL): nothing reads or
    writes it meanwhile. And an UNLOGGED table is emptied after a crash and is not
    replicated: making one unlogged silently changes what survives.

    Bad: ``unlogged: true`` added to an existing table (or removed from one).
    Good: decide when the table is created (``unlogged: true`` on a new table is additive).
    """

    code, name, category, changes = "SD604", "set-logged", "rewrite", (SetLogged,)
    safe_path = (
        "decide LOGGED or UNLOGGED when the table is created",
        "to switch an existing table: create a new table as wanted, copy the rows, and swap the two in a "
        "reviewed migration",
        "or run ALTER TABLE … SET LOGGED|UNLOGGED in a maintenance window: it rewrites the table under "
        "ACCESS EXCLUSIVE",
    )

    def check(self, change, ctx):
        if change.unlogged:
            return self.finding(change, Verdict.REFUSE, "SET UNLOGGED rewrites the table under ACCESS EXCLUSIVE, "
                                                        "and its rows would no longer survive a crash")
        return self.finding(change, Verdict.REFUSE, "SET LOGGED rewrites the table under ACCESS EXCLUSIVE and "
                                                    "writes all of it to the WAL")
