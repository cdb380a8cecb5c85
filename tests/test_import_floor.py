"""What each command imports (issue 15, "import only what the command uses").

Each command runs in a fresh interpreter; the modules it loaded are printed after
``main`` returns. The floor must not creep back:

* ``plan`` with nothing to do compiles no statement, so it loads no sqlglot
  (the compiler is imported where steps are compiled);
* ``check`` (spec against spec, no ``--prove``) connects to nothing: no psycopg,
  and with no change, no sqlglot either;
* ``validate`` connects to nothing: no psycopg;
* a load the cache serves whole (spec/loadcache.py) reads no YAML and validates nothing: a warm
  no-change ``plan`` and a warm ``check`` load neither pydantic nor PyYAML (nor sqlglot).

Still loaded, on purpose: pglast by every command that loads a spec holding
expressions (each one is parsed and judged by ``funcpolicy`` at load time, a
trust check; after a cached load, by the planning modules: ``identifiers`` quotes
with pglast's keyword lists, converge and the catalog reader parse), and sqlglot and pglast by ``validate`` and ``sql``, which compile
every statement and check it (``compile.verify.checked``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import EXAMPLES

SPEC = EXAMPLES / "engagement" / "schema"
PROBE = (
    "import io, json, sys\n"
    "from schemadiff.cli import main\n"
    "out, err = io.StringIO(), io.StringIO()\n"
    "code = main(sys.argv[1:], out, err)\n"
    "print(json.dumps({'code': code, 'out': out.getvalue(), 'err': err.getvalue(),\n"
    "                  'modules': sorted({m.split('.')[0] for m in sys.modules})}))\n"
)


def _run(*argv: str, cache_dir=None) -> dict:
    env = {**os.environ, "SCHEMADIFF_NO_CACHE": "1"}
    if cache_dir is not None:  # the cache on, in this directory
        env.pop("SCHEMADIFF_NO_CACHE")
        env["SCHEMADIFF_CACHE_DIR"] = str(cache_dir)
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_plan_with_no_change_loads_no_sqlglot(pg, db):
    assert pg.run_psql(db, file=EXAMPLES / "engagement" / "prerequisites.sql").returncode == 0
    applied = _run("apply", str(SPEC), "--db", pg.dsn(db), "--yes")
    assert applied["code"] == 0, applied["err"]
    assert "sqlglot" in applied["modules"]  # the probe sees what a command loads
    result = _run("plan", str(SPEC), "--db", pg.dsn(db))
    assert result["code"] == 0, result["err"]
    assert "No changes" in result["out"]
    assert "psycopg" in result["modules"]
    assert "sqlglot" not in result["modules"]


def test_plan_with_changes_still_compiles(pg, db):
    assert pg.run_psql(db, file=EXAMPLES / "engagement" / "prerequisites.sql").returncode == 0
    result = _run("plan", str(SPEC), "--db", pg.dsn(db))
    assert result["code"] == 0, result["err"]
    assert "+ create table" in result["out"]
    assert "sqlglot" in result["modules"] and "pglast" in result["modules"]


def test_check_loads_no_psycopg_nor_sqlglot():
    result = _run("check", str(SPEC), "--base", str(SPEC))
    assert result["code"] == 0, result["err"]
    assert "psycopg" not in result["modules"]
    assert "sqlglot" not in result["modules"]


def test_check_with_a_change_loads_no_psycopg(tmp_path):
    import shutil

    head = tmp_path / "head"
    shutil.copytree(SPEC, head)
    table = sorted((head).rglob("*.yaml"))[-1]
    table.unlink()  # a table removed: refused, but judged and reported
    result = _run("check", str(head), "--base", str(SPEC))
    assert result["code"] == 3, result
    assert "psycopg" not in result["modules"]


def test_validate_loads_no_psycopg():
    result = _run("validate", str(SPEC))
    assert result["code"] == 0, result["err"]
    assert ": ok" in result["out"]
    assert "psycopg" not in result["modules"]
    assert "pglast" in result["modules"]  # every statement is compiled and checked


HEAVY = ("pydantic", "pydantic_core", "yaml", "sqlglot")


def test_a_warm_plan_with_no_change_loads_no_pydantic_nor_yaml(pg, db, tmp_path):
    assert pg.run_psql(db, file=EXAMPLES / "engagement" / "prerequisites.sql").returncode == 0
    assert _run("apply", str(SPEC), "--db", pg.dsn(db), "--yes")["code"] == 0
    cold = _run("plan", str(SPEC), "--db", pg.dsn(db), cache_dir=tmp_path / "cache")
    assert cold["code"] == 0 and "pydantic" in cold["modules"] and "yaml" in cold["modules"]  # a full load
    _run("plan", str(SPEC), "--db", pg.dsn(db), cache_dir=tmp_path / "cache")  # writes the whole entry
    warm = _run("plan", str(SPEC), "--db", pg.dsn(db), cache_dir=tmp_path / "cache")
    assert warm["code"] == 0, warm["err"]
    assert (warm["out"], warm["err"]) == (cold["out"], cold["err"]) and "No changes" in warm["out"]
    assert "psycopg" in warm["modules"]
    assert not [m for m in HEAVY if m in warm["modules"]], warm["modules"]


def test_a_warm_check_loads_no_pydantic_nor_yaml_nor_psycopg(tmp_path):
    cold = _run("check", str(SPEC), "--base", str(SPEC), cache_dir=tmp_path / "cache")
    _run("check", str(SPEC), "--base", str(SPEC), cache_dir=tmp_path / "cache")
    warm = _run("check", str(SPEC), "--base", str(SPEC), cache_dir=tmp_path / "cache")
    assert warm["code"] == 0 and (warm["out"], warm["err"]) == (cold["out"], cold["err"])
    assert not [m for m in (*HEAVY, "psycopg") if m in warm["modules"]], warm["modules"]


def test_import_without_functions_loads_no_sqlglot(pg, db, tmp_path):
    """``import`` compiles nothing: the compiler (for a function's signature types) is
    imported only when the schema holds a function."""
    ddl = ("CREATE TABLE t (id integer PRIMARY KEY, s text DEFAULT 'x' CHECK (s <> ''), n numeric); "
           "CREATE INDEX t_s ON t (lower(s)) WHERE n > 0; ALTER TABLE t ENABLE ROW LEVEL SECURITY; "
           "CREATE POLICY p ON t USING (n > (0)::numeric);")
    assert pg.run_psql(db, sql=ddl).returncode == 0
    result = _run("import", "--db", pg.dsn(db), "--out", str(tmp_path / "spec"))
    assert result["code"] == 0, result["err"]
    assert (tmp_path / "spec" / "tables" / "t.yaml").exists()
    assert "psycopg" in result["modules"] and "pglast" in result["modules"]
    assert "sqlglot" not in result["modules"]
    ddl = "CREATE FUNCTION f(a integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a';"
    assert pg.run_psql(db, sql=ddl).returncode == 0
    result = _run("import", "--db", pg.dsn(db), "--out", str(tmp_path / "again"))
    assert result["code"] == 0, result["err"]
    assert (tmp_path / "again" / "functions" / "f.yaml").exists()
