"""Spec functions called from expressions (issue 14, brief B): the loader judges the
call by the function's declared volatility, the plan never runs spec code (SD607 on
an existing table; stand-ins in the plan-time probes), functions come before the
tables and views that call them, the guard takes exactly the new shapes, and a
policy or default calling a spec function converges. On a real server, with a
canary whose rows (and whose sequence) must never be touched."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql as psql_sql

from schemadiff.guard import Catalog, check_steps
from schemadiff.speccalls import Callee

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"
# The canary: two rows, and a sequence whose use survives a rolled-back transaction (a
# probe that ran a body would leave its mark there, even though it is rolled back).
CANARY = ("CREATE TABLE public.canary (v integer); INSERT INTO public.canary VALUES (1), (2); "
          "CREATE SEQUENCE public.canary_seq;")


def _plpgsql(name: str, returns: str, volatility: str, ret: str, arguments: str = "") -> str:
    """A spec function that, if it ever runs, bumps the canary sequence and empties the canary."""
    args = f"arguments: [{arguments}]\n" if arguments else ""
    return (f"function: {name}\n{args}returns: {returns}\nlanguage: plpgsql\nvolatility: {volatility}\n"
            "body: |\n  BEGIN\n    PERFORM public.zap();\n"
            f"    RETURN {ret};\n  END;\n")


ZAP = """\
function: zap
returns: integer
language: plpgsql
body: |
  BEGIN
    PERFORM pg_catalog.nextval('public.canary_seq');
    DELETE FROM public.canary;
    RETURN 1;
  END;
"""
FUNCTIONS = {
    "schemadiff.yaml": ROOT,
    "functions/zap.yaml": ZAP,
    "functions/is_admin.yaml": _plpgsql("is_admin", "boolean", "stable", "true"),
    "functions/valid_n.yaml": _plpgsql("valid_n", "boolean", "immutable", "$1 > 0", "integer"),
    "functions/level.yaml": _plpgsql("level", "integer", "immutable", "1"),
}
T = """\
table: t
columns:
  id: {type: integer, primary_key: true}
  n: integer
"""
# A new table calling spec functions from a default (VOLATILE: a new table only), a
# CHECK and an index expression (IMMUTABLE), and a policy (STABLE).
T_CALLING = T + """\
  made: {type: integer, default: public.zap()}
  lvl: {type: integer, default: public.level()}
checks: ["public.valid_n(n)"]
indexes:
  t_valid: {columns: [{expression: public.valid_n(n)}]}
rls:
  enabled: true
  policies:
    admins: {for: all, using: public.is_admin()}
"""


def _canary(pg, db, scs="on"):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute(psql_sql.SQL("ALTER DATABASE {} SET standard_conforming_strings = {}").format(
            psql_sql.Identifier(db), psql_sql.SQL(scs)))


def _canary_untouched(pg, db) -> bool:
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        rows = conn.execute("SELECT count(*) FROM public.canary").fetchone()[0]
        used = conn.execute("SELECT is_called FROM public.canary_seq").fetchone()[0]
    return rows == 2 and not used


# -- the loader ---------------------------------------------------------------------------------

@pytest.mark.parametrize("where, volatility, words", [
    ("checks: ['public.f(n) > 0']", "stable", "STABLE; a check expression may call only IMMUTABLE"),
    ("indexes: {t_f: {columns: [{expression: public.f(n)}]}}", "volatile", "VOLATILE; a index expression"),
    ("rls: {enabled: true, policies: {p: {for: all, using: public.f(n) > 0}}}", "volatile",
     "VOLATILE; a policy expression may call only IMMUTABLE or STABLE"),
])
def test_the_loader_judges_a_spec_function_by_its_declared_volatility(tmp_path, where, volatility, words):
    fn = (f"function: f\narguments: [integer]\nreturns: integer\nlanguage: sql\nvolatility: {volatility}\n"
          "body: SELECT $1\n")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "functions/f.yaml": fn,
                                          "tables/t.yaml": T + where + "\n"})
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    assert "tables/t.yaml:" in result.err and "public.f()" in result.err and words in result.err, result.err


def test_a_call_with_another_argument_count_or_unqualified_is_a_load_error(tmp_path):
    fn = "function: f\narguments: [integer]\nreturns: integer\nlanguage: sql\nvolatility: immutable\nbody: SELECT $1\n"
    for expression, words in (("public.f(n, n) > 0", "takes 1 argument(s), not 2"),
                              ("f(n) > 0", "not a pg_catalog function")):
        spec = write_spec(tmp_path / expression.replace(" ", "_"), {
            "schemadiff.yaml": ROOT, "functions/f.yaml": fn, "tables/t.yaml": T + f"checks: ['{expression}']\n"})
        result = run_cli("validate", str(spec))
        assert result.code == 1 and words in result.err, result.err


def test_a_spec_function_also_listed_external_stays_a_load_error(tmp_path):
    root = ROOT + "external:\n  functions: [public.zap]\n"
    spec = write_spec(tmp_path / "spec", {**FUNCTIONS, "schemadiff.yaml": root, "tables/t.yaml": T_CALLING})
    result = run_cli("validate", str(spec))
    assert result.code == 1 and "functions/zap.yaml:1:" in result.err and "external" in result.err, result.err


# -- order: `sql` on an empty database ----------------------------------------------------------

DBL = ("function: dbl\narguments: [integer]\nreturns: integer\nlanguage: sql\nvolatility: immutable\n"
       "body: SELECT $1 * 2\n")
ADMIN = ("function: is_admin\nreturns: boolean\nlanguage: sql\nvolatility: stable\n"
         "body: SELECT pg_catalog.current_setting('app.admin', true) = 'on'\n")
VIEW = "view: doubled\nsecurity_invoker: true\nquery: SELECT t.id, public.dbl(t.n) AS d FROM public.t\n"
READS_VIEW = ("function: doubled_count\nreturns: bigint\nlanguage: sql\nvolatility: stable\n"
              "body: SELECT pg_catalog.count(*) FROM public.doubled\n")
T_DBL = T + """\
  m: {type: integer, default: public.dbl(2), check: public.dbl(m) > 0}
indexes:
  t_dbl: {columns: [{expression: public.dbl(n)}], where: public.dbl(n) > 0}
rls:
  enabled: true
  policies:
    admins: {for: all, using: public.is_admin()}
"""
ORDERED = {"schemadiff.yaml": ROOT, "functions/dbl.yaml": DBL, "functions/is_admin.yaml": ADMIN,
           "functions/doubled_count.yaml": READS_VIEW, "views/doubled.yaml": VIEW, "tables/t.yaml": T_DBL}


def test_sql_creates_functions_before_their_callers_and_the_plan_against_it_is_empty(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", ORDERED)
    script = tmp_path / "build.sql"
    result = run_cli("sql", str(spec), "-o", str(script))
    assert result.code == 0, result
    text = script.read_text()
    at = text.index
    # dbl: before the table (its default and check); the view after the table and dbl;
    # a SQL function reading the view after the view; the policy's function before the policy.
    assert at("CREATE FUNCTION public.dbl") < at("CREATE TABLE public.t") < at("CREATE VIEW public.doubled")
    assert at("CREATE VIEW public.doubled") < at("CREATE FUNCTION public.doubled_count")
    assert at("CREATE FUNCTION public.is_admin") < at("CREATE POLICY admins")
    run = pg.run_psql(db, file=script)
    assert run.returncode == 0, run.stderr
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def test_plan_orders_a_new_function_before_the_new_table_and_view_that_call_it(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", ORDERED)
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "sql")
    assert plan.code == 0, plan
    at = plan.out.index
    assert at("CREATE FUNCTION public.dbl") < at("CREATE TABLE public.t") < at("CREATE VIEW public.doubled")
    assert at("CREATE VIEW public.doubled") < at("CREATE FUNCTION public.doubled_count")
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


# -- the canary: plan, apply and check never run spec code ---------------------------------------

@pytest.mark.parametrize("scs", ["on", "off"])
def test_plan_apply_and_check_never_run_a_spec_function_called_by_a_new_table(pg, db, tmp_path, scs):
    """Default, CHECK, index and policy of a new table call spec functions whose bodies would
    empty the canary and bump its sequence: plan (its probes take stand-ins), apply and check
    run none of them; after apply the plan is empty (the server's spelling converges)."""
    _canary(pg, db, scs)
    spec = write_spec(tmp_path / "spec", {**FUNCTIONS, "tables/t.yaml": T_CALLING})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 0, plan
    assert _canary_untouched(pg, db)
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    assert _canary_untouched(pg, db)
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": ROOT})
    checked = run_cli("check", str(spec), "--base", str(base))
    assert checked.code == 0, checked
    assert _canary_untouched(pg, db)
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:  # what was created is what the spec says
        conn.execute("SET search_path = pg_catalog")
        row = conn.execute("SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d "
                           "JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                           "WHERE d.adrelid = 'public.t'::regclass AND a.attname = 'lvl'").fetchone()
        assert row == ("public.level()",)


@pytest.mark.parametrize("scs", ["on", "off"])
def test_plan_probes_never_fold_a_spec_function_into_a_constant(pg, db, tmp_path, scs):
    """An index predicate with a constant call of an IMMUTABLE spec function the database holds:
    the server folds constants as it takes a predicate, so a probe on the real function would
    run its body (rolled back, but the sequence would show it). The probe calls a stand-in."""
    _canary(pg, db, scs)
    first = write_spec(tmp_path / "first", FUNCTIONS)
    assert run_cli("apply", str(first), "--db", pg.dsn(db), "--yes").code == 0
    spec = write_spec(tmp_path / "spec", {**FUNCTIONS, "tables/t.yaml": T + """\
indexes:
  t_pos: {columns: [n], where: n > public.level()}
  t_expr: {columns: [{expression: n + public.level()}]}
"""})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 0, plan
    assert _canary_untouched(pg, db)


@pytest.mark.parametrize("scs", ["on", "off"])
@pytest.mark.parametrize("added, where", [
    ("  m: {type: integer, default: public.level()}\n", "the default of column m"),
    ("checks: ['public.valid_n(n)']\n", "check t_n_check"),
    ("indexes: {t_valid: {columns: [{expression: public.valid_n(n)}]}}\n", "expression 1 of index t_valid"),
    ("indexes: {t_pos: {columns: [n], where: public.valid_n(n)}}\n", "the predicate of index t_pos"),
])
def test_sd607_a_spec_function_over_existing_rows_is_refused_and_nothing_runs(pg, db, tmp_path, scs, added, where):
    _canary(pg, db, scs)
    first = write_spec(tmp_path / "first", {**FUNCTIONS, "tables/t.yaml": T})
    assert run_cli("apply", str(first), "--db", pg.dsn(db), "--yes").code == 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("INSERT INTO public.t VALUES (1, 1), (2, 2)")
    spec = write_spec(tmp_path / "spec", {**FUNCTIONS, "tables/t.yaml": T + added})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 3 and "SD607" in plan.out and where in plan.out, plan
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 3, applied
    checked = run_cli("check", str(spec), "--base", str(first))
    assert checked.code == 3 and "SD607" in checked.out, checked
    assert _canary_untouched(pg, db)


def test_check_a_new_policy_calling_a_spec_function_is_additive(tmp_path):
    base = write_spec(tmp_path / "base", {**FUNCTIONS, "tables/t.yaml": T})
    head = write_spec(tmp_path / "head", {**FUNCTIONS, "tables/t.yaml": T, "tables/u.yaml": """\
table: u
columns:
  id: {type: integer, primary_key: true}
rls:
  enabled: true
  policies:
    admins: {for: all, using: public.is_admin()}
"""})
    checked = run_cli("check", str(head), "--base", str(base))
    assert checked.code == 0 and "SD607" not in checked.out, checked


# -- hostile function names ----------------------------------------------------------------------

@pytest.mark.parametrize("scs", ["on", "off"])
@pytest.mark.parametrize("name", [
    'x"; DROP TABLE public.canary; --',
    "x'); DROP TABLE public.canary; --",
    "$$; DROP TABLE public.canary; $$",
    "Is Admin\\",
])
def test_a_hostile_function_name_called_from_a_policy_reaches_sql_quoted(pg, db, tmp_path, scs, name):
    _canary(pg, db, scs)
    quoted = '"' + name.replace('"', '""') + '"'
    fn = (f"function: {_yaml(name)}\nreturns: boolean\nlanguage: sql\nvolatility: stable\nbody: SELECT true\n")
    table = (f"table: u\ncolumns:\n  id: {{type: integer, primary_key: true}}\nrls:\n  enabled: true\n"
             f"  policies:\n    p: {{for: all, using: {_yaml('public.' + quoted + '()')}}}\n")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "functions/f.yaml": fn, "tables/u.yaml": table})
    assert run_cli("validate", str(spec)).code == 0
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 0, plan
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    assert _canary_untouched(pg, db)
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM pg_catalog.pg_proc WHERE proname = %s", (name,)).fetchone() == (1,)
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def _yaml(text: str) -> str:
    import json

    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


# -- the guard: the new shapes and nothing wider ---------------------------------------------------

CREATE_F = "CREATE FUNCTION public.f(integer) RETURNS integer LANGUAGE sql {v} AS 'SELECT 1'"


@pytest.mark.parametrize("volatility, statement, ok", [
    ("STABLE", "CREATE POLICY p ON public.t USING (public.f(1) > 0)", True),
    ("VOLATILE", "CREATE POLICY p ON public.t USING (public.f(1) > 0)", False),
    ("IMMUTABLE", "CREATE INDEX CONCURRENTLY t_f ON public.t ((public.f(id)))", False),  # existing table
    ("IMMUTABLE", "ALTER TABLE public.t ADD CONSTRAINT t_c CHECK (public.f(id) > 0) NOT VALID", False),
    ("IMMUTABLE", "CREATE TABLE public.u (id integer, CONSTRAINT u_c CHECK (public.f(id) > 0))", True),
    ("STABLE", "CREATE TABLE public.u (id integer, CONSTRAINT u_c CHECK (public.f(id) > 0))", False),
    ("STABLE", "CREATE POLICY p ON public.t USING (public.f(1, 2) > 0)", False),  # no such overload
])
def test_the_guard_takes_a_call_of_a_function_the_plan_creates_only_where_it_never_runs_over_rows(
        volatility, statement, ok):
    steps = [("transactional", CREATE_F.format(v=volatility)),
             ("concurrent" if "CONCURRENTLY" in statement else "transactional", statement)]
    problems = check_steps(steps, Catalog(), external=())
    assert (not problems) == ok, problems


def test_the_guard_takes_the_spec_functions_apply_gives_it_and_no_other():
    steps = [("transactional", "CREATE POLICY p ON public.t USING (public.g())")]
    assert not check_steps(steps, Catalog(), external=(), functions=[Callee("public", "g", 0, "s")])
    assert check_steps(steps, Catalog(), external=(), functions=[Callee("public", "h", 0, "s")])
    assert check_steps(steps, Catalog(), external=(), functions=[Callee("public", "g", 0, "v")])


def test_a_stand_in_still_type_checks_the_call_and_the_message_names_the_spec_function(pg, db, tmp_path):
    """The stand-in has the function's types: a policy whose call returns integer, or that passes
    text to an integer argument, is rejected at plan time, naming the spec's function, not the
    stand-in; a function over an enum the plan creates (no stand-in can be made yet) does not stop
    the other probes, and is not reported."""
    _canary(pg, db)
    mood = ("function: moody\narguments: [public.mood]\nreturns: boolean\nlanguage: sql\nvolatility: stable\n"
            "body: SELECT true\n")
    spec = write_spec(tmp_path / "spec", {**FUNCTIONS, "schemadiff.yaml": ROOT + "enums:\n  mood: [ok, meh]\n",
                                          "functions/moody.yaml": mood, "tables/u.yaml": """\
table: u
columns:
  id: {type: integer, primary_key: true}
  m: public.mood
rls:
  enabled: true
  policies:
    q: {for: all, using: public.moody(m)}
""", "tables/v.yaml": """\
table: v
columns:
  id: {type: integer, primary_key: true}
rls:
  enabled: true
  policies:
    p: {for: all, using: public.level()}
    r: {for: all, using: public.moody('ok'::public.mood)}
    s: {for: all, using: "public.valid_n('x'::text)"}
"""})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 1, plan
    assert "policy p (using)" in plan.err and "must be type boolean, not type integer" in plan.err, plan.err
    assert "policy s (using)" in plan.err and "public.valid_n(text) does not exist" in plan.err, plan.err
    assert "standin" not in plan.err and "policy q" not in plan.err and "policy r" not in plan.err, plan.err
    assert _canary_untouched(pg, db)


@pytest.mark.parametrize("where", ["n > public.level() + '1'", "n > public.level() + '1'::integer"])
def test_converge_probes_never_run_a_spec_function_held_by_an_existing_index(pg, db, tmp_path, where):
    """The database holds an index whose predicate calls a spec function; the spec spells it
    otherwise, so plan asks the server for its spelling on a temporary copy, which folds the
    predicate's constants: a stand-in is folded, never the real body."""
    _canary(pg, db)
    spec = write_spec(tmp_path / "spec", {**FUNCTIONS, "tables/t.yaml": T + f"""\
indexes:
  t_pos: {{columns: [n], where: "{where}"}}
"""})
    first = write_spec(tmp_path / "first", {**FUNCTIONS, "tables/t.yaml": T})
    assert run_cli("apply", str(first), "--db", pg.dsn(db), "--yes").code == 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:  # made by hand; it ran the body once
        conn.execute("CREATE INDEX t_pos ON public.t (n) WHERE n > public.level() + 1")
        conn.execute("TRUNCATE public.canary; INSERT INTO public.canary VALUES (1), (2); "
                     "ALTER SEQUENCE public.canary_seq RESTART")
    assert _canary_untouched(pg, db)
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert _canary_untouched(pg, db)


def test_import_never_runs_a_function_an_index_calls_and_its_spec_plans_to_nothing(pg, db, tmp_path):
    """import proposes people's spellings and asks the server on temporary copies (humane):
    stand-ins there too. The spec it writes calls the imported function and plans to nothing."""
    _canary(pg, db)
    first = write_spec(tmp_path / "first", {**FUNCTIONS, "tables/t.yaml": T_CALLING})
    assert run_cli("apply", str(first), "--db", pg.dsn(db), "--yes").code == 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:  # made by hand; it ran the body once
        conn.execute("CREATE INDEX t_pos ON public.t (n) WHERE n > public.level() + 1")
        conn.execute("TRUNCATE public.canary; INSERT INTO public.canary VALUES (1), (2); "
                     "ALTER SEQUENCE public.canary_seq RESTART")
    out = tmp_path / "imported"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    assert _canary_untouched(pg, db)
    assert any("public.level()" in p.read_text() for p in out.rglob("t.yaml"))
    again = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert _canary_untouched(pg, db)


# -- a materialized view's index calling a spec function -------------------------------------------

LEVEL = ("function: level\nreturns: integer\nlanguage: plpgsql\nvolatility: immutable\n"
         "body: |\n  BEGIN\n    RETURN 1;\n  END;\n")
ORDERS = "table: orders\ncolumns:\n  id: {type: integer, primary_key: true}\n  total: {type: numeric, nullable: false}\n"
TOTALS = ("view: totals\nmaterialized: true\nquery: SELECT o.id, o.total FROM public.orders o\n"
          "indexes:\n  totals_big: {columns: [id], where: total > public.level()}\n"
          "  totals_expr: {columns: [{expression: public.level() + id}]}\n")


@pytest.mark.parametrize("command", ["sql", "plan"])
def test_a_function_a_materialized_views_index_calls_comes_before_the_view(pg, db, tmp_path, command):
    """The index is created with its (empty) materialized view: the function it calls must
    exist by then. It was placed after the views (apply failed: function does not exist)."""
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "functions/level.yaml": LEVEL,
                                          "tables/orders.yaml": ORDERS, "views/totals.yaml": TOTALS})
    if command == "sql":
        out = run_cli("sql", str(spec))
    else:
        out = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "sql")
    assert out.code == 0, out
    at = out.out.index
    assert at("CREATE FUNCTION public.level") < at("CREATE MATERIALIZED VIEW public.totals"), out.out
    if command == "plan":
        applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
        assert applied.code == 0, applied
        again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
        assert again.code == 0, again.out + again.err
