"""The columns, constraints and indexes queries are read as compact rows (a named
tuple per row): the model introspected is the same as from an object per row that
holds the values in a dict, on a real server."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from schemadiff.introspect import read
from psycopg.rows import dict_row

from schemadiff.introspect.rows import compact_row

from .conftest import EXAMPLES, ROOT, run_cli


class _DictRow:
    """A row as an object with a ``__dict__``: the values as ``dict_row`` reads them."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


def _dict_objects(cursor):
    make = dict_row(cursor)
    return lambda values: _DictRow(make(values))


def _introspect(dsn: str, monkeypatch, factory):
    monkeypatch.setattr(read, "compact_row", factory)
    with psycopg.connect(dsn, autocommit=True) as conn:
        return read.introspect(conn, read.user_schemas(conn))


def _load(pg, db, source: str) -> None:
    if source == "synthetic":
        sql = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "synth.py"), "30"], capture_output=True,
                             text=True, check=True).stdout
        assert pg.run_psql(db, sql=sql).returncode == 0
    else:  # the example's prerequisites, then its spec applied: its tables, checks, indexes, policies
        assert pg.run_psql(db, file=EXAMPLES / source / "prerequisites.sql").returncode == 0
        assert run_cli("apply", str(EXAMPLES / source / "schema"), "--db", pg.dsn(db), "--yes").code == 0


@pytest.mark.parametrize("source", ["synthetic"] + sorted(p.parent.name for p in EXAMPLES.glob("*/prerequisites.sql")))
def test_compact_rows_give_the_same_model(pg, db, monkeypatch, source):
    _load(pg, db, source)
    compact = _introspect(pg.dsn(db), monkeypatch, compact_row)
    as_dicts = _introspect(pg.dsn(db), monkeypatch, _dict_objects)
    assert compact == as_dicts
    tables = compact.schema.tables
    assert tables and all(t.columns for t in tables) and any(t.indexes or t.checks for t in tables)


def test_rows_are_tuples(pg):
    """One tuple per row, no dict: what keeps 10,000 tables' rows small."""
    with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
        with conn.cursor(row_factory=compact_row) as cur:
            row = cur.execute("SELECT 1 AS a, NULL::text AS b").fetchone()
    assert isinstance(row, tuple) and not hasattr(row, "__dict__")
    assert (row.a, row.b) == (1, None)
    with pytest.raises(AttributeError):
        row.c
