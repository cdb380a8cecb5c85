"""A whole schema -> the DDL that creates it in an empty database.

Order: extensions, schemas, enums, sequences, tables in foreign-key order (a foreign key
whose target is created later, or that closes a cycle, is added after all
tables, then sequences' OWNED BY), functions, then indexes, the foreign keys that
reference a unique index (not a key), row level security, policies, triggers, comments. Ties are broken
by qualified name, so the same model always gives byte-identical SQL.
"""

from __future__ import annotations

import heapq

from ..model import ForeignKey, QualifiedName, Schema, Table
from ..spec.views import view_order
from . import ddl, fnorder, routines, sequences, views
from .statements import Statement
from .verify import PIN_STRINGS


def table_order(tables: tuple[Table, ...]) -> list[Table]:
    """Tables with every managed FK target before its referrer where possible.

    Kahn's algorithm over the managed tables, always taking the smallest ready
    name (a heap); when only cycles remain, the smallest remaining table goes
    next and its forward references become ALTER TABLE statements. Linear in
    tables and foreign keys, up to the heap's log.
    """
    by_name = {t.qualified: t for t in tables}
    waiting: dict[QualifiedName, set[QualifiedName]] = {}  # table -> targets not placed yet
    referrers: dict[QualifiedName, list[QualifiedName]] = {q: [] for q in by_name}
    for t in tables:
        targets = {k.ref_table for k in t.foreign_keys if k.ref_table in by_name and k.ref_table != t.qualified}
        waiting[t.qualified] = targets
        for target in targets:
            referrers[target].append(t.qualified)
    ready = [q for q, targets in waiting.items() if not targets]
    heapq.heapify(ready)
    by_order = sorted(by_name)  # for the smallest remaining, when only cycles are left
    smallest = 0
    placed: set[QualifiedName] = set()
    out: list[Table] = []
    while len(out) < len(by_name):
        if ready:
            chosen = heapq.heappop(ready)
        else:
            while by_order[smallest] in placed:
                smallest += 1
            chosen = by_order[smallest]
        out.append(by_name[chosen])
        placed.add(chosen)
        for referrer in referrers[chosen]:
            targets = waiting[referrer]
            if chosen in targets:
                targets.discard(chosen)
                if not targets and referrer not in placed:
                    heapq.heappush(ready, referrer)
    return out


def has_key(table: Table, columns: tuple[str, ...], *, indexes: bool) -> bool:
    """Is ``columns`` (as a set, as PostgreSQL matches a foreign key's) the primary key
    or a unique constraint of ``table`` — or, with ``indexes``, a valid unique index on
    plain columns with no WHERE?"""
    wanted = set(columns)
    keys = ([set(table.primary_key.columns)] if table.primary_key else []) + [set(u.columns) for u in table.uniques]
    if indexes:
        keys += [{e.column for e in ix.elements} for ix in table.indexes
                 if ix.unique and ix.valid and ix.where is None and all(e.column for e in ix.elements)]
    return wanted in keys


def needs_index(fk: ForeignKey, target: Table | None) -> bool:
    """Does ``fk`` reference a unique *index* of ``target`` (a table created with it)
    rather than its primary key or a unique constraint? Then it can only be added once
    that index exists: after the indexes."""
    return target is not None and not has_key(target, fk.ref_columns, indexes=False)


def compile_schema(schema: Schema) -> list[Statement]:
    out: list[Statement] = []
    out += [ddl.create_extension(x) for x in schema.extensions]
    out += [ddl.create_schema(s) for s in schema.schemas]
    out += [ddl.create_enum(e) for e in schema.enums]
    out += [sequences.create_sequence(s) for s in schema.sequences]  # before the defaults that call nextval()

    placed = fnorder.place(schema.functions, schema.tables, schema.views)
    # Functions a table's default, generated column or CHECK calls: before the tables.
    out += [stmt for fn in placed[fnorder.BEFORE_TABLES] for stmt in routines.function_statements(fn)]
    created: set[QualifiedName] = set()
    deferred: list[tuple[Table, ForeignKey]] = []
    after_indexes: list[tuple[Table, ForeignKey]] = []  # those that reference a unique index
    for t in table_order(schema.tables):
        inline = []
        for fk in t.foreign_keys:
            if needs_index(fk, schema.table(fk.ref_table)):
                after_indexes.append((t, fk))
            elif fk.ref_table in created or fk.ref_table == t.qualified or schema.table(fk.ref_table) is None:
                inline.append(fk)
            else:
                deferred.append((t, fk))
        out.append(ddl.create_table(t, inline))
        created.add(t.qualified)
    out += [ddl.add_foreign_key(t, fk) for t, fk in deferred]
    out += [sequences.owned_by(s) for s in schema.sequences if s.owned_by is not None]
    # Functions after the tables (a SQL function's body is checked against them when
    # created) and before the views, indexes, triggers and policies that call them;
    # those no view calls after the views (their bodies may read one): compile.fnorder.
    out += [stmt for fn in placed[fnorder.BEFORE_VIEWS] for stmt in routines.function_statements(fn)]
    # Views after the tables and functions they read, each after the views it reads.
    out += [stmt for v in view_order(schema.views) for stmt in views.view_statements(v)]
    out += [stmt for fn in placed[fnorder.AFTER_VIEWS] for stmt in routines.function_statements(fn)]

    tables = schema.tables  # sorted by qualified name
    parts = [table_extras(t) for t in tables]
    out += [stmt for extras in parts for k, _, stmt in extras if k == "index"]
    out += [ddl.add_foreign_key(t, fk) for t, fk in after_indexes]
    for kind in ("rls", "policy", "trigger"):
        out += [stmt for extras in parts for k, _, stmt in extras if k == kind]
    out += [ddl.comment_on_type(e) for e in schema.enums if e.comment is not None]
    out += [sequences.comment_on_sequence(s) for s in schema.sequences if s.comment is not None]
    out += [stmt for extras in parts for k, _, stmt in extras if k == "comment"]
    return out


def table_extras(t: Table) -> list[tuple[str, str, Statement]]:
    """What follows a CREATE TABLE: (kind, detail, statement) for its indexes,
    row level security, policies and comments, in that order."""
    out: list[tuple[str, str, Statement]] = []
    out += [("index", f"index {ix.name}", ddl.create_index(t, ix)) for ix in t.indexes]
    if t.rls_enabled:
        out.append(("rls", "row level security", ddl.enable_rls(t)))
    if t.rls_forced:
        out.append(("rls", "forced row level security", ddl.force_rls(t)))
    out += [("policy", f"policy {p.name}", ddl.create_policy(t, p)) for p in t.policies]
    out += [("trigger", f"trigger {tr.name}", stmt) for tr in t.triggers for stmt in routines.trigger_statements(t, tr)]
    if t.comment is not None:
        out.append(("comment", "comment on the table", ddl.comment_on_table(t)))
    out += [("comment", f"comment on column {c.name}", ddl.comment_on_column(t, c))
            for c in t.columns if c.comment is not None]
    out += [("comment", f"comment on index {ix.name}", ddl.comment_on_index(t, ix))
            for ix in t.indexes if ix.comment is not None]
    out += ddl.member_comments(t)
    return out


def render_script(statements: list[Statement], header: str | None = None) -> str:
    """Statements as a psql-runnable script: one per paragraph, each ended by ';'."""
    parts = []
    if header:
        parts.append("\n".join(f"-- {line}" if line else "--" for line in header.splitlines()))
    parts += [PIN_STRINGS] + [s.sql + ";" for s in statements]
    return "\n\n".join(parts) + "\n"
