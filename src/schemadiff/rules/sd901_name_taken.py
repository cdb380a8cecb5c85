from ..changes import (AddColumn, AddEnum, AddFunction, AddIndex, AddPrimaryKey, AddSequence, AddTable, AddUnique,
                       AddView)
from .base import Rule, Verdict, register
from .names import clashes


@register
class NameTaken(Rule):
    """A name the plan would create — a table (and its row type), a view or materialized
    view (and its row type) and a materialized view's indexes, an enum, an index,
    the index of a primary key or unique constraint, the sequence of a serial
    column — is already taken in its schema by another object: a table, index,
    sequence, view or type, managed by the spec or not. PostgreSQL refuses the
    statement (``relation … already exists``) halfway through the apply, or, for a
    serial's sequence, silently picks another name the spec does not say.

    Likewise a function the plan creates whose signature (name and argument types)
    the database already has, as a routine schemadiff does not read (one with a
    setting besides search_path, OUT arguments, a procedure or aggregate…): CREATE
    fails, and a migration file's rollback (DROP FUNCTION) would drop the one that
    was there.

    Bad: a spec creates ``account`` with index ``user_email_idx`` while the database
    still holds that index on ``legacy_user`` (a table renamed without its indexes).
    Good: name the new index differently, or rename the old one first (a reviewed
    migration: ``ALTER INDEX user_email_idx RENAME TO legacy_user_email_idx``).
    """

    code, name, category = "SD901", "name-taken", "conflict"
    changes = (AddTable, AddEnum, AddIndex, AddPrimaryKey, AddUnique, AddColumn, AddSequence, AddFunction, AddView)
    safe_path = (
        "find the object that holds the name (the refusal names it): often an index or sequence a renamed "
        "table left behind",
        "choose another name in the spec (name: on the index or constraint), or rename the existing object in "
        "a reviewed migration of its own (ALTER INDEX … RENAME TO …)",
        "plan again: the name is free and the new object is added",
    )

    def check(self, change, ctx):
        found = clashes(change, ctx)
        if not found:
            return None
        return self.finding(change, Verdict.REFUSE,
                            "; ".join(found) + ": PostgreSQL refuses a second object of that name in the schema; "
                            "choose another name, or rename the existing object first (a reviewed migration)")
