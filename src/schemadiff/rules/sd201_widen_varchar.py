from ..changes import AlterColumnType
from .base import Rule, Verdict, register
from .column_users import blockers, rechecked, view_readers
from .facts import is_varchar_widening


@register
class WidenVarchar(Rule):
    """``varchar(n)`` to a longer ``varchar``, unbounded ``varchar`` or ``text`` is a
    lossless widening: no rewrite, no index rebuild, every value still fits.

    Bad: ``varchar(255)`` -> ``varchar(100)`` (narrowing, SD304).
    Good: ``varchar(50)`` -> ``varchar(100)`` or ``text``.
    """

    code, name, category, changes = "SD201", "widen-varchar", "widening", (AlterColumnType,)

    def check(self, change, ctx):
        table = ctx.current.table(change.table)
        if ctx.catalog.column_users.get((change.table, change.column)) or (
                table is not None and (blockers(table, change.column) or rechecked(table, change.column)
                                       or (not ctx.from_database
                                           and view_readers(ctx.current.views, table, change.column)))):
            return None  # PostgreSQL refuses the ALTER, or re-checks what uses the column under its lock: SD611
        if is_varchar_widening(change.before, change.after):
            return self.finding(change, Verdict.WIDEN, "every existing value still fits; no rewrite")
        return None
