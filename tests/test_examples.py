"""Every example: validates, compiles to its reviewed golden SQL, and that SQL
runs on a real PostgreSQL where the seed's own checks (smoke.sql) hold."""

from __future__ import annotations

import os
import shutil

import pytest

from .conftest import EXAMPLES, ROOT, run_cli

GOLDEN = ROOT / "tests" / "golden" / "sql"
UPDATE = os.environ.get("SCHEMADIFF_UPDATE_GOLDEN") == "1"

NAMES = sorted(p.parent.parent.name for p in EXAMPLES.glob("*/schema/schemadiff.yaml"))


def test_all_four_seed_examples_exist():
    assert {"customer_care", "memory_entities", "engagement", "escalation_calls"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_validates_without_warnings(name):
    result = run_cli("validate", f"examples/{name}/schema")
    assert result.code == 0, result
    assert "warning" not in result.err, result.err


@pytest.mark.parametrize("name", NAMES)
def test_example_sql_matches_golden(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run_cli("sql", f"examples/{name}/schema")
    assert result.code == 0, result
    golden = GOLDEN / f"{name}.sql"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(result.out, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; run with SCHEMADIFF_UPDATE_GOLDEN=1 and review it"
    assert result.out == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_example_sql_is_deterministic_whatever_the_file_order(name, tmp_path):
    """Byte-identical output when the table files are read in another order."""
    first = run_cli("sql", str(EXAMPLES / name / "schema"))
    copy = tmp_path / "schema"
    shutil.copytree(EXAMPLES / name / "schema", copy)
    tables = sorted((copy / "tables").glob("*.yaml"))
    for i, path in enumerate(reversed(tables)):  # new names sort in the opposite order
        path.rename(path.with_name(f"{i:03d}_{path.name}"))
    second = run_cli("sql", str(copy))
    assert first.code == second.code == 0
    assert first.out == second.out


@pytest.mark.parametrize("name", NAMES)
def test_example_sql_runs_and_smoke_checks_hold(name, pg, db, tmp_path):
    example = EXAMPLES / name
    script = tmp_path / f"{name}.sql"
    assert run_cli("sql", str(example / "schema"), "-o", str(script)).code == 0
    for file in (example / "prerequisites.sql", script, example / "smoke.sql"):
        result = pg.run_psql(db, file=file)
        assert result.returncode == 0, f"{file.name} failed:\n{result.stderr}"


@pytest.mark.parametrize("name", NAMES)
def test_example_existing_sql_runs(name, pg, db):
    result = pg.run_psql(db, file=EXAMPLES / name / "existing.sql")
    assert result.returncode == 0, result.stderr


def test_smoke_script_catches_a_broken_default(pg, db, tmp_path):
    """The smoke check is not a test that cannot fail: with the default of
    hands_off_enabled flipped to true, customer_care's smoke.sql fails."""
    copy = tmp_path / "schema"
    shutil.copytree(EXAMPLES / "customer_care" / "schema", copy)
    table = copy / "tables" / "customer_care_state.yaml"
    text = table.read_text()
    assert "default: false" in text
    table.write_text(text.replace("default: false", "default: true", 1))
    script = tmp_path / "broken.sql"
    assert run_cli("sql", str(copy), "-o", str(script)).code == 0
    assert pg.run_psql(db, file=EXAMPLES / "customer_care" / "prerequisites.sql").returncode == 0
    assert pg.run_psql(db, file=script).returncode == 0
    result = pg.run_psql(db, file=EXAMPLES / "customer_care" / "smoke.sql")
    assert result.returncode != 0
    assert "hands_off_enabled defaulted to t," in result.stderr
