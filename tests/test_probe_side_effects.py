"""Plan's one-row default probe (``column_facts.rejected_defaults``) computes a new
column's default on a temporary table holding one row. What that computation runs is
more than the default's text shows: the column's domain (its CHECKs, its own DEFAULT
when the column has none), a cast to a domain inside the default, an operator. A
database whose domain calls a function with effects a rollback does not undo (a
sequence's ``nextval``, an advisory lock, ``pg_terminate_backend``, a dblink) must not
have it called by ``plan``. Each case on a real server, with canary rows and a
sequence that count every call; standard_conforming_strings on and off."""

from __future__ import annotations

import psycopg
import pytest

from .conftest import run_cli, write_spec

CANARY = ("CREATE TABLE public.t (id integer PRIMARY KEY, name varchar(10));"
          "INSERT INTO public.t VALUES (1, 'keep'), (2, 'me');"
          "CREATE SEQUENCE public.side;"
          # a function with an effect no rollback undoes: every call advances the sequence
          "CREATE FUNCTION public.bump(integer) RETURNS boolean LANGUAGE plpgsql AS "
          "$$BEGIN PERFORM pg_catalog.nextval('public.side'); RETURN true; END$$;"
          "CREATE FUNCTION public.bumped() RETURNS integer LANGUAGE plpgsql AS "
          "$$BEGIN PERFORM pg_catalog.nextval('public.side'); RETURN 1; END$$;"
          "CREATE DOMAIN public.audited AS integer CHECK (public.bump(VALUE));"
          "CREATE DOMAIN public.stamped AS integer DEFAULT public.bumped();"
          "CREATE DOMAIN public.deep AS public.audited;"
          "CREATE FUNCTION public.plus(integer, integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS "
          "$$BEGIN PERFORM pg_catalog.nextval('public.side'); RETURN $1 + $2; END$$;"
          "CREATE OPERATOR public.### (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.plus);")
ROOT = "version: 1\nexternal:\n  types: [public.audited, public.stamped, public.deep]\n"
T = "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n  name: varchar(10)\n"

CASES = {
    "a domain whose CHECK calls a function": "  n: {type: public.audited, default: '5'}\n",
    "a domain of that domain": "  n: {type: public.deep, default: '5'}\n",
    "a domain whose DEFAULT calls a function": "  n: public.stamped\n  m: {type: integer, default: '1'}\n",
    "a cast to that domain inside the default": "  m: {type: integer, default: \"('5'::public.audited)::integer\"}\n",
    "a CHECK casting to that domain": "  m: {type: integer, default: '5', check: \"(m::public.audited) IS NOT NULL\"}\n",
    "an operator whose function has the effect": "  m: {type: integer, default: \"1 OPERATOR(public.###) 1\"}\n",
}


def _state(dsn: str):
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT id, name FROM public.t ORDER BY id").fetchall()
        side = conn.execute("SELECT last_value, is_called FROM public.side").fetchone()
        cols = [r[0] for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'public.t'::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum")]
        return rows, side, cols


@pytest.mark.parametrize("scs", ["on", "off"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_plan_never_calls_a_function_the_new_columns_default_would_reach(pg, db, tmp_path, case, scs):
    result = pg.run_psql(db, sql=CANARY + f'ALTER DATABASE "{db}" SET standard_conforming_strings = {scs};')
    assert result.returncode == 0, result.stderr
    before = _state(pg.dsn(db))
    assert before == ([(1, "keep"), (2, "me")], (1, False), ["id", "name"])
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": T + CASES[case]})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert "Traceback" not in plan.err, plan
    assert plan.code in (0, 1, 3), plan
    assert _state(pg.dsn(db)) == before, (case, plan)  # no call of public.bump / bumped / plus


def test_the_control_a_domain_whose_check_calls_only_pg_catalog_is_still_computed(pg, db, tmp_path):
    """The probe still finds what it is for: ``posint``'s CHECK (VALUE > 0) rejects the default 0."""
    result = pg.run_psql(db, sql=CANARY + "CREATE DOMAIN public.posint AS integer CHECK (VALUE > 0);")
    assert result.returncode == 0, result.stderr
    before = _state(pg.dsn(db))
    root = "version: 1\nexternal:\n  types: [public.posint, public.audited]\n"
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": root, "tables/t.yaml": T + (
        "  n: {type: public.posint, default: '0'}\n  a: {type: public.audited, default: '5'}\n")})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 1, plan
    assert "t.yaml:5: error:" in plan.err and 'violates check constraint "posint_check"' in plan.err, plan.err
    assert "column a" not in plan.err, plan.err
    assert _state(pg.dsn(db)) == before


# -- a materialized view's index, brought to the server's spelling (converge_matviews) -----------

LEVEL = ("function: level\nreturns: integer\nlanguage: plpgsql\nvolatility: immutable\n"
         "body: |\n  BEGIN\n    PERFORM pg_catalog.nextval('public.side');\n    RETURN 1;\n  END;\n")
ORDERS = "table: orders\ncolumns:\n  id: {type: integer, primary_key: true}\n  total: {type: numeric, nullable: false}\n"
MV = ("view: totals\nmaterialized: true\nquery: SELECT o.id, o.total FROM public.orders o\n"
      "indexes:\n  totals_big: {columns: [id], where: total > public.level()}\n")


@pytest.mark.parametrize("scs", ["on", "off"])
def test_plan_never_runs_a_spec_functions_body_to_spell_a_matviews_index(pg, db, tmp_path, scs):
    """The server folds an IMMUTABLE call in an index predicate as it takes it: the probe
    that reads back its spelling must call a stand-in, as exprcheck's probes do."""
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\n", "functions/level.yaml": LEVEL,
                                          "tables/orders.yaml": ORDERS, "views/totals.yaml": MV})
    # (built by hand, to hold the real body in the database before the plan runs)
    result = pg.run_psql(db, sql=(
        "CREATE SEQUENCE public.side;"
        "CREATE FUNCTION public.level() RETURNS integer LANGUAGE plpgsql IMMUTABLE AS "
        "$$BEGIN\n  PERFORM pg_catalog.nextval('public.side');\n  RETURN 1;\nEND;\n$$;"
        "CREATE TABLE public.orders (id integer PRIMARY KEY, total numeric NOT NULL);"
        "CREATE MATERIALIZED VIEW public.totals AS SELECT o.id, o.total FROM public.orders o WITH NO DATA;"
        "CREATE INDEX totals_big ON public.totals (id) WHERE total > public.level();"
        "DROP SEQUENCE public.side; CREATE SEQUENCE public.side;"
        "INSERT INTO public.orders VALUES (1, 5), (2, 500);"
        f'ALTER DATABASE "{db}" SET standard_conforming_strings = {scs};'))
    assert result.returncode == 0, result.stderr
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 0, plan.out
    assert "totals_big" not in plan.out, plan.out  # the server's spelling is the spec's: no change
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT last_value, is_called FROM public.side").fetchone() == (1, False)
        assert conn.execute("SELECT id, total FROM public.orders ORDER BY id").fetchall() == [(1, 5), (2, 500)]


# -- the database's event triggers ------------------------------------------------------------------

EVENT = ("CREATE FUNCTION public.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS "
         "$$BEGIN PERFORM pg_catalog.nextval('public.side'); END$$;"
         "CREATE EVENT TRIGGER on_ddl_start ON ddl_command_start EXECUTE FUNCTION public.on_ddl();"
         "CREATE EVENT TRIGGER on_ddl_end ON ddl_command_end EXECUTE FUNCTION public.on_ddl();")


@pytest.mark.parametrize("scs", ["on", "off"])
def test_plan_fires_no_event_trigger_of_the_database(pg, db, tmp_path, scs):
    """Every probe is DDL on temporary objects (CREATE TEMP TABLE, CREATE FUNCTION pg_temp…,
    CREATE INDEX, CREATE POLICY): an event trigger of the database fires on each."""
    result = pg.run_psql(db, sql=CANARY + EVENT + f'ALTER DATABASE "{db}" SET standard_conforming_strings = {scs};')
    assert result.returncode == 0, result.stderr
    before = _state(pg.dsn(db))
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": T + (
        "  n: {type: integer, default: '0', check: n >= 0}\nindexes:\n  t_n: {columns: [n], where: n > 0}\n")})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert "Traceback" not in plan.err, plan
    assert _state(pg.dsn(db)) == before, plan.out + plan.err


# -- SD704's walk through the database's views (relation_graph) ------------------------------------

def _ladder(levels: int) -> str:
    """A guarded table under ``levels`` diamonds of views: 2**levels paths from the top to it."""
    sql = ["CREATE TABLE public.care (id integer); ALTER TABLE public.care ENABLE ROW LEVEL SECURITY;",
           "CREATE VIEW public.l0 AS SELECT id FROM public.care;"]
    for k in range(1, levels + 1):
        sql.append(f"CREATE VIEW public.l{k}a AS SELECT id FROM public.l{k - 1};"
                   f"CREATE VIEW public.l{k}b AS SELECT id FROM public.l{k - 1};"
                   f"CREATE VIEW public.l{k} AS SELECT id FROM public.l{k}a UNION ALL SELECT id FROM public.l{k}b;")
    return "".join(sql)


@pytest.mark.parametrize("LEVELS", [1, 22])
def test_sd704_walks_each_database_view_once_however_many_paths_lead_to_it(pg, db, tmp_path, LEVELS):
    """A hostile (or just large) catalog of views sharing views: the walk through them is
    bounded by the views and their edges, not by the paths (2**40 here)."""
    result = pg.run_psql(db, sql="CREATE SCHEMA other;" + _ladder(LEVELS).replace("public.", "other."))
    assert result.returncode == 0, result.stderr
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\n",
                                          "views/top.yaml": f"view: top\nquery: SELECT t.id FROM other.l{LEVELS} t\n"})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 3, plan.out
    assert "SD704" in plan.out and "other.care" in plan.out, plan.out


# -- a secret of the database's settings, echoed in a probe's message -------------------------------

SECRET = "s3cr3t-jwt-key"


@pytest.mark.parametrize("scs", ["on", "off"])
@pytest.mark.parametrize("default", [
    "current_setting('app.settings.jwt_secret')::integer",
    "pg_catalog.current_setting('app.settings.jwt_secret', true)::integer",
    "length(current_setting('app.settings.jwt_secret')) / 0",
])
def test_plan_never_prints_a_setting_a_new_columns_default_reads(pg, db, tmp_path, scs, default):
    """A pull request's default that reads a database setting (Supabase kept its JWT secret in
    app.settings.jwt_secret) and fails on it must not have plan print the value."""
    result = pg.run_psql(db, sql=CANARY + f'ALTER DATABASE "{db}" SET app.settings.jwt_secret = \'{SECRET}\';'
                                          f'ALTER DATABASE "{db}" SET standard_conforming_strings = {scs};')
    assert result.returncode == 0, result.stderr
    before = _state(pg.dsn(db))
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": T + (
        f"  m: {{type: integer, default: \"{default}\"}}\n")})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert "Traceback" not in plan.err, plan
    assert SECRET not in plan.out + plan.err, plan.out + plan.err
    assert plan.code == 1 and "t.yaml:5: error: the default of new column m" in plan.err, plan
    assert "SQLSTATE 22P02" in plan.err or "division by zero" in plan.err, plan.err  # still says why
    assert _state(pg.dsn(db)) == before


# -- import: the database's own expressions, read back through probes (humane, converge) ----------

NOT_A_SPEC_FUNCTION = (
    # immutable, with a default argument: not a function the spec language holds, so no stand-in
    "CREATE FUNCTION public.lim(a integer DEFAULT 1) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS "
    "$$BEGIN PERFORM pg_catalog.nextval('public.side'); RETURN a; END$$;"
    # on a table nothing here reads (a query planned on it folds them: PostgreSQL's own habit)
    "CREATE TABLE public.u (id integer, name varchar(10));"
    "CREATE INDEX u_some ON public.u (id) WHERE name <> 'x' AND id > public.lim();"
    "CREATE INDEX u_expr ON public.u ((name::text || public.lim()::text));")


@pytest.mark.parametrize("scs", ["on", "off"])
def test_import_never_runs_a_database_functions_body(pg, db, tmp_path, scs):
    result = pg.run_psql(db, sql=CANARY + NOT_A_SPEC_FUNCTION)
    assert result.returncode == 0, result.stderr
    result = pg.run_psql(db, sql="DROP SEQUENCE public.side CASCADE; CREATE SEQUENCE public.side;"
                                 f'ALTER DATABASE "{db}" SET standard_conforming_strings = {scs};')
    assert result.returncode == 0, result.stderr
    before = _state(pg.dsn(db))
    imported = run_cli("import", "--db", pg.dsn(db), "--out", str(tmp_path / "out"))
    assert "Traceback" not in imported.err, imported
    assert _state(pg.dsn(db)) == before, imported.out + imported.err
