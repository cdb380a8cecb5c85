"""Issue 13 items that had no test of their own: a leftover NOT NULL column whose
stored default is NULL (``NULL::character varying``, what ORMs write) breaks every
writer exactly like one without a default, so it is refused with SD410 (it was
kept as drift, exit 0); SD410's message and safe path give the expand/contract
path."""

from __future__ import annotations

import pytest

from .conftest import run_cli, write_spec

SPEC = {"schemadiff.yaml": "version: 1\n", "tables/t.yaml": "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"}


@pytest.mark.parametrize("column,shown", [
    ("code varchar(10) NOT NULL DEFAULT NULL::character varying", "with the default NULL::character varying"),
    ("code text NOT NULL DEFAULT NULL::varchar", "with the default NULL::character varying"),
    ("code text NOT NULL", "without a default"),
])
def test_a_leftover_required_column_is_refused_with_the_expand_contract_path(pg, db, tmp_path, column, shown):
    assert pg.run_psql(db, sql=f"CREATE TABLE t (id integer PRIMARY KEY, {column})").returncode == 0
    assert pg.run_psql(db, sql="INSERT INTO t (id) VALUES (1)").returncode != 0  # what every writer would meet
    spec = write_spec(tmp_path / "spec", SPEC)
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 3, result
    assert "SD410" in result.out, result.out
    assert f"column code is NOT NULL {shown} in the database but not in the spec" in result.out, result.out
    for step in ("keep the column in the spec for now", "give it a default or DROP NOT NULL; deploy",
                 "then remove it from the spec (it becomes drift, kept)"):
        assert step in result.out, (step, result.out)


def test_a_leftover_column_with_a_real_default_stays_drift(pg, db, tmp_path):
    assert pg.run_psql(db, sql="CREATE TABLE t (id integer PRIMARY KEY, "
                               "code varchar(10) NOT NULL DEFAULT ''::character varying)").returncode == 0
    spec = write_spec(tmp_path / "spec", SPEC)
    result = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode", "--format", "json")
    assert result.code == 0, result
    assert '"code": "SD302"' in result.out and "SD410" not in result.out
