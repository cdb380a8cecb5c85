"""Issue 16, item 8: the small things a first hour trips on.

The target named whatever the DSN source (never a password); no silent embedded
fallback in CI; repository-relative paths in annotations whatever path form is
given; proving on the production major version (--prove-dsn).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from .conftest import EXAMPLES, run_cli
from .test_check import LEAD, _care_spec, _git

SPEC = EXAMPLES / "customer_care" / "schema"
LIBPQ = ("DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGSERVICEFILE",
         "PGPASSWORD")


@pytest.fixture
def clean_env(monkeypatch):
    for name in (*LIBPQ, "CI"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# -- the target, whatever the DSN source ---------------------------------------------------

def _pg_env(pg, db: str, monkeypatch) -> dict[str, str]:
    params = conninfo_to_dict(pg.dsn(db))
    env = {"PGHOST": params["host"], "PGDATABASE": db, "PGUSER": params.get("user") or "postgres"}
    if params.get("port"):
        env["PGPORT"] = params["port"]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("PGPASSWORD", "hunter2-not-shown")  # trust auth ignores it; it must never be printed
    return env


def _example_roles(pg, db: str) -> None:
    """The example's policies are for `authenticated` (`external: roles`): a database
    without it is a plan error (the policy would fail at apply)."""
    assert pg.run_psql(db, sql="DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') "
                               "THEN CREATE ROLE authenticated NOLOGIN; END IF; END $$;").returncode == 0


def test_plan_header_names_the_database_from_pg_variables(pg, db, clean_env):
    _example_roles(pg, db)
    env = _pg_env(pg, db, clean_env)
    for fmt in ("text", "sql", "json"):
        r = run_cli("plan", str(SPEC), "--format", fmt)
        assert r.code == 0, r
        first = r.out.splitlines()[0] if fmt != "json" else json.loads(r.out)["database"]
        assert f"dbname={db}" in first and f"host={env['PGHOST']}" in first, first
        assert "from the PG* environment variables" in first and "libpq environment" not in first
        assert "hunter2" not in r.out + r.err


def test_apply_prompt_names_the_database(pg, db, clean_env):
    _example_roles(pg, db)
    _pg_env(pg, db, clean_env)

    class Terminal:
        def isatty(self):
            return True

        def readline(self):
            return "n\n"

    clean_env.setattr(sys, "stdin", Terminal())
    r = run_cli("apply", str(SPEC))
    assert r.code == 1 and "not applied" in r.err, r
    prompt = next(line for line in r.out.splitlines() if "[y/N]" in line)
    assert prompt.startswith("Apply ") and f"to dbname={db} host=" in prompt, prompt
    assert "hunter2" not in r.out + r.err


def test_import_names_the_database(pg, db, clean_env, tmp_path):
    _pg_env(pg, db, clean_env)
    assert pg.run_psql(db, sql="CREATE TABLE t (id int PRIMARY KEY);").returncode == 0
    r = run_cli("import", "--out", str(tmp_path / "spec"))
    assert r.code == 0 and f"from dbname={db} host=" in r.out, r


def test_a_dsn_with_a_password_is_named_without_it(pg, db, clean_env):
    _example_roles(pg, db)
    dsn = pg.dsn(db) + " password=hunter2-not-shown"
    r = run_cli("plan", str(SPEC), "--db", dsn)
    assert r.code == 0 and f"dbname={db}" in r.out.splitlines()[0] and "from --db" in r.out.splitlines()[0], r
    assert "hunter2" not in r.out + r.err


# -- no silent embedded fallback in CI -----------------------------------------------------

def test_in_ci_without_a_database_plan_is_an_error(clean_env):
    clean_env.setenv("CI", "true")
    r = run_cli("plan", str(SPEC))
    assert r.code == 1 and r.out == "", r
    assert "the CI variable is set" in r.err and "--embedded" in r.err, r


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_ci_unset_or_false_keeps_the_fallback(clean_env, value):
    clean_env.setenv("CI", value)
    r = run_cli("plan", str(SPEC))
    assert r.code == 0 and "a throwaway embedded PostgreSQL" in r.out.splitlines()[0], r


def test_in_ci_embedded_on_purpose(clean_env):
    clean_env.setenv("CI", "true")
    r = run_cli("plan", str(SPEC), "--embedded")
    assert r.code == 0 and "a throwaway embedded PostgreSQL" in r.out.splitlines()[0], r


@pytest.mark.parametrize("ci", [None, "true"])
def test_the_readmes_first_command_verbatim_in_and_outside_ci(ci):
    """The plan of the README's first command, word for word, as a process with the venv's
    schemadiff, whether the CI variable is set or not."""
    import re
    import shlex

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```sh\n(.*?)\n```", readme, re.S).group(1)
    words = shlex.split(first.split("&&")[-1])
    assert words[0] == ".venv/bin/schemadiff" and words[1] == "plan", first
    env = {k: v for k, v in os.environ.items() if k not in (*LIBPQ, "CI")}
    if ci:
        env["CI"] = ci
    exe = Path(sys.executable).parent / "schemadiff"
    done = subprocess.run([str(exe), *words[1:]], capture_output=True, text=True, env=env, timeout=300,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0 and "+ create table" in done.stdout, done.stderr


def test_readme_first_command_still_works_outside_ci(tmp_path):
    """The README's first command, as a process (with the venv's schemadiff), CI unset."""
    env = {k: v for k, v in os.environ.items() if k not in (*LIBPQ, "CI")}
    exe = Path(sys.executable).parent / "schemadiff"
    done = subprocess.run([str(exe), "plan", str(SPEC)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0 and "+ create table" in done.stdout, done.stderr


# -- repository-relative paths whatever the path form --------------------------------------

@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _care_spec(repo / "db" / "spec", care=True)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    lead = repo / "db" / "spec" / "tables" / "lead.yaml"
    lead.write_text(LEAD.replace("  legacy_flag: boolean\n", ""), encoding="utf-8")
    return repo


@pytest.mark.parametrize("cwd", ["top", "elsewhere", "spec"])
def test_annotations_and_sarif_are_repository_relative(repo: Path, tmp_path: Path, monkeypatch, cwd):
    spec = repo / "db" / "spec"
    where = {"top": repo, "elsewhere": tmp_path, "spec": spec}[cwd]
    monkeypatch.chdir(where)
    r = run_cli("check", str(spec), "--base", "main", "--format", "github")
    assert r.code == 3, r
    errors = [line for line in r.out.splitlines() if line.startswith("::error ")]
    assert errors and all("file=db/spec/tables/lead.yaml," in e for e in errors), errors
    r = run_cli("check", str(spec), "--base", "main", "--format", "sarif")
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for res in json.loads(r.out)["runs"][0]["results"] for loc in res["locations"]}
    assert uris == {"db/spec/tables/lead.yaml"}, uris


# -- proving on the production major version -----------------------------------------------

def _additive(repo: Path) -> None:
    (repo / "db" / "spec" / "tables" / "lead.yaml").write_text(LEAD.replace("  email: text\n",
                                                                           "  email: text\n  phone: text\n"))


def _left_as_found(pg) -> tuple:
    with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
        dbs = sorted(r[0] for r in conn.execute("SELECT datname FROM pg_database"))
        roles = sorted(r[0] for r in conn.execute("SELECT rolname FROM pg_roles"))
        acl = conn.execute("SELECT datname, has_database_privilege('public', datname, 'CONNECT'), "
                           "has_database_privilege('public', datname, 'TEMPORARY') FROM pg_database "
                           "WHERE datname IN ('postgres', 'template1') ORDER BY 1").fetchall()
    return dbs, roles, acl


def test_prove_on_a_server_you_run(pg, repo: Path, monkeypatch):
    (repo / "db" / "spec" / "tables" / "lead.yaml").write_text(LEAD)
    _additive(repo)
    monkeypatch.chdir(repo)
    before = _left_as_found(pg)
    r = run_cli("check", "db/spec", "--base", "main", "--prove", "--prove-dsn", pg.admin_dsn)
    assert r.code == 0, r
    major = pg.version // 10000
    assert f"proved: on PostgreSQL {major}." in r.err and "on the server of --prove-dsn" in r.err, r.err
    assert _left_as_found(pg) == before


def test_prove_dsn_refuses_a_server_holding_the_proof_databases(pg, repo: Path, monkeypatch):
    _additive(repo)
    (repo / "db" / "spec" / "tables" / "lead.yaml").write_text(LEAD.replace("  email: text\n",
                                                                           "  email: text\n  phone: text\n"))
    monkeypatch.chdir(repo)
    with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
        conn.execute("CREATE DATABASE prove_a")
    try:
        before = _left_as_found(pg)
        r = run_cli("check", "db/spec", "--base", "main", "--prove", "--prove-dsn", pg.admin_dsn)
        assert r.code == 1 and "already holds prove_a" in r.err and "nothing was changed" in r.err, r
        assert _left_as_found(pg) == before
    finally:
        with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
            conn.execute("DROP DATABASE prove_a")


def test_prove_dsn_goes_with_prove(repo: Path, monkeypatch):
    monkeypatch.chdir(repo)
    r = run_cli("check", "db/spec", "--base", "main", "--prove-dsn", "postgresql://x@/y")
    assert r.code == 1 and "--prove-dsn goes with --prove" in r.err, r


# -- safe paths with the finding's own names -----------------------------------------------

def test_safe_paths_name_the_real_table_and_column_quoted_as_sql_needs():
    from schemadiff import changes as c
    from schemadiff.model import CheckConstraint, Column, QualifiedName, UniqueConstraint
    from schemadiff.rules.teach import GENERIC, safe_path_for

    table = QualifiedName("billing", "Order")
    steps = safe_path_for("SD503", c.AddColumn(table, Column("Region", "text", nullable=False)))
    assert ('ALTER TABLE billing."Order" ADD CONSTRAINT "Region_not_null" CHECK ("Region" IS NOT NULL) NOT VALID'
            in steps[2]), steps
    steps = safe_path_for("SD502", c.AddCheck(table, CheckConstraint("order_total_check", "total >= 0")))
    assert 'ALTER TABLE billing."Order" ADD CONSTRAINT order_total_check CHECK (total >= 0) NOT VALID' in steps[1]
    steps = safe_path_for("SD505", c.AddUnique(table, UniqueConstraint("order_code_key", ("code",))))
    assert 'CREATE UNIQUE INDEX CONCURRENTLY order_code_key ON billing."Order" (code)' in steps[1], steps
    steps = safe_path_for("SD501", c.SetNotNull(table, "note"))
    assert 'ALTER TABLE billing."Order" ALTER COLUMN note SET NOT NULL' in steps[3], steps
    # every placeholder of every rule is filled, with or without a change
    import re

    from schemadiff.rules import all_rules
    for rule in all_rules():
        for step in safe_path_for(rule.code):
            assert not re.search(r"\{(" + "|".join(GENERIC) + r")\}", step), (rule.code, step)


def test_prove_dsn_password_is_never_printed(repo: Path, monkeypatch):
    _additive(repo)
    monkeypatch.chdir(repo)
    for dsn in ("postgresql://admin:Hunter2ProveSecret@127.0.0.1:1/postgres?connect_timeout=2",
                "host=127.0.0.1 port=1 user=admin password=Hunter2ProveSecret connect_timeout=2"):
        r = run_cli("check", "db/spec", "--base", "main", "--prove", "--prove-dsn", dsn)
        assert r.code == 1 and "not proved" in r.err, r
        assert "Hunter2ProveSecret" not in r.out + r.err, r


def test_prove_dsn_must_be_a_superuser(pg, repo: Path, monkeypatch):
    _additive(repo)
    monkeypatch.chdir(repo)
    with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
        conn.execute("CREATE ROLE sd_not_super LOGIN")
    try:
        before = _left_as_found(pg)
        r = run_cli("check", "db/spec", "--base", "main", "--prove", "--prove-dsn",
                    pg.dsn("postgres") + " user=sd_not_super")
        assert r.code == 1 and "must name a superuser" in r.err, r
        assert _left_as_found(pg) == before
    finally:
        with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
            conn.execute("DROP ROLE sd_not_super")
