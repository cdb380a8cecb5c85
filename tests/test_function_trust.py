"""Review findings F1, F2, F3, F8, F9 (functions): each a hostile input that must be
refused at its depth, with a canary table whose rows survive on a real server.

F1  a function's body run by ADD COLUMN … DEFAULT on an existing table
F9  SECURITY DEFINER without pg_temp last (the caller's temp tables searched first)
F2  pg_temp_N / pg_toast* in a function's search_path
F3  type modifiers in a function signature (phantom change, rollback dropping a function)
F8  setof in a type position
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql as psql_sql

from schemadiff.guard import Catalog, check_statements

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"
CANARY = ("CREATE TABLE public.canary (v integer); INSERT INTO public.canary VALUES (1), (2); "
          "CREATE TABLE public.t (id integer PRIMARY KEY); INSERT INTO public.t VALUES (1);")
EVIL = """\
function: f
returns: integer
language: plpgsql
body: |
  BEGIN
    DELETE FROM public.canary;
    RETURN 1;
  END;
"""
T_WITH_DEFAULT = """\
table: t
columns:
  id: {type: integer, primary_key: true}
  x: {type: integer, default: "public.f()"}
"""
CANARY_TABLE = "table: canary\ncolumns:\n  v: {type: integer}\n"


def _canary(pg, db, scs="on"):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute(psql_sql.SQL("ALTER DATABASE {} SET standard_conforming_strings = {}").format(
            psql_sql.Identifier(db), psql_sql.SQL(scs)))


def _count(pg, db) -> int:
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM public.canary").fetchone()[0]


def _fn(name="f", **fields) -> str:
    lines = [f"function: {name}", fields.pop("returns_line", "returns: integer"), "language: sql"]
    lines += [f"{k}: {v}" for k, v in fields.items()]
    lines.append("body: SELECT 1")
    return "\n".join(lines) + "\n"


# -- F1 -------------------------------------------------------------------------------------------

def test_f1_a_spec_function_also_listed_external_is_a_load_error(tmp_path):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\nexternal:\n  functions: [public.f]\n",
                                          "functions/f.yaml": EVIL, "tables/t.yaml": T_WITH_DEFAULT,
                                          "tables/canary.yaml": CANARY_TABLE})
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    assert "functions/f.yaml:1:" in result.err and "external" in result.err, result.err


@pytest.mark.parametrize("scs", ["on", "off"])
@pytest.mark.parametrize("declared", ["VOLATILE", "IMMUTABLE", "STABLE"])
def test_f1_a_default_calling_a_user_function_on_an_existing_table_is_refused(pg, db, tmp_path, scs, declared):
    """public.f exists in the database (external); whatever volatility it claims, a new column's
    default calling it is SD601 at plan and apply: its body never runs; the canary keeps its rows."""
    _canary(pg, db, scs)
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("CREATE FUNCTION public.g() RETURNS integer LANGUAGE plpgsql VOLATILE AS "
                     "'BEGIN DELETE FROM public.canary; RETURN 1; END'")
        conn.execute(f"CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql {declared} AS 'SELECT public.g()'")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\nexternal:\n  functions: [public.f]\n",
                                          "tables/t.yaml": T_WITH_DEFAULT, "tables/canary.yaml": CANARY_TABLE})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code != 0 and "SD601" in plan.out + plan.err, plan
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code != 0, applied
    assert _count(pg, db) == 2
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.t'::regclass "
                            "AND attname = 'x'").fetchone()[0] == 0


def test_f1_volatility_at_plan_time_counts_unknown_and_user_functions(pg, db):
    from schemadiff.introspect.converge import volatility
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("CREATE FUNCTION public.imm() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1'")
        got = volatility(conn, ["public.imm()", "public.missing()", "now()", "lower('x')", "random()",
                                "pg_catalog.upper('a')", "1"])
    assert got == {"public.imm()": True, "public.missing()": True, "now()": False, "lower('x')": False,
                   "random()": True, "pg_catalog.upper('a')": False, "1": False}


# -- F9 / F2 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,definer,message", [
    ("[pg_temp_9, public]", False, "pg_temp_9"),
    ("[public, pg_toast_temp_3]", False, "pg_toast_temp_3"),
    ("[pg_toast, public]", False, "pg_toast"),
    ("[PG_TEMP_3, public]", False, "PG_TEMP_3"),
    ("[pg_temp, public]", False, "last"),
    ("[pg_catalog, public]", True, "[pg_catalog, public, pg_temp]"),
    ("[public, pg_temp, pg_catalog]", True, "last"),
    ("[]", False, "search_path"),
    ("[pg_temp]", True, "before pg_temp"),
    ("[pg_temp]", False, "before pg_temp"),
])
def test_f9_f2_search_path_entries_are_refused_at_their_line(tmp_path, path, definer, message):
    extra = {"security": "definer"} if definer else {}
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT,
                                          "functions/f.yaml": _fn(search_path=path, **extra)})
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    assert "functions/f.yaml:4:" in result.err and message in result.err, result.err


@pytest.mark.parametrize("path,definer", [("[public, pg_temp]", False), ("[pg_catalog, public, pg_temp]", True),
                                          ("[public]", False), ("[pg_catalog, public]", False)])
def test_f9_allowed_search_paths_load(tmp_path, path, definer):
    extra = {"security": "definer"} if definer else {}
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT,
                                          "functions/f.yaml": _fn(search_path=path, **extra)})
    result = run_cli("validate", str(spec))
    assert result.code == 0, result


IS_ADMIN = """\
function: is_admin
arguments: [{name: uid, type: integer}]
returns: boolean
language: sql
volatility: stable
security: definer
search_path: [pg_catalog, public, pg_temp]
body: SELECT EXISTS (SELECT FROM admins WHERE id = uid)
"""


@pytest.mark.parametrize("scs", ["on", "off"])
def test_f9_a_definer_function_does_not_see_the_callers_temp_tables(pg, db, tmp_path, scs):
    _canary(pg, db, scs)
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "functions/is_admin.yaml": IS_ADMIN,
                                          "tables/admins.yaml": "table: admins\ncolumns:\n  id: {type: integer}\n"})
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE admins (id integer); INSERT INTO admins VALUES (1)")
        assert conn.execute("SELECT public.is_admin(1)").fetchone()[0] is False
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again
    assert _count(pg, db) == 2


_DEFINER = ("CREATE FUNCTION public.f() RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER "
            "SET search_path TO {} AS E'begin return 1; end'")


@pytest.mark.parametrize("path,ok", [
    ("pg_temp_3, public", False), ("pg_catalog, public", False), ("pg_temp, public", False),
    ("public, pg_toast", False), ("pg_catalog, public, pg_temp", True), ("public, pg_temp", True),
    ("\"pg_temp\", public", False), ("public, \"pg_temp_3\"", False), ("pg_temp", False),
    ("E'public, pg_temp'", False),
])
def test_f9_f2_guard_enforces_the_same_search_path(path, ok):
    problems = check_statements([_DEFINER.format(path)], Catalog())
    assert (not problems) == ok, problems
    plain = _DEFINER.replace(" SECURITY DEFINER", "").format(path)
    plain_ok = ok or path in ("pg_catalog, public", "E'public, pg_temp'")  # the latter: one schema of that name
    assert (not check_statements([plain], Catalog())) == plain_ok


@pytest.mark.parametrize("signature", ["(x character varying(20)) RETURNS integer",
                                       "(x integer) RETURNS numeric(10,2)", "(x bpchar(1)) RETURNS integer",
                                       "(x interval second) RETURNS integer"])
def test_f3_guard_refuses_type_modifiers_in_a_signature(signature):
    stmt = f"CREATE FUNCTION public.f{signature} LANGUAGE sql VOLATILE AS E'select 1'"
    assert check_statements([stmt], Catalog())


def test_f9_import_leaves_out_a_definer_function_without_pg_temp_last(pg, db, tmp_path):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("CREATE FUNCTION public.bad() RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER "
                     "SET search_path = pg_catalog, public AS 'SELECT 1'")
        conn.execute("CREATE FUNCTION public.good() RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER "
                     "SET search_path = pg_catalog, public, pg_temp AS 'SELECT 1'")
        conn.execute("CREATE FUNCTION public.tmp() RETURNS integer LANGUAGE sql STABLE "
                     "SET search_path = pg_temp_3, public AS 'SELECT 1'")
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    names = sorted(p.name for p in (out / "functions").glob("*.yaml"))
    assert names == ["good.yaml"], names
    text = result.out + result.err
    assert "public.bad()" in text and "pg_temp" in text, text
    assert "public.tmp()" in text
    assert run_cli("validate", str(out)).code == 0
    again = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again


# -- F3 / F8 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("where,text,line", [
    ("arguments", "[\"varchar(20)\", integer]", 4), ("arguments", "[numeric(5)]", 4),
    ("arguments", "[\"timestamp(3)\"]", 4), ("arguments", "[\"bit(3)\"]", 4), ("arguments", "[char]", 4),
    ("arguments", "[\"character(1)[]\"]", 4), ("arguments", "[interval second]", 4),
    ("arguments", "[\"interval day to second\"]", 4), ("arguments", "[\"time(2) with time zone\"]", 4),
    ("returns", "numeric(10,2)", 2), ("returns", "char", 2), ("returns", "\"varchar(3)\"", 2),
])
def test_f3_type_modifiers_in_a_signature_are_load_errors(tmp_path, where, text, line):
    if where == "arguments":
        body = _fn(arguments=text)
    else:
        body = _fn(returns_line=f"returns: {text}")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "functions/f.yaml": body})
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    assert f"functions/f.yaml:{line}:" in result.err and "modifier" in result.err, result.err


@pytest.mark.parametrize("text", ["[bpchar, \"character varying\", numeric, interval, \"timestamp with time zone\"]",
                                  "[text, \"integer[]\"]"])
def test_f3_the_same_types_without_modifier_load(tmp_path, text):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "functions/f.yaml": _fn(arguments=text)})
    assert run_cli("validate", str(spec)).code == 0


@pytest.mark.parametrize("scs", ["on", "off"])
def test_f3_a_signature_without_modifiers_plans_to_nothing_after_apply(pg, db, tmp_path, scs):
    _canary(pg, db, scs)
    fn = _fn(arguments="[\"character varying\", bpchar, numeric, interval]", returns_line="returns: numeric")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "functions/f.yaml": fn})
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied.out + applied.err
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again.out
    assert _count(pg, db) == 2


@pytest.mark.parametrize("files,line", [
    ({"tables/t.yaml": "table: t\ncolumns:\n  id: {type: integer}\n  s: {type: setof integer}\n"}, 4),
    ({"functions/f.yaml": _fn(arguments="[setof int]")}, 4),
    ({"functions/f.yaml": _fn(returns_line="returns: setof integer")}, 2),
])
def test_f8_setof_in_any_type_position_is_a_load_error(tmp_path, files, line):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, **files})
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    (name,) = files
    assert f"{name}:{line}:" in result.err and "setof" in result.err.lower(), result.err


def test_f3_import_writes_bpchar_and_bit_without_their_implicit_modifier(pg, db, tmp_path):
    """The catalog prints ``character`` and ``bit`` (format_type(oid, NULL)); written bare, the
    grammar would read character(1) and bit(1), which the loader refuses in a signature."""
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("CREATE FUNCTION public.f(a bpchar, b bit, c bpchar[]) RETURNS bpchar LANGUAGE sql IMMUTABLE "
                     "AS 'SELECT a'")
    out = tmp_path / "spec"
    assert run_cli("import", "--db", pg.dsn(db), "--out", str(out)).code == 0
    text = (out / "functions" / "f.yaml").read_text()
    assert "bpchar" in text and "pg_catalog.bit" in text, text
    assert run_cli("validate", str(out)).code == 0
    again = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again.out
    fresh = pg.create_database()
    try:
        applied = run_cli("apply", str(out), "--db", pg.dsn(fresh), "--yes")
        assert applied.code == 0, applied.out + applied.err
        with psycopg.connect(pg.dsn(fresh), autocommit=True) as conn:
            assert conn.execute("SELECT pg_get_function_identity_arguments('public.f'::regproc)").fetchone()[0] == (
                "a character, b bit, c character[]")
    finally:
        pg.drop_database(fresh)


@pytest.mark.parametrize("existing", [
    "CREATE FUNCTION public.f(integer) RETURNS integer LANGUAGE sql SET work_mem = '64kB' AS 'SELECT 1'",
    "CREATE PROCEDURE public.f(integer) LANGUAGE sql AS 'SELECT 1'",
    "CREATE FUNCTION public.f(character varying, OUT r integer) LANGUAGE sql AS 'SELECT 1'",
])
def test_f3_a_new_function_whose_signature_the_database_has_is_sd901(pg, db, tmp_path, existing):
    """A routine schemadiff does not read, with the signature of a spec function: the plan
    would CREATE it (and fail), and a migration's rollback would DROP the one that was there."""
    _canary(pg, db)
    varchar = "OUT r" in existing
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(existing)
    fn = _fn(arguments="[\"character varying\"]" if varchar else "[integer]")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "functions/f.yaml": fn})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code != 0 and "SD901" in plan.out, plan.out
    migration = run_cli("plan", str(spec), "--db", pg.dsn(db), "--write-migration", str(tmp_path / "mig"))
    assert migration.code != 0, migration.out
    assert not (tmp_path / "mig").exists() or not list((tmp_path / "mig").rglob("*.sql"))
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code != 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM pg_proc WHERE proname = 'f'").fetchone()[0] == 1
    assert _count(pg, db) == 2
