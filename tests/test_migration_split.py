"""Migration files their runner can run (issue 16, item 5).

Prisma (`prisma migrate deploy`) and the Supabase CLI run each migration file in
one transaction, except a file that holds a single statement, which they send on
its own. A plan with a concurrent phase is refused for them without
``--allow-split``; with it, the parts are written in order, and each runs the way
its runner runs it — on the real server here: a part of several statements inside
BEGIN/COMMIT as one query string, a one-statement part alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from schemadiff.compile.changes import CONCURRENT, ENUM_VALUES, TRANSACTIONAL, VALIDATE
from schemadiff.introspect.connect import connect
from schemadiff.migration_files import MigrationFileError, split_parts, write_migration
from schemadiff.planning import plan_with_connection
from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec

NOW = datetime(2025, 11, 10, 12, 30, 45, tzinfo=UTC)

EXISTING = """
CREATE TYPE public.mood AS ENUM ('happy', 'sad');
CREATE TABLE public.entry (id integer PRIMARY KEY, title text, feeling public.mood);
INSERT INTO public.entry SELECT g, 't' || g, 'happy' FROM generate_series(1, 50) g;
"""

ROOT = "version: 1\nenums:\n  mood: [happy, meh, sad]\n"
ENTRY = """table: entry
columns:
  id: {type: integer, primary_key: true}
  title: text
  code: {type: text, unique: true}
  score: {type: integer, check: "score >= 0"}
  feeling: mood
  status: {type: mood, default: "'meh'"}
indexes:
  entry_title_idx: [title]
"""


def statement_count(text: str) -> int:
    """Statements of a generated part (one per line ending in ';', comments aside)."""
    return sum(1 for line in text.splitlines() if line.rstrip().endswith(";") and not line.startswith("--"))


def run_as_runner(dsn: str, text: str) -> None:
    """What Prisma and the Supabase CLI do with a file: one statement alone; several in one transaction,
    sent as one query string (simple protocol, as prisma migrate deploy sends migration.sql)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        query = text if statement_count(text) == 1 else f"BEGIN;\n{text}\nCOMMIT;"
        result = conn.pgconn.exec_(query.encode())
        if result.status not in (psycopg.pq.ExecStatus.COMMAND_OK, psycopg.pq.ExecStatus.TUPLES_OK):
            raise RuntimeError((result.error_message or b"").decode())
        if conn.pgconn.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            raise RuntimeError("the runner's transaction was left open")


@pytest.fixture
def planned(pg, db, tmp_path):
    assert pg.run_psql(db, sql=EXISTING).returncode == 0
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/entry.yaml": ENTRY})
    desired = load_spec(spec).schema
    with connect(pg.dsn(db)) as conn:
        plan = plan_with_connection(desired, conn).plan
    assert not plan.refused
    assert {s.phase for s in plan.steps} == {ENUM_VALUES, TRANSACTIONAL, CONCURRENT, VALIDATE}
    return spec, desired, plan


def test_the_unsplit_file_fails_the_way_its_runner_runs_it(pg, db, planned, tmp_path):
    """The reason for all this: the one-file migration does not run through a wrapping runner."""
    _, _, plan = planned
    w = write_migration(plan, tmp_path / "plain", "x", convention="timestamp14", now=NOW)
    with pytest.raises(RuntimeError, match="cannot run inside a transaction block"):
        run_as_runner(pg.dsn(db), w.migration.read_text())


@pytest.mark.parametrize("convention", ["prisma", "supabase"])
def test_without_allow_split_it_is_refused_and_nothing_written(planned, tmp_path, convention):
    _, _, plan = planned
    with pytest.raises(MigrationFileError, match=r"CONCURRENTLY.*--allow-split.*nothing was written"):
        write_migration(plan, tmp_path / "m", "x", convention=convention, now=NOW)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("convention", ["prisma", "supabase"])
def test_the_parts_run_in_order_through_the_runner(pg, db, planned, tmp_path, convention):
    _, desired, plan = planned
    directory = tmp_path / convention / "migrations"
    w = write_migration(plan, directory, "add entry status", convention=convention, now=NOW, allow_split=True)
    parts = split_parts(plan)
    assert len(w.parts) == len(parts) >= 4
    assert [p.phase for p in parts][:2] == [ENUM_VALUES, TRANSACTIONAL]
    names = [p.parent.name if convention == "prisma" else p.name for p in w.parts]
    assert names == sorted(names)  # the runner applies them in this order
    n = len(parts)
    assert names[0].startswith("20251110123045_add_entry_status_1_of_") and f"_{n}_of_{n}" in names[-1]
    for part, path in zip(parts, w.parts):
        text = path.read_text()
        assert "BEGIN" not in text and "COMMIT" not in text  # the runner owns the transaction
        if part.phase == CONCURRENT:
            assert statement_count(text) == 1 and "CONCURRENTLY" in text
    # the whole plan's rollback and validation sit with the last part
    assert w.rollback.parent == (w.parts[-1].parent if convention == "prisma" else directory / "rollback")
    for path in w.parts:
        run_as_runner(pg.dsn(db), path.read_text())
    assert pg.run_psql(db, file=w.validation).returncode == 0
    with connect(pg.dsn(db)) as conn:
        again = plan_with_connection(desired, conn).plan
    assert not again.steps and not again.refused
    with psycopg.connect(pg.dsn(db)) as conn:
        assert conn.execute("SELECT count(*) FROM entry WHERE status = 'meh'").fetchone()[0] == 50


def test_the_enum_value_part_must_commit_first(pg, db, planned, tmp_path):
    """The enum value and its first use in one runner transaction fail: the split is what makes them run."""
    _, _, plan = planned
    w = write_migration(plan, tmp_path / "prisma" / "migrations", "x", now=NOW, allow_split=True)
    joined = w.parts[0].read_text() + "\n" + w.parts[1].read_text()
    with pytest.raises(RuntimeError, match="unsafe use of new value"):
        run_as_runner(pg.dsn(db), joined)


def test_other_conventions_are_not_split(planned, tmp_path):
    _, _, plan = planned
    w = write_migration(plan, tmp_path / "m", "x", now=NOW, allow_split=True)
    assert w.convention == "number" and not w.parts and w.migrations == (w.migration,)


def test_cli_refuses_then_splits_and_says_so(pg, db, planned, tmp_path):
    spec, _, _ = planned
    directory = tmp_path / "prisma" / "migrations"
    r = run_cli("plan", str(spec), "--db", pg.dsn(db), "--write-migration", str(directory), "--name", "x")
    assert r.code == 1 and "--allow-split" in r.err and not directory.exists(), r
    r = run_cli("plan", str(spec), "--db", pg.dsn(db), "--write-migration", str(directory), "--name", "x",
                "--allow-split")
    assert r.code == 0, r
    assert "wrote it as" in r.err and "prisma migrations, to apply in order" in r.err
    assert len(list(directory.glob("*/migration.sql"))) >= 4
    r = run_cli("plan", str(spec), "--allow-split")
    assert r.code == 1 and "--allow-split goes with --write-migration" in r.err
