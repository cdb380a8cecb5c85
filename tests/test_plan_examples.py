"""`plan` on every example against its existing database: the additive
migration the seed intends (golden text, SQL and JSON), applied with psql, then
a second plan with nothing to do. And the seed's non-additive Batch 2, refused."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from .conftest import EXAMPLES, ROOT, run_cli

GOLDEN = ROOT / "tests" / "golden" / "plan"
UPDATE = os.environ.get("SCHEMADIFF_UPDATE_GOLDEN") == "1"
NAMES = sorted(p.parent.parent.name for p in EXAMPLES.glob("*/schema/schemadiff.yaml"))


def _stable(text: str, fmt: str) -> str:
    """Mask what depends on the server run: the connection and version, the fingerprint."""
    if fmt == "json":
        doc = json.loads(text)
        doc["database"] = doc["server_version"] = doc["fingerprint"] = doc["state"] = "<masked>"
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    text = re.sub(r" against .*$", " against <database>", text, count=1, flags=re.M)
    return re.sub(r"sha256:[0-9a-f]{64}", "sha256:<masked>", text)


def _golden(name: str, fmt: str, text: str) -> None:
    path = GOLDEN / f"{name}.{ {'text': 'txt', 'sql': 'sql', 'json': 'json'}[fmt] }"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden {path}; run with SCHEMADIFF_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_example_plan_is_the_seed_migration_and_converges(name, pg, db, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert pg.run_psql(db, file=EXAMPLES / name / "existing.sql").returncode == 0
    spec = f"examples/{name}/schema"
    outputs = {}
    for fmt in ("text", "sql", "json"):
        result = run_cli("plan", spec, "--db", pg.dsn(db), "--format", fmt, "--detailed-exitcode")
        assert result.code == 2, result  # changes pending
        outputs[fmt] = result.out
        _golden(name, fmt, _stable(result.out, fmt))
    assert "refused" not in json.loads(outputs["json"])["summary"] or json.loads(outputs["json"])["summary"]["refused"] == 0
    script = tmp_path / "plan.sql"
    script.write_text(outputs["sql"], encoding="utf-8")
    applied = pg.run_psql(db, file=script)
    assert applied.returncode == 0, applied.stderr
    again = run_cli("plan", spec, "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again.out
    assert "No changes: the database matches the spec." in again.out


def test_batch_2_not_null_after_backfill_is_refused(pg, db, tmp_path):
    """Seed 002: Batch 2 makes Lead.customer_id NOT NULL: tightening, refused."""
    assert pg.run_psql(db, file=EXAMPLES / "memory_entities" / "existing.sql").returncode == 0
    spec = tmp_path / "schema"
    shutil.copytree(EXAMPLES / "memory_entities" / "schema", spec)
    first = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "sql")
    assert first.code == 0
    script = tmp_path / "batch1.sql"
    script.write_text(first.out, encoding="utf-8")
    assert pg.run_psql(db, file=script).returncode == 0
    lead = spec / "tables" / "Lead.yaml"
    text = lead.read_text(encoding="utf-8")
    new = re.sub(r"(\n  customer_id:\s*\{[^}\n]*?)type: text", r"\1type: text, nullable: false", text, count=1)
    if new == text:
        new = text.replace("\n  customer_id: text", "\n  customer_id: {type: text, nullable: false}", 1)
    assert new != text, "could not find Lead.customer_id in the example"
    # Batch 2 also gives up ON DELETE SET NULL (the loader warns about SET NULL on NOT NULL)
    new = new.replace("on_delete: set null", "on_delete: restrict")
    lead.write_text(new, encoding="utf-8")
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 3, result
    assert "SD501 set-not-null" in result.out
    assert "refused" in result.err
    sql = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "sql")
    assert sql.code == 3
    assert "SET NOT NULL" not in sql.out and "ALTER TABLE" not in sql.out  # a refused change never appears as SQL


def test_plan_without_a_database_uses_a_throwaway_embedded_server(monkeypatch):
    for var in ("DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGSERVICEFILE",
                "CI"):  # in CI the fallback needs --embedded (test_small_things.py)
        monkeypatch.delenv(var, raising=False)
    result = run_cli("plan", str(EXAMPLES / "customer_care" / "schema"))
    assert result.code == 0, result
    assert "a throwaway embedded PostgreSQL" in result.out.splitlines()[0]
    assert "+ create table" in result.out


def test_plan_cannot_connect_is_error_1_without_password(tmp_path):
    result = run_cli("plan", str(EXAMPLES / "customer_care" / "schema"), "--db",
                     "postgresql://bob:hunter2-secret@127.0.0.1:1/x")
    assert result.code == 1
    assert "hunter2-secret" not in result.out + result.err
    assert "password=***" in result.err
