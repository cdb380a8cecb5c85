"""The names a change creates in a schema's relation namespace (and among its
types), and the names a model already holds there: what SD901 compares."""

from __future__ import annotations

from .. import changes as c
from ..model import Schema, Table
from ..normalize import serial_sequence


def _table_names(t: Table) -> list[tuple[str, str, str]]:
    """(name, catalog kind, what) of everything CREATE TABLE t puts in the
    namespace besides t: the indexes of its primary key and unique constraints,
    its indexes, the sequences of its serial columns."""
    out = []
    if t.primary_key is not None:
        out.append((t.primary_key.name, "index", f"the index of primary key {t.primary_key.name}"))
    out += [(u.name, "index", f"the index of unique constraint {u.name}") for u in t.uniques]
    out += [(i.name, "index", f"index {i.name}") for i in t.indexes]
    out += [(serial_sequence(t.name, col.name), "sequence", f"the sequence of serial column {col.name}")
            for col in t.columns if col.serial]
    return out


def names_taken(schema: Schema) -> dict[tuple[str, str], str]:
    """What a model holds in each schema's namespace, worded as for the catalog's names."""
    taken: dict[tuple[str, str], str] = {}
    for t in schema.tables:
        taken[(t.schema, t.name)] = f"table {t.schema}.{t.name}"
        for name, kind, _ in _table_names(t):
            on = f" on {t.schema}.{t.name}" if kind == "index" else ""
            taken[(t.schema, name)] = f"{kind} {t.schema}.{name}{on}"
    for e in schema.enums:
        taken[(e.schema, e.name)] = f"enum type {e.schema}.{e.name}"
    for s in schema.sequences:
        taken[(s.schema, s.name)] = f"sequence {s.schema}.{s.name}"
    for fn in schema.functions:
        taken[(fn.schema, signature_key(fn.name, [a.type for a in fn.args]))] = f"function {fn.display()}"
    for v in schema.views:
        taken[(v.schema, v.name)] = f"{v.kind} {v.schema}.{v.name}"
        for ix in v.indexes:
            taken[(v.schema, ix.name)] = f"index {v.schema}.{ix.name} on {v.schema}.{v.name}"
    return taken


def signature_key(name: str, types) -> str:
    """A function's key among the taken names: its name with its argument types as
    ``format_type(oid, NULL)`` prints them (functions live in their own namespace,
    where the signature is the identity)."""
    return f"{name}({', '.join(types)})"


def names_created(change: c.Change) -> list[tuple[str, str, str]]:
    """(schema, name, what) for each name ``change`` creates in a namespace."""
    if isinstance(change, c.AddTable):
        t = change.table
        return [(t.schema, t.name, f"table {t.schema}.{t.name} (and its row type)")] + [
            (t.schema, name, f"{what} of new table {t.schema}.{t.name}") for name, _, what in _table_names(t)]
    if isinstance(change, c.AddEnum):
        e = change.enum
        return [(e.schema, e.name, f"enum type {e.schema}.{e.name}")]
    if isinstance(change, c.AddSequence):
        s = change.sequence
        return [(s.schema, s.name, f"sequence {s.schema}.{s.name}")]
    if isinstance(change, c.AddIndex):
        return [(change.table.schema, change.index.name, f"index {change.index.name} on {change.table}")]
    if isinstance(change, c.AddPrimaryKey):
        pk = change.primary_key
        return [(change.table.schema, pk.name, f"the index of primary key {pk.name} on {change.table}")]
    if isinstance(change, c.AddUnique):
        u = change.unique
        return [(change.table.schema, u.name, f"the index of unique constraint {u.name} on {change.table}")]
    if isinstance(change, c.AddView):
        v = change.view
        return [(v.schema, v.name, f"{v.kind} {v.schema}.{v.name} (and its row type)")] + [
            (v.schema, ix.name, f"index {ix.name} of new {v.kind} {v.schema}.{v.name}") for ix in v.indexes]
    if isinstance(change, c.AddFunction):
        fn = change.function
        return [(fn.schema, signature_key(fn.name, [a.type for a in fn.args]), f"function {fn.display()}")]
    if isinstance(change, c.AddColumn) and change.column.serial:
        t = change.table
        return [(t.schema, serial_sequence(t.name, change.column.name),
                 f"the sequence of serial column {change.column.name} on {t}")]
    return []


def clashes(change: c.Change, ctx) -> list[str]:
    """What each name ``change`` would create meets in ``ctx.taken``, worded for
    a message; empty when every name is free. An additive rule stays silent on a
    change with a clash: SD901 refuses it."""
    return [f"{what} would take the name {name!r}, held by {ctx.taken[(schema, name)]}"
            for schema, name, what in names_created(change) if (schema, name) in ctx.taken]
