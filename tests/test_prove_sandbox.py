"""``check --prove`` runs SQL a pull request wrote: it must not reach the CI machine.

Two layers, each tested on its own on a real server: the final guard of
``apply`` refuses a step list holding anything but additive statements before
the first one runs; and whatever passes the guard runs as a role that cannot
run a program, touch a server file, become someone else or leave its database.
A marker file that a hostile statement would create proves each attack did
not run; a control creates it as the superuser, so the marker can appear.
And what the migration really did is judged again: a base object dropped or
narrowed is not proved.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from schemadiff.check import run_check
from schemadiff.compile import compile_schema
from schemadiff.compile.changes import TRANSACTIONAL
from schemadiff.introspect import introspect
from schemadiff.apply import StepView
from schemadiff.plan import Step
from schemadiff.policy import Policy
from schemadiff.prove import SANDBOX_ROLE, ProveError, destroyed, prove, run_guarded, throwaway_sandbox
from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec

ROOT_FILE = "version: 1\n"
TABLE = "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n  x: {type: text, check: \"x IN ('a', 'b')\"}\n"


@pytest.fixture
def marker():
    """A path the server's operating-system user could create (the directory is
    world-writable), so that a statement that runs leaves it behind."""
    where = Path(tempfile.mkdtemp(prefix="schemadiff-marker-"))
    os.chmod(where, 0o1777)
    yield where / "ran"
    shutil.rmtree(where, ignore_errors=True)


def _copy_to_program(path: Path) -> str:
    return f"COPY (SELECT 1) TO PROGRAM 'touch {path}'"


def test_the_marker_appears_when_the_statement_runs_as_a_superuser(pg, marker):
    """The control: COPY … TO PROGRAM as the superuser does create the marker."""
    with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
        conn.execute(_copy_to_program(marker))
    assert marker.exists()


@pytest.fixture(scope="module")
def sandbox():
    with throwaway_sandbox(("prove_a",), roles=("authenticated", "postgres", "pg_execute_server_program")) as (
            box, _version, _watchdog):
        yield box


def test_the_sandbox_role_holds_no_privilege(sandbox):
    with sandbox.connect("prove_a") as conn:
        assert conn.execute("SELECT current_user, session_user").fetchone() == (SANDBOX_ROLE, SANDBOX_ROLE)
        row = conn.execute("SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolinherit "
                           "FROM pg_roles WHERE rolname = current_user").fetchone()
        assert row == (False, False, False, False, False, False)
        assert conn.execute("SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                            "WHERE r.rolname = current_user").fetchone()[0] == 0
        for powerful in ("pg_execute_server_program", "pg_read_server_files", "pg_write_server_files",
                         "pg_read_all_data", "pg_write_all_data", "pg_signal_backend", "postgres"):
            assert not conn.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", (powerful,)).fetchone()[0]
        # it owns its database and nothing else outside it
        assert conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'prove_a'"
                            ).fetchone()[0] == SANDBOX_ROLE
        assert conn.execute("SELECT array_agg(datname ORDER BY datname) FROM pg_database WHERE datdba = "
                            "(SELECT oid FROM pg_roles WHERE rolname = current_user)").fetchone()[0] == ["prove_a"]
        # a role the spec names is a plain NOLOGIN role; an existing one is left as it was, and not granted
        assert conn.execute("SELECT rolcanlogin, rolsuper, rolinherit FROM pg_roles WHERE rolname = 'authenticated'"
                            ).fetchone() == (False, False, False)
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = 'postgres'").fetchone() == (True,)


HOSTILE = [
    "COPY (SELECT 1) TO PROGRAM 'touch {marker}'",
    "COPY (SELECT 1) TO '{marker}'",
    "CREATE TABLE stolen (line text); COPY stolen FROM '/etc/passwd'",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT pg_ls_dir('/')",
    "SELECT lo_import('/etc/passwd')",
    "SELECT lo_export(lo_create(0), '{marker}')",
    "ALTER SYSTEM SET archive_command = 'touch {marker}'",
    "SET ROLE postgres",
    "SET SESSION AUTHORIZATION postgres",
    "ALTER ROLE " + SANDBOX_ROLE + " SUPERUSER",
    "GRANT pg_execute_server_program TO " + SANDBOX_ROLE,
    "CREATE ROLE another LOGIN SUPERUSER",
    "CREATE DATABASE another",
    "CREATE EXTENSION file_fdw",
    "CREATE EXTENSION dblink",
    "CREATE EXTENSION pageinspect",
    "CREATE FUNCTION f() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$; "
    "CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()",
    "LOAD 'auto_explain'",
    "SELECT pg_reload_conf()",
    "CREATE FUNCTION sh() RETURNS void LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_call_handler'",
]


@pytest.mark.parametrize("statement", HOSTILE)
def test_a_statement_past_the_guard_still_cannot_leave_the_sandbox(sandbox, marker, statement):
    """Run directly in a session of the proof's role, with no guard at all."""
    text = statement.format(marker=marker)
    with sandbox.connect("prove_a") as conn:
        try:
            conn.execute(text)
        except psycopg.Error as exc:
            assert exc.sqlstate == "42501", (exc.sqlstate, str(exc))  # insufficient_privilege
        else:
            pytest.fail(f"ran in the sandbox: {text}")
        assert not marker.exists()
        assert conn.execute("SELECT current_user, session_user").fetchone() == (SANDBOX_ROLE, SANDBOX_ROLE)
        assert not conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]


def test_the_sandbox_role_cannot_open_another_database(sandbox):
    dsn = sandbox.dsns["prove_a"]
    for other in ("postgres", "template1"):
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            psycopg.connect(psycopg.conninfo.make_conninfo(dsn, dbname=other), connect_timeout=10).close()


def test_the_guard_refuses_a_hostile_step_list_before_anything_runs(sandbox, marker):
    steps = [StepView(TRANSACTIONAL, "CREATE TABLE public.first_step (id bigint)", "first"),
             StepView(TRANSACTIONAL, _copy_to_program(marker), "hostile"),
             StepView(TRANSACTIONAL, "DROP TABLE public.first_step", "hostile")]
    with sandbox.connect("prove_a") as conn:
        with pytest.raises(ProveError, match="final guard") as caught:
            run_guarded(conn, steps)
        assert caught.value.refused
        assert "statement 2" in str(caught.value) and "statement 3" in str(caught.value)
        assert conn.execute("SELECT to_regclass('public.first_step')").fetchone()[0] is None  # nothing ran
    assert not marker.exists()


def _pair(tmp_path: Path, head_table: str = TABLE + "comment: t\n") -> tuple:
    base = load_spec(write_spec(tmp_path / "base", {"schemadiff.yaml": ROOT_FILE, "tables/t.yaml": TABLE}))
    head = load_spec(write_spec(tmp_path / "head", {"schemadiff.yaml": ROOT_FILE, "tables/t.yaml": head_table}))
    result = run_check(head, base, Policy(), base_label="base", head_label="head")
    assert result.passed and len(result.plan.steps) == 1
    return base, head, result.plan


def test_a_harmless_spec_with_a_hostile_step_added_to_its_plan_is_not_proved(tmp_path: Path, marker):
    """The plan of a harmless pull request (a table comment), with a hostile statement
    among its steps, as a compiler fault or a crafted plan would put it there."""
    base, head, plan = _pair(tmp_path)
    good = plan.steps[0]
    plan.steps.append(replace(good, sql=_copy_to_program(marker)))
    plan.steps.append(replace(good, sql="DROP TABLE public.t"))
    with pytest.raises(ProveError, match="refused by the final guard") as caught:
        prove(base.schema, head.schema, plan)
    assert caught.value.refused
    assert not marker.exists()
    plan.steps[1:] = []
    assert "nothing of the base dropped" in prove(base.schema, head.schema, plan)  # the same plan, honest


def test_a_step_the_guard_allows_that_narrows_a_base_check_is_not_proved(tmp_path: Path):
    """The guard allows a CHECK replaced by a NOT VALID CHECK of the same name (a widened
    list); here the list is narrowed. Both proof databases would agree if the head asked
    for it too — the realized migration is judged by the rules all the same."""
    base, head, plan = _pair(tmp_path)
    narrowed = "ALTER TABLE public.t DROP CONSTRAINT t_x_check, ADD CONSTRAINT t_x_check CHECK (x IN ('a')) NOT VALID"
    plan.steps.append(Step(TRANSACTIONAL, narrowed, plan.steps[0].change, ()))
    with pytest.raises(ProveError, match=r"changed what the base had in 1 way\(s\) the rules refuse.*t_x_check") as caught:
        prove(base.schema, head.schema, plan)
    assert caught.value.refused


def test_destroyed_names_every_base_object_a_migration_removed(pg, db):
    spec = load_spec(write_spec(Path(tempfile.mkdtemp()), {"schemadiff.yaml": "version: 1\nenums:\n  mood: [a, b]\n",
        "tables/t.yaml": TABLE + "  m: mood\n  y: text\nindexes:\n  t_y: [y]\nrls:\n  enabled: true\n"
                                 "  policies:\n    p:\n      using: \"true\"\n",
        "tables/u.yaml": "table: u\ncolumns:\n  id: {type: bigint, primary_key: true}\n"}))
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        for stmt in compile_schema(spec.schema):
            conn.execute(stmt.sql)
        before = introspect(conn, ["public"]).schema
        assert destroyed(before, before) == []
        for sql in ("DROP TABLE public.u", "ALTER TABLE public.t DROP COLUMN y", "ALTER TABLE public.t DROP CONSTRAINT "
                    "t_x_check", "DROP POLICY p ON public.t", "ALTER TABLE public.t DISABLE ROW LEVEL SECURITY"):
            conn.execute(sql)
        after = introspect(conn, ["public"]).schema
    found = "\n".join(destroyed(before, after))
    for expected in ("table public.u", "drop column y", "t_x_check", "policy p", "SD301", "SD302", "SD407"):
        assert expected in found, (expected, found)


def test_the_opclass_injection_does_not_run_on_the_ci_machine(tmp_path: Path, marker):
    """The pull request of the report: a table file whose index opclass smuggles
    COPY … TO PROGRAM. Refused — by the loader or the compiler once they close
    the hole, by the guard before that — and never proved, never run."""
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": ROOT_FILE})
    evil = (f"text_pattern_ops); COPY (SELECT 1) TO PROGRAM 'touch {marker}'; "
            "CREATE INDEX ix2 ON public.t (c")
    head = write_spec(tmp_path / "head", {"schemadiff.yaml": ROOT_FILE, "tables/t.yaml":
                      "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n  c: text\nindexes:\n"
                      f"  ix:\n    columns:\n      - {{column: c, opclass: \"{evil}\"}}\n"})
    r = run_cli("check", str(head), "--base-dir", str(base), "--prove")
    assert r.code in (1, 3), r
    assert "schemadiff: proved:" not in r.err
    assert not marker.exists()


def test_a_hostile_prove_setup_runs_unprivileged(tmp_path: Path, marker):
    """--prove-setup is a file of the repository, so the pull request can change it."""
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": ROOT_FILE})
    head = write_spec(tmp_path / "head", {"schemadiff.yaml": ROOT_FILE, "tables/t.yaml": TABLE})
    setup = tmp_path / "setup.sql"
    setup.write_text(f"CREATE FUNCTION public.helper() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
                     f"{_copy_to_program(marker)};\n", encoding="utf-8")
    r = run_cli("check", str(head), "--base-dir", str(base), "--prove", "--prove-setup", str(setup))
    assert r.code == 1, r
    assert "not proved: the --prove-setup SQL failed" in r.err and "permission denied" in r.err, r.err
    assert not marker.exists()


def test_the_proof_stops_at_its_timeout_whatever_the_sql_sets(tmp_path: Path):
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": ROOT_FILE})
    head = write_spec(tmp_path / "head", {"schemadiff.yaml": ROOT_FILE, "tables/t.yaml": TABLE})
    setup = tmp_path / "setup.sql"
    setup.write_text("SET statement_timeout = 0; SELECT pg_sleep(600);\n", encoding="utf-8")
    r = run_cli("check", str(head), "--base-dir", str(base), "--prove", "--prove-setup", str(setup),
                "--prove-timeout", "3")
    assert r.code == 1 and "ran longer than its timeout (3s)" in r.err, r


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e9", "abc", ""])
def test_prove_timeout_is_bounded(tmp_path: Path, value):
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": ROOT_FILE})
    r = run_cli("check", str(base), "--base-dir", str(base), "--prove", "--prove-timeout", value)
    assert r.code == 1 and "--prove-timeout" in r.err and "Traceback" not in r.err, r
