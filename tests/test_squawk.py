"""Squawk, the reference linter for PostgreSQL migrations, on the plan of every
example: a fresh database from ``existing.sql``, ``schemadiff plan --format sql``
against it, squawk on the script. Every rule squawk reports must be in ALLOWED,
and only on the statements WHERE says it may be (docs/squawk.md says why each
does not apply to schemadiff's output).

Squawk runs with its default rules and an empty config, as psql runs the script:
no ``--assume-in-transaction`` (the script writes its own BEGIN/COMMIT and runs its
concurrent builds outside any transaction) and ``--pg-version`` of the server the
plan was made against.

Squawk must really run and parse: it reports on bad control scripts, on a syntax
error, and on each plan with one of its safeguards taken out (timeouts,
transactions, CONCURRENTLY, NOT VALID). What squawk cannot see (it checks
timeouts once per file, and takes a SET LOCAL to outlive its COMMIT) is checked
here directly: every statement runs under a lock_timeout and a statement_timeout
of its own transaction or, outside one, of its own step.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from .conftest import EXAMPLES, run_cli

NAMES = sorted(p.parent.name for p in EXAMPLES.glob("*/existing.sql") if (p.parent / "schema").is_dir())

# Rule -> why it does not apply to schemadiff's output. As small as honest: only
# rules the examples make squawk report, each justified in docs/squawk.md.
ALLOWED = {
    "prefer-robust-stmts": "a failed CREATE INDEX CONCURRENTLY is recovered by re-planning (SD111 rebuilds the "
                           "INVALID index); IF NOT EXISTS would keep the invalid index instead",
    "prefer-timestamp-tz": "the column type is the spec's, written as declared; a data-type choice, not a lock",
    "prefer-text-field": "the column type is the spec's; on a new table or column nothing is resized",
    "prefer-bigint-over-int": "the column type is the spec's, written as declared; a data-type choice, not a lock",
}

# Rule -> the statements it may be reported on (the statement's first line).
# Anywhere else the same rule means something else and fails the test.
_NEW_COLUMNS = re.compile(r"CREATE TABLE |ALTER TABLE \S+ ADD COLUMN ")
WHERE = {
    "prefer-robust-stmts": re.compile(r"CREATE (UNIQUE )?INDEX CONCURRENTLY "),
    "prefer-timestamp-tz": _NEW_COLUMNS,
    "prefer-text-field": _NEW_COLUMNS,
    "prefer-bigint-over-int": _NEW_COLUMNS,
}


def _squawk() -> str:
    beside = Path(sys.executable).parent / "squawk"
    found = str(beside) if beside.exists() else shutil.which("squawk")
    assert found, "squawk not found: install the test extras (squawk-cli)"
    return found


def pg_version(pg) -> str:
    """server_version_num 180006 -> '18.6' (PostgreSQL 10 and later)."""
    return f"{pg.version // 10000}.{pg.version % 10000}"


def lint(path: Path, pg_version: str) -> list[dict]:
    """Squawk's violations for one file, as JSON; fails unless squawk ran and answered."""
    config = path.parent / "empty-squawk.toml"  # no .squawk.toml found elsewhere can change the rules
    config.write_text("", encoding="utf-8")
    result = subprocess.run(
        [_squawk(), "--config", str(config), "--reporter", "json", "--pg-version", pg_version,
         "--no-assume-in-transaction", str(path)],
        capture_output=True, text=True, timeout=120, cwd=path.parent)
    try:
        violations = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"squawk gave no JSON (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    assert isinstance(violations, list), violations
    assert result.returncode == (1 if violations else 0), (result.returncode, result.stderr)
    return violations


def statement_at(lines: list[str], n: int) -> str:
    """The first line of the statement that holds line n (0-based, as squawk counts)."""
    for line in reversed(lines[:n + 1]):
        if line and not line[0].isspace() and not line.startswith(("--", ")", "\\")):
            return line
    return ""


def make_plan(pg, db: str, name: str, out: Path, *extra: str) -> str:
    result = run_cli("plan", str(EXAMPLES / name / "schema"), "--db", pg.dsn(db), "--format", "sql", *extra)
    assert result.code == 0, result
    out.write_text(result.out, encoding="utf-8")
    return result.out


@pytest.fixture(scope="module")
def plans(pg, tmp_path_factory) -> dict[str, Path]:
    """Each example's plan against a fresh database built from its existing.sql."""
    root = tmp_path_factory.mktemp("squawk")
    out = {}
    for name in NAMES:
        db = pg.create_database()
        try:
            result = pg.run_psql(db, file=EXAMPLES / name / "existing.sql")
            assert result.returncode == 0, f"{name}/existing.sql failed:\n{result.stderr}"
            (root / name).mkdir()
            sql = make_plan(pg, db, name, root / name / "plan.sql")
        finally:
            pg.drop_database(db)
        assert re.search(r"^-- schemadiff plan \(.*\): \d+ statement\(s\)", sql, re.M), sql[:500]
        out[name] = root / name / "plan.sql"
    return out


def unexplained(violations: list[dict], sql: str) -> list[str]:
    lines = sql.splitlines()
    bad = []
    for v in violations:
        rule = v["rule_name"]
        stmt = statement_at(lines, v["line"])
        if rule not in ALLOWED or not WHERE[rule].match(stmt):
            bad.append(f"line {v['line'] + 1}: {rule}: {v['message']}\n    {stmt}")
    return bad


def test_all_four_examples_are_linted():
    assert {"customer_care", "memory_entities", "engagement", "escalation_calls"} <= set(NAMES)
    assert set(WHERE) == set(ALLOWED)


@pytest.mark.parametrize("name", NAMES)
def test_squawk_reports_only_allowed_rules(name, plans, pg):
    path = plans[name]
    violations = lint(path, pg_version(pg))
    counts = Counter(v["rule_name"] for v in violations)
    print(f"{name}: {dict(sorted(counts.items())) or 'nothing'}")
    bad = unexplained(violations, path.read_text(encoding="utf-8"))
    assert not bad, f"squawk on the plan of {name}:\n" + "\n".join(bad)


def test_allowlist_is_no_larger_than_the_examples_need(plans, pg):
    seen = {v["rule_name"] for path in plans.values() for v in lint(path, pg_version(pg))}
    assert set(ALLOWED) <= seen, f"allowed but never reported, drop them: {set(ALLOWED) - seen}"


CONTROLS = [
    ("ALTER TABLE t ALTER COLUMN c SET NOT NULL;\n", "adding-not-nullable-field"),
    ("CREATE INDEX i ON t (c);\n", "require-concurrent-index-creation"),
    ("BEGIN;\nALTER TABLE t ADD COLUMN c bigint;\nCOMMIT;\n", "require-lock-timeout"),
    ("ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES u (id);\n", "adding-foreign-key-constraint"),
    ("\\set ON_ERROR_STOP on\nthis is not SQL (;\n", "syntax-error"),
]


@pytest.mark.parametrize("sql, rule", CONTROLS, ids=[r for _, r in CONTROLS])
def test_squawk_reports_a_bad_control_script(sql, rule, tmp_path, pg):
    path = tmp_path / "control.sql"
    path.write_text(sql, encoding="utf-8")
    assert rule in {v["rule_name"] for v in lint(path, pg_version(pg))}


# Each of the plan's safeguards taken out: (what, edit, the rule squawk then
# reports, a text the plan must hold for the edit to apply).
MUTATIONS = [
    ("timeouts", lambda s: re.sub(r"(?m)^SET (LOCAL )?(lock|statement)_timeout = .*\n", "", s),
     "require-lock-timeout", "SET LOCAL lock_timeout"),
    ("transactions", lambda s: re.sub(r"(?m)^(BEGIN|COMMIT);\n", "", s),
     "require-concurrent-index-creation", "\nCREATE INDEX "),
    ("concurrently", lambda s: s.replace(" CONCURRENTLY ", " "),
     "require-concurrent-index-creation", " CONCURRENTLY "),
    ("not-valid", lambda s: s.replace(" NOT VALID;\n", ";\n"),
     "constraint-missing-not-valid", " NOT VALID;\n"),
]


@pytest.mark.parametrize("name", NAMES)
def test_squawk_sees_each_safeguard_of_the_plan(name, plans, pg, tmp_path):
    """Squawk parses the whole plan and it is the plan's own SET LOCAL, BEGIN/COMMIT,
    CONCURRENTLY and NOT VALID that keep it quiet: take one out, squawk reports."""
    sql = plans[name].read_text(encoding="utf-8")
    before = {v["rule_name"] for v in lint(plans[name], pg_version(pg))}
    applied = 0
    for what, edit, rule, needs in MUTATIONS:
        if needs not in sql:
            continue
        mutated = edit(sql)
        assert mutated != sql, what
        path = tmp_path / f"{what}.sql"
        path.write_text(mutated, encoding="utf-8")
        assert rule not in before, what
        assert rule in {v["rule_name"] for v in lint(path, pg_version(pg))}, f"{name} without {what}"
        applied += 1
    assert applied >= 2, name


_SET = re.compile(r"SET (LOCAL )?(lock_timeout|statement_timeout) = ")


@pytest.mark.parametrize("name", NAMES)
def test_every_statement_runs_under_its_own_timeouts(name, plans):
    """What squawk cannot check: it asks for a timeout once per file and takes a
    SET LOCAL to outlive its COMMIT. Here: in a transaction, both timeouts are SET
    LOCAL in that transaction; outside one, both are SET since the previous step."""
    in_tx, local, session, statements = False, set(), set(), 0
    for line in plans[name].read_text(encoding="utf-8").splitlines():
        if not line or line[0].isspace() or line.startswith(("--", ")", "\\")):
            continue
        if line == "SET standard_conforming_strings = on;":  # the script's first line: a setting, no step
            assert statements == 0 and not in_tx, line
            continue
        if line == "BEGIN;":
            in_tx, local = True, set()
        elif line == "COMMIT;":
            in_tx = False
        elif m := _SET.match(line):
            if m.group(1):
                assert in_tx, line
                local.add(m.group(2))
            else:
                session.add(m.group(2))
        elif line.startswith("RESET "):
            session.discard(line.split()[1].rstrip(";"))
        else:
            statements += 1
            have = local if in_tx else session
            missing = {"lock_timeout", "statement_timeout"} - have
            assert not missing, f"{name}: no {sorted(missing)} for: {line}"
            if not in_tx:
                session = set()  # each step outside a transaction sets its own
    assert statements > 0
    assert not in_tx, f"{name}: a transaction is left open"


def test_a_failed_concurrent_build_is_recovered_by_replanning(pg, db, tmp_path):
    """Why prefer-robust-stmts is allowed: a CREATE INDEX CONCURRENTLY that fails
    (here: a lock timeout while it waits for an old snapshot) leaves an INVALID
    index; the next plan drops and rebuilds it concurrently, and finishes the rest."""
    name = "memory_entities"
    assert pg.run_psql(db, file=EXAMPLES / name / "existing.sql").returncode == 0
    first = make_plan(pg, db, name, tmp_path / "first.sql", "--lock-timeout", "200ms")
    assert 'CREATE INDEX CONCURRENTLY "Job_customer_id_idx"' in first
    holder = psycopg.connect(pg.dsn(db))
    try:
        holder.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        holder.execute("SELECT count(*) FROM pg_class").fetchone()  # an old snapshot the build must wait for
        result = pg.run_psql(db, file=tmp_path / "first.sql")
    finally:
        holder.close()
    assert result.returncode != 0 and "lock timeout" in result.stderr, result.stderr
    with psycopg.connect(pg.dsn(db)) as conn:
        valid = conn.execute("SELECT indisvalid FROM pg_index "
                             "WHERE indexrelid = 'public.\"Job_customer_id_idx\"'::regclass").fetchone()[0]
    assert valid is False

    second = make_plan(pg, db, name, tmp_path / "second.sql")
    assert 'DROP INDEX CONCURRENTLY IF EXISTS public."Job_customer_id_idx";' in second
    assert 'CREATE INDEX CONCURRENTLY "Job_customer_id_idx"' in second
    assert not unexplained(lint(tmp_path / "second.sql", pg_version(pg)), second)
    result = pg.run_psql(db, file=tmp_path / "second.sql")
    assert result.returncode == 0, result.stderr
    assert "no changes" in make_plan(pg, db, name, tmp_path / "third.sql")
