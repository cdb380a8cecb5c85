"""A migration history written the way Prisma writes ``migration.sql``, replayed
step by step (``tests/data/prisma_replay``): every state imports and re-plans to
nothing; every step is judged as ``steps.yaml`` says — an allowed step applies to
exactly the state the migration itself left, the others are refused (or kept as
drift) with their rule codes. One server, a fresh database per step (a copy of
the state before it)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import yaml

from .conftest import run_cli

DATA = Path(__file__).resolve().parent / "data" / "prisma_replay"
STEPS = yaml.safe_load((DATA / "steps.yaml").read_text(encoding="utf-8"))


# what some states' specs must hold (step name without its timestamp -> (file, text))
SHOWN = {
    "post_fillfactor": [("tables/Post.yaml", "storage: {fillfactor: 80}")],
    "session_expires_index": [("tables/Session.yaml", "storage: {fillfactor: 70}")],
    "page_view_cache": [("tables/PageView.yaml", "unlogged: true"),
                        ("tables/PageView.yaml", "storage: {autovacuum_vacuum_scale_factor: 0.01}"),
                        ("tables/PageView.yaml", "type: serial")],
    "page_view_logged": [("tables/PageView.yaml", "type: serial")],
    "session_data_fastupdate": [("tables/Session.yaml", "storage: {fastupdate: false}")],
}
GONE = {"page_view_logged": [("tables/PageView.yaml", "unlogged")],
        "post_fillfactor_reset": [("tables/Post.yaml", "fillfactor")]}


def _copy(pg, source: str) -> str:
    name = pg.create_database()
    with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return name


def _import(pg, db: str, out: Path) -> dict[str, str]:
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.yaml"))}


def test_the_history_is_the_one_described():
    on_disk = sorted(p.name for p in (DATA / "migrations").iterdir() if p.is_dir())
    assert [s["step"] for s in STEPS] == on_disk
    assert len(STEPS) >= 30
    for s in STEPS:
        assert sum(k in s for k in ("applies", "refused", "kept")) == 1, s


def test_replay_a_prisma_history_step_by_step(pg, tmp_path):
    hand = pg.create_database()  # the state after each migration, applied by psql as `prisma migrate` would
    seen = {"applies": 0, "refused": 0, "kept": 0}
    try:
        for n, step in enumerate(STEPS):
            name = step["step"]
            trial = _copy(pg, hand)  # the state before the step
            try:
                done = pg.run_psql(hand, file=DATA / "migrations" / name / "migration.sql")
                assert done.returncode == 0, (name, done.stderr)
                spec = tmp_path / f"{n:02d}-spec"
                expected = _import(pg, hand, spec)  # every state imports…
                if name.endswith("rename_comment_to_reply"):  # the serial fallback: the old sequence, explicit
                    assert "Comment_id_seq: {type: integer, owned_by: Reply.id}" in expected["schemadiff.yaml"]
                    assert "nextval('public.\\\"Comment_id_seq\\\"')" in expected["tables/Reply.yaml"]
                for file, text in SHOWN.get(name.split("_", 1)[1], ()):  # the storage steps are in the spec
                    assert text in expected[file], (name, text, expected[file])
                for file, text in GONE.get(name.split("_", 1)[1], ()):
                    assert text not in expected[file], (name, text, expected[file])
                again = run_cli("plan", str(spec), "--db", pg.dsn(hand), "--detailed-exitcode")
                assert again.code == 0, (name, "the imported state re-plans", again)  # …to nothing
                planned = run_cli("plan", str(spec), "--db", pg.dsn(trial), "--format", "json")
                if "applies" in step:
                    assert planned.code == 0, (name, planned)
                    for code in step["applies"] if isinstance(step["applies"], list) else ():
                        assert f'"code": "{code}"' in planned.out, (name, code, planned.out)
                    applied = run_cli("apply", str(spec), "--db", pg.dsn(trial), "--yes")
                    assert applied.code == 0, (name, applied)
                    assert _import(pg, trial, tmp_path / f"{n:02d}-result") == expected, name
                    replan = run_cli("plan", str(spec), "--db", pg.dsn(trial), "--detailed-exitcode")
                    assert replan.code == 0, (name, "re-plan after apply", replan)
                    seen["applies"] += 1
                elif "refused" in step:
                    assert planned.code == 3, (name, planned)
                    for code in step["refused"]:
                        assert f'"code": "{code}"' in planned.out, (name, code, planned.out)
                    seen["refused"] += 1
                else:
                    pending = run_cli("plan", str(spec), "--db", pg.dsn(trial), "--detailed-exitcode")
                    assert pending.code == 0, (name, "nothing to run", pending)
                    for code in step["kept"]:
                        assert f'"code": "{code}"' in planned.out, (name, code, planned.out)
                    seen["kept"] += 1
            finally:
                pg.drop_database(trial)
    finally:
        pg.drop_database(hand)
    assert seen["applies"] >= 15 and seen["refused"] >= 10 and seen["kept"] >= 3, seen
