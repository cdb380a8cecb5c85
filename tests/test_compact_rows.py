"""The columns, constraints and indexes queries are read as compact rows: the
model introspected is the same as with a dict per row, on a real server."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from schemadiff.introspect import read
from schemadiff.introspect.rows import Row

from .conftest import EXAMPLES, ROOT, run_cli


def _introspect(dsn: str, monkeypatch, compact: frozenset):
    monkeypatch.setattr(read, "_COMPACT", compact)
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
    compact = _introspect(pg.dsn(db), monkeypatch, read._COMPACT)
    as_dicts = _introspect(pg.dsn(db), monkeypatch, frozenset())
    assert compact == as_dicts
    tables = compact.schema.tables
    assert tables and all(t.columns for t in tables) and any(t.indexes or t.checks for t in tables)


def test_row_reads_by_name_as_a_dict_does():
    row = Row({"a": 0, "b": 1}, (1, None))
    assert (row["a"], row["b"], row.get("b", 5), row.get("c"), row.get("c", 5)) == (1, None, None, None, 5)
    with pytest.raises(KeyError):
        row["c"]
