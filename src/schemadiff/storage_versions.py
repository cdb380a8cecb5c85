"""Storage parameters the target server does not have yet (``storage.Param.since``):
found at plan time, each at its spec line, instead of failing apply on the
server's ``unrecognized parameter``."""

from __future__ import annotations

from . import changes as c
from . import storage
from .model import Schema


def _relations(schema: Schema):
    """(table, index name or None, kind, storage pairs) of every relation the spec gives parameters."""
    for t in schema.tables:
        yield t, None, storage.HEAP, t.storage
        if t.primary_key is not None:
            yield t, t.primary_key.name, "btree", t.primary_key.storage
        for u in t.uniques:
            yield t, u.name, "btree", u.storage
        for ix in t.indexes:
            yield t, ix.name, ix.method, ix.storage


def unknown_to_server(desired: Schema, server_major: int, server_version: str) -> list[tuple[c.Change, str]]:
    """(change, message) for each spec storage parameter introduced after ``server_major``."""
    out: list[tuple[c.Change, str]] = []
    for t, index, kind, pairs in _relations(desired):
        for key, value in pairs:
            p = storage.param(kind, key)
            if p is None or p.since <= server_major:
                continue
            where = f"table {t.qualified.schema}.{t.qualified.name}" if index is None \
                else f"index {index} of table {t.qualified.schema}.{t.qualified.name}"
            out.append((c.SetStorageParameter(t.qualified, index, kind, key, None, value),
                        f"storage parameter {key} of {where}: the server (PostgreSQL {server_version}) does not "
                        f"have it; PostgreSQL {p.since} introduced it"))
    return out
