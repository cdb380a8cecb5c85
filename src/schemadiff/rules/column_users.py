"""What uses a column, as the current model shows it (no catalog needed, so ``check``
knows it too): the objects that make PostgreSQL refuse ``ALTER COLUMN TYPE``, and
those it re-checks or rebuilds under the ALTER's ACCESS EXCLUSIVE lock (SD611)."""

from __future__ import annotations

import json

from pglast.parser import ParseError, parse_sql_json

from ..expressions import ExpressionError, parse_expression, references
from ..model import Table, View


def _uses(expression: str | None, column: str, qualified: bool = False) -> bool:
    """Whether ``expression`` names ``column`` (``NEW.column``/``OLD.column`` too when ``qualified``)."""
    if expression is None:
        return False
    try:
        refs = references(parse_expression(expression)).columns
    except ExpressionError:
        return True  # cannot tell: say it may (the refusal names it, a reviewer decides)
    return any(r[-1] == column and (len(r) == 1 or qualified) for r in refs)


def blockers(table: Table, column: str) -> list[str]:
    """Policies, triggers and generated columns of ``table`` that use ``column``:
    PostgreSQL refuses to change its type while they do."""
    out = [f"policy {p.name} on table {table.qualified}" for p in table.policies
           if _uses(p.using, column) or _uses(p.with_check, column)]
    out += [f"trigger {tr.name} on table {table.qualified}" for tr in table.triggers
            if column in tr.columns or _uses(tr.when, column, qualified=True)]
    out += [f"generated column {col.name} of {table.qualified}" for col in table.columns
            if col.name != column and _uses(col.generated, column)]
    return out


def rechecked(table: Table, column: str) -> list[str]:
    """What PostgreSQL re-checks or rebuilds when the column's type changes, even by a
    varchar widening (measured on 15 and 18): a validated CHECK that uses it is
    validated again (a full scan), an index with an expression or a predicate on it is
    rebuilt. A plain index on the column, a key or a foreign key is kept as it is."""
    out = [f"check {x.name} (validated again: a full scan)" for x in table.checks
           if x.validated and _uses(x.expression, column)]
    out += [f"index {ix.name} (an expression or predicate on {column}: rebuilt)" for ix in table.indexes
            if _uses(ix.where, column) or any(_uses(e.expression, column) for e in ix.elements)]
    return out


def view_readers(views: tuple[View, ...], table: Table, column: str) -> list[str]:
    """The spec's views that read ``table`` and name a column ``column`` (a view of the
    spec lists its columns: ``*`` is a load error). A same-named column of another table
    the view reads counts too: the refusal names the view, a reviewer decides. For
    ``check``; against a database the catalog (``pg_depend``) says it exactly."""
    out = []
    for v in views:
        try:
            tree = json.loads(parse_sql_json(v.query))
        except ParseError:
            continue
        reads, names = False, False
        todo = [tree]
        while todo:
            node = todo.pop()
            if isinstance(node, list):
                todo.extend(node)
            elif isinstance(node, dict):
                if node.get("relname") == table.name and node.get("schemaname", table.schema) == table.schema:
                    reads = True
                ref = node.get("ColumnRef")
                if isinstance(ref, dict):
                    fields = ref.get("fields") or ()
                    if fields and (fields[-1].get("String") or {}).get("sval") == column:
                        names = True
                todo.extend(x for x in node.values() if isinstance(x, (dict, list)))
        if reads and names:
            out.append(f"view {v.schema}.{v.name}")
    return out
