"""Storage parameters and UNLOGGED: spec -> SQL -> database -> import, exact; judged
changes on existing objects; the allowlist holds against hostile keys and values."""

from __future__ import annotations

import pytest

from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec


def _psql(pg, db, sql):
    result = pg.run_psql(db, sql=sql)
    assert result.returncode == 0, result.stderr


def _spec(tmp_path, name, table_yaml: str):
    return write_spec(tmp_path / name, {"schemadiff.yaml": "version: 1\n", "tables/t.yaml": table_yaml})


def _import(pg, db, tmp_path, name="imported"):
    out = tmp_path / name
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    return out


DDL = """
CREATE UNLOGGED TABLE t (
  id integer PRIMARY KEY,
  body text,
  tags text[],
  at timestamptz
) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.05, autovacuum_enabled = off,
        vacuum_index_cleanup = true, log_autovacuum_min_duration = -1, toast.autovacuum_enabled = false,
        toast_tuple_target = 0x100);
CREATE INDEX t_body ON t (body) WITH (fillfactor = 70, deduplicate_items = off);
CREATE INDEX t_tags ON t USING gin (tags) WITH (fastupdate = off, gin_pending_list_limit = 128);
CREATE INDEX t_at ON t USING brin (at) WITH (pages_per_range = 32, autosummarize = on);
"""


def test_storage_parameters_and_unlogged_import_exactly_and_replan_to_nothing(pg, db, tmp_path):
    _psql(pg, db, DDL)
    out = _import(pg, db, tmp_path)
    text = (out / "tables" / "t.yaml").read_text()
    assert "unlogged: true" in text
    table = load_spec(out).schema.tables[0]
    assert table.unlogged
    assert dict(table.storage) == {
        "autovacuum_enabled": False, "autovacuum_vacuum_scale_factor": 0.05, "fillfactor": 80,
        "log_autovacuum_min_duration": -1, "toast.autovacuum_enabled": False, "toast_tuple_target": 256,
        "vacuum_index_cleanup": "on"}
    indexes = {ix.name: dict(ix.storage) for ix in table.indexes}
    assert indexes == {"t_at": {"autosummarize": True, "pages_per_range": 32},
                       "t_body": {"deduplicate_items": False, "fillfactor": 70},
                       "t_tags": {"fastupdate": False, "gin_pending_list_limit": 128}}
    again = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again
    # and the spec makes the same database from nothing
    db2 = pg.create_database()
    try:
        applied = run_cli("apply", str(out), "--db", pg.dsn(db2), "--yes")
        assert applied.code == 0, applied
        assert _import(pg, db2, tmp_path, "second").joinpath("tables", "t.yaml").read_text() == text
    finally:
        pg.drop_database(db2)
