from ..changes import AlterColumnType
from .base import Rule, Verdict, register
from .facts import is_varchar_widening


@register
class WidenUsedColumn(Rule):
    """Widening a ``varchar`` (SD201) is refused by PostgreSQL itself when a view, a
    materialized view, a rule, a policy, a trigger (``UPDATE OF`` or ``WHEN``) or a
    generated column uses the column: "cannot alter type of a column used by a view
    or rule" (the same on PostgreSQL 15 and 18). ``apply`` would fail there, so
    ``plan`` refuses it, naming what uses the column. An index on the column is no
    obstacle: a varchar widening rebuilds no index (measured: same file before and after).

    Only ``plan`` can tell: what uses a column is read from the live catalog
    (``pg_depend``), including objects the spec does not manage; ``check``, which
    compares two specs, does not judge it.

    Bad: ``name: text`` where ``name`` was ``varchar(50)`` and ``CREATE VIEW v AS SELECT name FROM t`` reads it.
    Good: the same widening on a column nothing else uses; or, in a reviewed
    migration, drop the view, widen, recreate the view, in one transaction.
    """

    code, name, category, changes = "SD611", "widen-used-column", "breaking", (AlterColumnType,)
    safe_path = (
        "in a reviewed migration, in one transaction: drop what uses {column} (named above), "
        "ALTER TABLE {table} ALTER COLUMN {column} TYPE the wider type, and create it again",
        "or keep {column} as it is and add a new, wider column beside it",
    )

    def check(self, change, ctx):
        if not is_varchar_widening(change.before, change.after):
            return None
        users = ctx.catalog.column_users.get((change.table, change.column))
        if not users:
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"PostgreSQL cannot change the type of column {change.column} while "
                            f"{', '.join(users)} use{'s' if len(users) == 1 else ''} it")
