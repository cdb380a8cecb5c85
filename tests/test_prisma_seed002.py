"""Seed 002's Prisma examples, written as Prisma writes them (``tests/data/prisma_seed002``):
the database each migration leaves imports and plans to nothing; each migration —
Batch 1 and a later additive one — planned from the imported spec against the
database before it, applies to exactly the database the migration left."""

from __future__ import annotations

from pathlib import Path

import psycopg

from .conftest import run_cli

DATA = Path(__file__).resolve().parent / "data" / "prisma_seed002" / "migrations"
MIGRATIONS = sorted(p.name for p in DATA.iterdir() if p.is_dir())


def _import(pg, db: str, out: Path) -> dict[str, str]:
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.yaml"))}


def test_seed_002_prisma_migrations_import_plan_to_nothing_and_apply_exactly(pg, tmp_path):
    assert len(MIGRATIONS) == 3
    hand = pg.create_database()
    try:
        for n, name in enumerate(MIGRATIONS):
            trial = pg.create_database()
            with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{trial}"')
                conn.execute(f'CREATE DATABASE "{trial}" TEMPLATE "{hand}"')
            try:
                done = pg.run_psql(hand, file=DATA / name / "migration.sql")
                assert done.returncode == 0, (name, done.stderr)
                spec = tmp_path / f"{n}-spec"
                expected = _import(pg, hand, spec)
                assert run_cli("plan", str(spec), "--db", pg.dsn(hand), "--detailed-exitcode").code == 0, name
                planned = run_cli("plan", str(spec), "--db", pg.dsn(trial), "--format", "sql")
                assert planned.code == 0, (name, planned)
                assert "DROP" not in planned.out and "RESTART" not in planned.out, planned.out
                applied = run_cli("apply", str(spec), "--db", pg.dsn(trial), "--yes")
                assert applied.code == 0, (name, applied)
                assert _import(pg, trial, tmp_path / f"{n}-result") == expected, name
                assert run_cli("plan", str(spec), "--db", pg.dsn(trial), "--detailed-exitcode").code == 0, name
                if name.endswith("add_memory_entities"):
                    assert "id: {type: bigserial, primary_key: true}" in expected["tables/Message.yaml"]
                    assert "id: {type: serial, primary_key: true}" in expected["tables/JobItem.yaml"]
                    assert "created_at: {type: timestamp(3), nullable: false, " \
                           "default: CURRENT_TIMESTAMP}" in expected["tables/Customer.yaml"]
                if name.endswith("memory_tags"):  # the later migration: new things only, no rewrite
                    assert 'CREATE TABLE public."MemoryTag"' in planned.out
                    assert "ALTER TYPE public.\"MessageRole\" ADD VALUE 'function'" in planned.out
                    assert 'CREATE INDEX CONCURRENTLY "Message_role_idx"' in planned.out
            finally:
                pg.drop_database(trial)
    finally:
        pg.drop_database(hand)
