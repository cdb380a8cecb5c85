from ..changes import AddIndex, AddPrimaryKey, AddUnique
from .base import Rule, Verdict, register
from .facts import new_null_columns
from .facts_matviews import existing_matview


@register
class KeyOnExistingColumns(Rule):
    """A new UNIQUE (constraint or unique index) or PRIMARY KEY on an existing table
    fails on duplicates already stored and rejects writers that send them — unless
    every column is added by the same plan with no default (all NULL: no duplicates).

    Bad: ``unique: [[email]]`` or ``indexes: {x: {columns: [email], unique: true}}``
    added to a table with rows; a unique column added with ``default: "'none'"``.
    Good: a unique key on nullable columns added in the same change (SD109).
    """

    code, name, category, changes = "SD505", "key-on-existing-columns", "tightening", (AddPrimaryKey, AddUnique, AddIndex)
    safe_path = (
        "remove the duplicates in {table}, in batches",
        "CREATE UNIQUE INDEX CONCURRENTLY {constraint} ON {table} ({columns}) (writes go on), outside a transaction",
        "ALTER TABLE {table} ADD CONSTRAINT {constraint} UNIQUE / PRIMARY KEY USING INDEX {constraint} (brief lock)",
        "then add the key to the spec",
    )

    def check(self, change, ctx):
        if isinstance(change, AddIndex):
            if not change.index.unique or existing_matview(change.table, ctx):
                return None  # a materialized view has no writers to reject: SD107
            columns = [e.column for e in change.index.elements]
            name = change.index.name
            if all(columns) and new_null_columns(change.table, columns, ctx):
                return None
            columns = [c for c in columns if c] or ["(expressions)"]
        elif isinstance(change, AddUnique):
            columns, name = list(change.unique.columns), change.unique.name
            if new_null_columns(change.table, columns, ctx):
                return None
        else:
            columns, name = list(change.primary_key.columns), change.primary_key.name
        old = [c for c in columns if (change.table, c) not in ctx.new_columns]
        where = f"existing column(s) {', '.join(old)}" if old else f"new column(s) {', '.join(columns)} with a default"
        return self.finding(change, Verdict.REFUSE, f"{name} on {where} fails on duplicates and rejects writers")
