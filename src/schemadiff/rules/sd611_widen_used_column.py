from ..changes import AlterColumnType
from .base import Rule, Verdict, register
from .column_users import blockers, rechecked, view_readers
from .facts import is_varchar_widening


@register
class WidenUsedColumn(Rule):
    """Widening a ``varchar`` (SD201) is refused by PostgreSQL itself when a view, a
    materialized view, a rule, a policy, a trigger (``UPDATE OF`` or ``WHEN``), a
    publication's row filter or a generated column uses the column: "cannot alter
    type of a column used by a view or rule" (the same on PostgreSQL 15 and 18).
    ``apply`` would fail there. And where PostgreSQL takes it, it still re-checks
    what uses the column under the ALTER's ACCESS EXCLUSIVE lock: a CHECK on the
    column is validated again (a full scan of the table), an index with an
    expression or predicate on it is rebuilt. Both are refused, naming what uses
    the column. A plain index on the column, a key or a foreign key is no obstacle:
    nothing is rebuilt or scanned (measured on 15 and 18: same files, no scan).

    ``plan`` reads what uses the column from the live catalog (``pg_depend``),
    objects the spec does not manage included; ``check`` sees what the spec itself
    holds (its views, and the table's policies, triggers, generated columns, CHECKs
    and indexes), not what only the database has.

    Bad: ``name: text`` where ``name`` was ``varchar(50)`` and ``CREATE VIEW v AS SELECT name FROM t`` reads it.
    Bad: ``code: varchar(20)`` where ``code`` was ``varchar(10)`` with ``check: length(code) > 2``.
    Good: the same widening on a column nothing else uses; or, in a reviewed
    migration, drop the view, widen, recreate the view, in one transaction.
    """

    code, name, category, changes = "SD611", "widen-used-column", "breaking", (AlterColumnType,)
    safe_path = (
        "keep {column} as it is; add a new, wider column beside it (nullable) and backfill it in batches",
        "give the new column what used {column}, each the safe way: a CHECK NOT VALID then VALIDATE CONSTRAINT, "
        "an index CONCURRENTLY, views, policies and triggers in a reviewed migration",
        "move readers and writers to the new column; or instead, in a reviewed migration and one transaction, drop "
        "what uses {column} (named above), ALTER TABLE {table} ALTER COLUMN {column} TYPE the wider type, and "
        "create it again",
    )

    def check(self, change, ctx):
        if not is_varchar_widening(change.before, change.after):
            return None
        table = ctx.current.table(change.table)
        users = set(ctx.catalog.column_users.get((change.table, change.column), ()))
        users |= set(blockers(table, change.column)) if table is not None else set()
        if table is not None and not ctx.from_database:  # against a database, pg_depend said it exactly
            users |= set(view_readers(ctx.current.views, table, change.column))
        if users:
            users = sorted(users)
            return self.finding(change, Verdict.REFUSE,
                                f"PostgreSQL cannot change the type of column {change.column} while "
                                f"{', '.join(users)} use{'s' if len(users) == 1 else ''} it")
        again = rechecked(table, change.column) if table is not None else []
        if again:
            return self.finding(change, Verdict.REFUSE,
                                f"changing the type of column {change.column} holds an exclusive lock on the table "
                                f"while PostgreSQL re-checks {', '.join(again)}")
        return None
