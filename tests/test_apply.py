"""`schemadiff apply` is safe under load, faults and concurrency (docs/apply.md),
checked against the real test server:

- every example applies from its existing database and then plans to nothing;
- without a terminal (and without --yes / --plan), or without a database, apply
  exits 1 and changes nothing;
- saved plans apply; a stale one is refused (exit 1) naming what moved; a tampered
  one, or one for a spec that changed since, is refused (exit 1) naming the first
  step that differs from the plan made now, before anything runs (the guard's own
  attacks: tests/test_guard_attacks.py; the plan file: tests/test_saved_plan.py);
- the applying backend killed at every boundary of memory_entities' plan (and once
  in the middle of a concurrent index build) leaves the database at a phase
  boundary, and a re-run converges without redoing what committed;
- two applies at once: exactly one applies, the other waits and finds nothing to
  do, or gives up with the advisory-lock message;
- a conflicting lock: apply retries after the lock timeout and succeeds, or with
  --retries 0 stops, names the step, and leaves the database before that phase;
- under concurrent inserts into a table being altered, no insert waits longer
  than the lock timeout (plus a margin); the figures are printed.
"""

from __future__ import annotations

import io
import json
import shutil
import statistics
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from schemadiff.apply import ApplyError, ApplyOptions, Runner, StepView
from schemadiff.introspect.connect import LIBPQ_VARIABLES, connect
from schemadiff.planning import plan_with_connection
from schemadiff.spec import load_spec

from .conftest import EXAMPLES, run_cli

NAMES = sorted(p.parent.parent.name for p in EXAMPLES.glob("*/schema/schemadiff.yaml"))
MEMORY = EXAMPLES / "memory_entities"
SPEC = str(MEMORY / "schema")
# What memory_entities' transactional phase creates: all of it, or none of it.
NEW_TABLES = {"Customer", "CustomerAddress", "Conversation", "Message", "MemoryNote", "JobItem", "JobEvent"}


# ----------------------------------------------------------------------------- helpers

def load(pg, db: str, name: str = "memory_entities") -> None:
    result = pg.run_psql(db, file=EXAMPLES / name / "existing.sql")
    assert result.returncode == 0, result.stderr


def schema_dump(pg, db: str) -> str:
    """pg_dump --schema-only, without the random \\restrict keys of recent pg_dump."""
    pg_dump = Path(pg.psql).with_name("pg_dump")
    result = subprocess.run([str(pg_dump), "--schema-only", pg.dsn(db)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return "\n".join(line for line in result.stdout.splitlines()
                     if not line.startswith(("\\restrict", "\\unrestrict")))


def tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return {r[0] for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")}


def has_column(dsn: str, table: str, column: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s "
                            "AND NOT attisdropped", (f'public."{table}"', column)).fetchone()[0] == 1


def indexes(dsn: str) -> dict[str, bool]:
    """index name -> valid."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        return dict(conn.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relnamespace = 'public'::regnamespace").fetchall())


def step_views(spec: str, dsn: str) -> list[StepView]:
    """The steps exactly as `_apply` builds them from a fresh plan."""
    with connect(dsn) as conn:
        plan = plan_with_connection(load_spec(spec).schema, conn).plan
    return [StepView(s.phase, s.sql,
                     f"{s.change.target()}: {('create table: ' + s.detail) if s.detail else s.change.describe()}")
            for s in plan.steps]


def converges(dsn: str, spec: str = SPEC) -> None:
    again = run_cli("plan", spec, "--db", dsn, "--detailed-exitcode")
    assert again.code == 0, again
    assert "No changes: the database matches the spec." in again.out


def fresh(pg, name: str = "memory_entities") -> str:
    """A new database holding an example's existing.sql (faster than CREATE DATABASE … TEMPLATE)."""
    db = pg.create_database()
    load(pg, db, name)
    return db


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class LockHolder(threading.Thread):
    """A second session holding a table lock until released (or `hold` seconds pass)."""

    def __init__(self, dsn: str, sql: str, hold: float):
        super().__init__(daemon=True)
        self.dsn, self.sql, self.hold = dsn, sql, hold
        self.held, self.release = threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with psycopg.connect(self.dsn) as conn:  # not autocommit: the lock lives in this transaction
                conn.execute(self.sql)
                self.held.set()
                self.release.wait(self.hold)
                conn.rollback()
        except BaseException as exc:  # noqa: BLE001
            self.error = exc
            self.held.set()

    def __enter__(self):
        self.start()
        assert self.held.wait(10) and self.error is None, self.error
        return self

    def __exit__(self, *exc):
        self.release.set()
        if self.ident is not None:
            self.join(10)


# ----------------------------------------------------------------------------- 1. every example

@pytest.mark.parametrize("name", NAMES)
def test_every_example_applies_and_then_plans_to_nothing(name, pg, db):
    load(pg, db, name)
    spec = str(EXAMPLES / name / "schema")
    applied = run_cli("apply", spec, "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    assert "The database now matches the spec." in applied.out
    converges(pg.dsn(db), spec)
    again = run_cli("apply", spec, "--db", pg.dsn(db), "--yes")
    assert again.code == 0, again
    assert "nothing to apply" in again.out


# ----------------------------------------------------------------------------- 2. refusing to start

def test_without_a_terminal_and_without_yes_nothing_changes(pg, db, monkeypatch):
    load(pg, db)
    before = schema_dump(pg, db)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # piped input is not a confirmation
    result = run_cli("apply", SPEC, "--db", pg.dsn(db))
    assert result.code == 1, result
    assert "not on a terminal" in result.err and "nothing was applied" in result.err
    assert schema_dump(pg, db) == before


def test_on_a_terminal_only_yes_applies(pg, db, monkeypatch):
    load(pg, db)
    before = schema_dump(pg, db)
    monkeypatch.setattr("sys.stdin", FakeTerminal("n\n"))
    no = run_cli("apply", SPEC, "--db", pg.dsn(db))
    assert no.code == 1 and f"Apply 50 statement(s) to dbname={db} host=" in no.out and "? [y/N]" in no.out and "not applied" in no.err, no
    assert schema_dump(pg, db) == before
    monkeypatch.setattr("sys.stdin", FakeTerminal("y\n"))
    yes = run_cli("apply", SPEC, "--db", pg.dsn(db))
    assert yes.code == 0, yes
    converges(pg.dsn(db))


def test_without_a_database_apply_is_an_error(monkeypatch):
    for var in ("DATABASE_URL", *LIBPQ_VARIABLES):
        monkeypatch.delenv(var, raising=False)
    result = run_cli("apply", SPEC, "--yes")
    assert result.code == 1, result
    assert "apply needs a database" in result.err


# ----------------------------------------------------------------------------- 3. saved plans

def _save_plan(pg, db, tmp_path) -> Path:
    out = tmp_path / "plan.json"
    made = run_cli("plan", SPEC, "--db", pg.dsn(db), "--out", str(out))
    assert made.code == 0, made
    return out


def test_saved_plan_applies_without_yes(pg, db, tmp_path, monkeypatch):
    load(pg, db)
    path = _save_plan(pg, db, tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal: the saved plan is the confirmation
    result = run_cli("apply", SPEC, "--db", pg.dsn(db), "--plan", str(path))
    assert result.code == 0, result
    assert "applied 50 statement(s)" in result.out
    converges(pg.dsn(db))


def test_stale_saved_plan_is_refused_naming_what_moved(pg, db, tmp_path):
    load(pg, db)
    path = _save_plan(pg, db, tmp_path)
    assert pg.run_psql(db, sql='ALTER TABLE "Lead" ADD COLUMN nickname text;').returncode == 0
    before = schema_dump(pg, db)
    result = run_cli("apply", SPEC, "--db", pg.dsn(db), "--plan", str(path))
    assert result.code == 1, result
    assert "is stale" in result.err and "table public.Lead changed" in result.err, result.err
    assert "nothing was applied" in result.err
    assert schema_dump(pg, db) == before


def test_a_saved_plan_for_a_spec_that_changed_since_is_refused(pg, db, tmp_path):
    """The spec changed after the plan was saved, in a way that is refused (Lead's
    jsonb column declared text). The saved plan is no longer what the spec and the
    database give: apply refuses it (exit 1), says the plan made now refuses a
    change, and applies nothing."""
    load(pg, db)
    path = _save_plan(pg, db, tmp_path)
    spec = tmp_path / "schema"
    shutil.copytree(MEMORY / "schema", spec)
    lead = spec / "tables" / "Lead.yaml"
    text = lead.read_text(encoding="utf-8")
    assert "  stateMetadata: jsonb" in text
    lead.write_text(text.replace("  stateMetadata: jsonb", "  stateMetadata: text", 1), encoding="utf-8")
    before = schema_dump(pg, db)
    result = run_cli("apply", str(spec), "--db", pg.dsn(db), "--plan", str(path))
    assert result.code == 1, result
    assert "does not match" in result.err and "step 1 is not in the plan made now (50 saved step(s), 0 now)" \
        in result.err and "the plan made now refuses 1 change(s)" in result.err, result.err
    assert "nothing was applied" in result.err and "[1/" not in result.out
    assert schema_dump(pg, db) == before


def _drop_table_inserted(doc):
    doc["steps"].insert(3, {"phase": "transactional", "sql": 'DROP TABLE public."Lead"',
                            "object": "table public.Lead", "change": "create table", "rules": ["SD105"]})


def _replace_last_transactional(sql):
    def edit(doc):
        last = max(i for i, s in enumerate(doc["steps"]) if s["phase"] == "transactional")
        doc["steps"][last]["sql"] = sql
    return edit


def _inserted(sql):
    def edit(doc):
        last = max(i for i, s in enumerate(doc["steps"]) if s["phase"] == "transactional")
        doc["steps"].insert(last + 1, {"phase": "transactional", "sql": sql, "object": "table public.Lead",
                                       "change": "add column customer_id text", "rules": ["SD106"]})
    return edit


def _smuggle_second_statement(doc):
    doc["steps"][1]["sql"] += '; DROP TABLE public."Lead"'


def _unknown_phase(doc):
    doc["steps"].append({"phase": "cleanup", "sql": 'DROP TABLE public."Job"', "object": "table public.Job",
                         "change": "cleanup", "rules": []})


TAMPERINGS = {
    "DROP TABLE inserted": _drop_table_inserted,
    "step turned into DROP COLUMN": _replace_last_transactional('ALTER TABLE public."Lead" DROP COLUMN "stateMetadata"'),
    "second statement smuggled into a step": _smuggle_second_statement,
    "DROP TABLE in a phase apply does not know": _unknown_phase,
    "DROP INDEX CONCURRENTLY of a valid index": _replace_last_transactional(
        'DROP INDEX CONCURRENTLY IF EXISTS public."Lead_status_idx"'),
    "TRUNCATE": _replace_last_transactional('TRUNCATE public."Lead"'),
    "ADD COLUMN, DROP COLUMN in one ALTER": _replace_last_transactional(
        'ALTER TABLE public."Lead" ADD COLUMN x text, DROP COLUMN phone'),
    # The guard allows ALTER COLUMN TYPE to varchar/text "to widen" but never checks that it widens:
    "narrowing text to varchar(1)": _inserted(
        'ALTER TABLE public."Lead" ALTER COLUMN name TYPE varchar(1)'),
    "jsonb column converted to text": _inserted(
        'ALTER TABLE public."Lead" ALTER COLUMN "stateMetadata" TYPE text'),
    # A lock wait must stay bounded: 0 (and the default, 0) would wait behind any long reader forever.
    "lock_timeout set to 0": _inserted("SET LOCAL lock_timeout = 0"),
    "lock_timeout set to '0ms'": _inserted("SET lock_timeout = '0ms'"),
    "lock_timeout reset to its default": _inserted("RESET lock_timeout"),
}


@pytest.mark.parametrize("how", list(TAMPERINGS))
def test_tampered_saved_plan_is_refused_before_anything_runs(how, pg, db, tmp_path):
    """A saved plan is data: each edit makes it differ from the plan made now, so
    apply refuses it (exit 1) naming the step, before the final guard, before any
    statement. (The same statements against the guard itself: test_guard_attacks.py.)"""
    load(pg, db)
    path = _save_plan(pg, db, tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    TAMPERINGS[how](doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    before = schema_dump(pg, db)
    result = run_cli("apply", SPEC, "--db", pg.dsn(db), "--plan", str(path))
    assert result.code == 1, result
    assert "does not match" in result.err and "step " in result.err, result.err
    assert "nothing was applied" in result.err
    assert "[1/" not in result.out  # not one statement ran
    assert schema_dump(pg, db) == before
    assert {"Lead", "Job"} <= tables(pg.dsn(db))


# ----------------------------------------------------------------------------- 4. faults

def test_killed_at_every_boundary_the_database_is_at_a_phase_boundary_and_a_rerun_converges(pg, db):
    """Every call of on_boundary is a kill point: after each statement inside the
    transactional phase (46, the last one before COMMIT), after its COMMIT, after each
    concurrent build, and inside (before COMMIT) and after each validation: 53 in all.
    Full sweep; each kill point in a fresh database from existing.sql."""
    load(pg, db)
    steps = step_views(SPEC, pg.dsn(db))
    total = len(steps)
    phase_of = [s.phase for s in steps]
    n_tx = phase_of.count("transactional")
    assert total == 50 and n_tx == 46 and phase_of[n_tx:] == ["concurrent"] * 2 + ["validate"] * 2

    # A clean run, recording the boundaries.
    boundaries: list[tuple[int, str]] = []
    name = fresh(pg)
    with connect(pg.dsn(name)) as conn:
        Runner(conn, ApplyOptions(retries=0, progress_interval=0), lambda text: None, pg.dsn(name),
               on_boundary=lambda done, where: boundaries.append((done, where))).run(steps)
    pg.drop_database(name)
    assert sorted({d for d, _ in boundaries}) == list(range(1, total + 1))
    assert (n_tx, "after phase transactional") in boundaries

    def kill_at(point: int, k: int, where: str) -> str:
        """Apply in a fresh database, terminating the applying backend at the point-th boundary."""
        name = fresh(pg)
        dsn = pg.dsn(name)
        calls = 0
        killed: list[bool] = []
        with psycopg.connect(pg.admin_dsn, autocommit=True) as admin, connect(dsn) as conn:
            pid = conn.info.backend_pid

            def hook(done, where_):
                nonlocal calls
                calls += 1
                if calls == point:
                    assert (done, where_) == (k, where)
                    killed.append(admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0])

            error: Exception | None = None
            try:
                Runner(conn, ApplyOptions(retries=0, progress_interval=0), lambda text: None, dsn,
                       on_boundary=hook).run(steps)
            except (ApplyError, psycopg.Error) as exc:
                error = exc
        assert killed == [True], (point, where)
        if not where.startswith("inside phase"):
            committed = k
        elif where.startswith("inside phase validate"):
            committed = k - 1  # a validation is a transaction of its own
        else:
            committed = 0  # the transactional phase is the plan's first
        if point < len(boundaries):
            assert error is not None, f"kill at {where}: no error"
            if isinstance(error, ApplyError):
                assert error.done == committed, (where, str(error))
        else:
            assert error is None  # killed after the last statement: nothing left to fail

        # At a phase boundary: the transactional phase is all or nothing.
        present = tables(dsn) & NEW_TABLES
        assert present in (set(), NEW_TABLES), f"kill at {where}: partial phase, {sorted(present)}"
        assert (present == NEW_TABLES) == (committed >= n_tx), (where, sorted(present))
        assert has_column(dsn, "Lead", "customer_id") == (committed >= n_tx)
        assert all(indexes(dsn).values()), f"kill at {where}: INVALID index left"

        rerun = run_cli("apply", SPEC, "--db", dsn, "--yes")
        assert rerun.code == 0, (where, rerun)
        if committed == total:
            assert "nothing to apply" in rerun.out, rerun
        else:  # what committed is not redone
            assert f"applied {total - committed} statement(s)" in rerun.out, (where, rerun.out[-300:])
        converges(dsn)
        pg.drop_database(name)
        return where

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=3) as pool:  # independent databases; mostly waiting on the server
        futures = [pool.submit(kill_at, point, k, where) for point, (k, where) in enumerate(boundaries, 1)]
        covered = [f.result() for f in futures]
    print(f"\n[fault sweep] {len(covered)} kill points covered, every on_boundary call of a {total}-statement plan: "
          f"{sum(w.startswith('inside phase transactional') for w in covered)} inside the transactional phase, "
          f"{sum(w.startswith('inside phase validate') for w in covered)} inside a validation before its COMMIT, "
          f"{sum(not w.startswith('inside') for w in covered)} after a commit; {time.monotonic() - t0:.1f}s")
    assert len(covered) == len(boundaries) == n_tx + 1 + 2 + 2 * 2


def test_killed_in_the_middle_of_a_concurrent_build_the_rerun_rebuilds_the_invalid_index(pg, db):
    """A kill not at a boundary: CREATE INDEX CONCURRENTLY terminated while it waits
    for an old snapshot, so its index is left INVALID (apply cannot drop it: its
    session is gone). The re-run must drop and rebuild it."""
    load(pg, db)
    dsn = pg.dsn(db)
    steps = step_views(SPEC, dsn)
    target = next(s for s in steps if s.phase == "concurrent")
    index_name = target.label.split("add index ")[1]
    blocker = psycopg.connect(dsn)
    blocker.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    killed = threading.Event()
    killer: list[threading.Thread] = []

    def kill_when_waiting(pid):
        with psycopg.connect(pg.admin_dsn, autocommit=True) as admin:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                row = admin.execute("SELECT phase FROM pg_stat_progress_create_index WHERE pid = %s",
                                    (pid,)).fetchone()
                if row and row[0] == "waiting for old snapshots":
                    admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
                    killed.set()
                    break
                time.sleep(0.02)
        blocker.rollback()

    def hook(done, where):
        if where == "after phase transactional":
            blocker.execute("SELECT count(*) FROM pg_class")  # an old snapshot the build must wait for
            killer.append(threading.Thread(target=kill_when_waiting, args=(conn.info.backend_pid,), daemon=True))
            killer[0].start()

    try:
        with connect(dsn) as conn:
            said: list[str] = []
            with pytest.raises(ApplyError) as info:
                Runner(conn, ApplyOptions(retries=0, progress_interval=0), said.append, dsn,
                       on_boundary=hook).run(steps)
    finally:
        for t in killer:
            t.join(20)
        blocker.close()
    assert killed.is_set()
    # The reason given is the build's own error (the terminated session), named with its step;
    # the clean-up that cannot run on a dead session is a line of its own.
    print(f"\n[fault] mid-build kill reported as: {info.value}")
    assert f"stopped at {target.label}: terminating connection" in str(info.value), str(info.value)
    assert any("could not drop the INVALID index" in line for line in said), said
    assert indexes(dsn).get(index_name) is False, "the killed build should have left its index INVALID"
    assert tables(dsn) >= NEW_TABLES
    rerun = run_cli("apply", SPEC, "--db", dsn, "--yes")
    assert rerun.code == 0, rerun
    assert f"rebuild invalid index {index_name}  [SD111" in rerun.out, rerun.out
    assert indexes(dsn)[index_name] is True
    converges(dsn)
    print(f"\n[fault] killed mid-build of {index_name} (INVALID left); re-run rebuilt it and converged")


# ----------------------------------------------------------------------------- 5. two applies

@pytest.mark.parametrize("lock_wait", ["30", "0.5"])
def test_two_applies_at_once_exactly_one_applies(lock_wait, pg, db):
    load(pg, db)
    dsn = pg.dsn(db)
    results = {}
    barrier = threading.Barrier(2)

    def one(who):
        barrier.wait()
        results[who] = run_cli("apply", SPEC, "--db", dsn, "--yes", "--lock-wait", lock_wait)

    # The winner stalls ~1.5 s on a lock on "Lead" in its transactional phase (EXCLUSIVE lets its
    # planning through), holding the advisory lock, so the two surely overlap.
    with LockHolder(dsn, 'LOCK TABLE "Lead" IN EXCLUSIVE MODE', hold=1.5):
        threads = [threading.Thread(target=one, args=(who,)) for who in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    a, b = results["a"], results["b"]
    applied = [r for r in (a, b) if "applied 50 statement(s)" in r.out]
    assert len(applied) == 1, (a, b)
    winner = applied[0]
    loser = b if winner is a else a
    assert winner.code == 0, winner
    assert "[1/50]" not in loser.out and "applied" not in loser.out.replace("nothing to apply", ""), loser
    if lock_wait == "30":
        assert loser.code == 0 and "nothing to apply" in loser.out, loser
    else:
        assert loser.code == 1, loser
        assert "another schemadiff apply holds this database (backend pid" in loser.err, loser
    converges(dsn)


# ----------------------------------------------------------------------------- 6. lock timeout and retries

# ACCESS EXCLUSIVE (the brief's case) also blocks apply's planning: introspection's
# pg_get_expr takes ACCESS SHARE on the table. EXCLUSIVE lets planning through and
# blocks only the steps (CREATE TABLE … REFERENCES "Lead" needs SHARE ROW EXCLUSIVE).
LOCK_MODES = ["ACCESS EXCLUSIVE", "EXCLUSIVE"]


@pytest.mark.parametrize("mode", LOCK_MODES)
def test_a_conflicting_lock_is_retried_then_applied(mode, pg, db):
    load(pg, db)
    dsn = pg.dsn(db)
    t0 = time.monotonic()
    with LockHolder(dsn, f'LOCK TABLE "Lead" IN {mode} MODE', hold=3.0):
        result = run_cli("apply", SPEC, "--db", dsn, "--yes", "--lock-timeout", "500ms", "--retries", "6")
    took = time.monotonic() - t0
    # ACCESS EXCLUSIVE blocks the catalog read before any step; EXCLUSIVE only the steps.
    retries = [line for line in result.out.splitlines() if "lock timeout (500ms)" in line]
    step_retries = [line for line in retries if "on phase transactional" in line]
    print(f"\n[lock] apply with a 3 s {mode} lock on Lead: {len(retries)} retries, {took:.1f}s")
    assert result.code == 0, result
    assert retries, f"no lock-timeout retry in {took:.1f}s: apply waited for the lock before its first step"
    assert "retry 1/6 in 1s" in retries[0], result.out
    if step_retries:
        assert f"({len(step_retries)} lock-timeout retries)" in result.out
    assert took >= 3.0
    converges(dsn)


@pytest.mark.parametrize("mode", LOCK_MODES)
def test_with_no_retries_a_lock_timeout_stops_before_the_phase(mode, pg, db):
    load(pg, db)
    dsn = pg.dsn(db)
    before = schema_dump(pg, db)
    with LockHolder(dsn, f'LOCK TABLE "Lead" IN {mode} MODE', hold=3.0):
        t0 = time.monotonic()
        result = run_cli("apply", SPEC, "--db", dsn, "--yes", "--lock-timeout", "500ms", "--retries", "0")
        took = time.monotonic() - t0
    print(f"\n[lock] --retries 0 with a {mode} lock on Lead: exit {result.code} after {took:.1f}s")
    assert result.code == 1, f"exit {result.code} after {took:.1f}s: apply waited for the lock, then applied"
    assert took < 2.5  # about the 500ms lock timeout, not the 3 s the lock is held
    if mode == "ACCESS EXCLUSIVE":  # blocks the catalog read: stopped before any step
        assert "stopped before any step" in result.err, result
    else:
        assert ("stopped at phase transactional (46 statement(s)): lock timeout, retries exhausted. "
            "Nothing of this step is applied; 0 statement(s) before it are.") in result.err, result.err
    assert schema_dump(pg, db) == before  # the transactional phase: nothing of it
    rerun = run_cli("apply", SPEC, "--db", dsn, "--yes")
    assert rerun.code == 0 and "applied 50 statement(s)" in rerun.out, rerun
    converges(dsn)


def test_with_no_retries_a_lock_timeout_on_a_concurrent_build_names_the_step(pg, db):
    load(pg, db)
    dsn = pg.dsn(db)
    steps = step_views(SPEC, dsn)
    lines: list[str] = []
    holder = LockHolder(dsn, 'LOCK TABLE "Job" IN SHARE UPDATE EXCLUSIVE MODE', hold=10)  # conflicts with CIC

    def hook(done, where):
        if where == "after phase transactional":
            holder.__enter__()

    try:
        with connect(dsn) as conn:
            with pytest.raises(ApplyError) as info:
                Runner(conn, ApplyOptions(lock_timeout="500ms", retries=0, progress_interval=0), lines.append, dsn,
                       on_boundary=hook).run(steps)
    finally:
        holder.__exit__()
    assert str(info.value) == ("stopped at table public.Job: add index Job_customer_id_idx: lock timeout, retries "
                               "exhausted. Nothing of this step is applied; 46 statement(s) before it are. "
                               "Run apply again to continue.")
    assert info.value.done == 46
    assert tables(dsn) >= NEW_TABLES
    assert "Job_customer_id_idx" not in indexes(dsn)
    rerun = run_cli("apply", SPEC, "--db", dsn, "--yes")
    assert rerun.code == 0 and "applied 4 statement(s)" in rerun.out, rerun
    converges(dsn)


# ----------------------------------------------------------------------------- 7. under write load

@pytest.mark.parametrize("reader", [False, True], ids=["inserts only", "inserts and a 3s reader of Lead"])
def test_under_concurrent_inserts_no_write_waits_longer_than_the_lock_timeout(reader, pg, db):
    """A writer inserts into "Lead" (all NOT NULL columns given) in a loop while apply
    alters "Lead" with --lock-timeout 2s. With a long reader also on "Lead", apply's
    ACCESS EXCLUSIVE request (ADD COLUMN) queues behind it while its transaction
    already holds SHARE ROW EXCLUSIVE on "Lead" (from CREATE TABLE … REFERENCES
    "Lead"): the inserts wait, and only the lock timeout bounds their wait."""
    load(pg, db)
    dsn = pg.dsn(db)
    lock_timeout = 2.0
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("""INSERT INTO "Lead" (id, name, status, "updatedAt")
                        SELECT 'seed-' || g, 'n' || g, 'new', now() FROM generate_series(1, 20000) g""")
    latencies: list[tuple[float, float]] = []  # (start, seconds)
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer():
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                while not stop.is_set():
                    t = time.monotonic()
                    conn.execute('INSERT INTO "Lead" (id, status, "createdAt", "updatedAt") '
                                 "VALUES (%s, 'new', now(), now())", (str(uuid.uuid4()),))
                    latencies.append((t, time.monotonic() - t))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    time.sleep(0.3)
    holder = LockHolder(dsn, 'SELECT count(*) FROM "Lead"', hold=3.0) if reader else None
    if holder:
        holder.__enter__()
    start = time.monotonic()
    try:
        result = run_cli("apply", SPEC, "--db", dsn, "--yes", "--lock-timeout", f"{lock_timeout:g}s")
    finally:
        end = time.monotonic()
        if holder:
            holder.__exit__()
        time.sleep(0.3)
        stop.set()
        thread.join(10)
    assert result.code == 0, result
    assert not errors, errors
    waits = [s for _, s in latencies]
    during = [s for t, s in latencies if start <= t <= end]
    longest, median = max(waits), statistics.median(waits)
    retries = result.out.count("lock timeout (")
    print(f"\n[load{' + reader' if reader else ''}] apply {end - start:.2f}s with lock_timeout {lock_timeout:g}s "
          f"({retries} lock-timeout retries); {len(waits)} inserts ({len(during)} during apply): "
          f"longest {longest * 1000:.0f} ms, median {median * 1000:.2f} ms, "
          f"p99 {sorted(waits)[int(len(waits) * 0.99)] * 1000:.1f} ms")
    assert len(during) >= 10  # the writer really wrote while apply ran
    assert longest < lock_timeout + 1.0
    if reader:
        assert retries >= 1  # apply did queue behind the reader and gave way
    converges(dsn)
