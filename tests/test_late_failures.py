"""What plan calls allowed must not fail in the middle of apply, nor scan or rewrite
an existing table under ACCESS EXCLUSIVE (brief E): each candidate on a real server,
with canary rows that must survive; plan says it at the spec line, and apply runs nothing."""

from __future__ import annotations

import psycopg
import pytest

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"
CANARY = ("CREATE TABLE public.t (id integer PRIMARY KEY, name varchar(10));"
          "INSERT INTO public.t VALUES (1, 'keep'), (2, 'me');")
T = "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n  name: varchar(10)\n"


def _setup(pg, db, sql: str = "") -> None:
    result = pg.run_psql(db, sql=CANARY + sql)
    assert result.returncode == 0, result.stderr


def _canary(pg, db) -> list:
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        return conn.execute("SELECT id, name FROM public.t ORDER BY id").fetchall()


def _columns(pg, db) -> list[str]:
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        return [r[0] for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'public.t'::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum")]


def _spec(tmp_path, columns: str, root: str = ROOT, extra: str = ""):
    return write_spec(tmp_path / "spec", {"schemadiff.yaml": root, "tables/t.yaml": T + columns + extra})


def _plan_and_apply(pg, db, spec):
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    apply = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    return plan, apply


# -- 1 and 6: a new column's default its own constraints reject -----------------------------------

@pytest.mark.parametrize("column,said", [
    # a CHECK the default violates: apply added the column, then VALIDATE failed
    ("  n: {type: integer, default: '0', check: n > 0}\n", "the default of n violates it"),
    # NOT NULL with a default that evaluates to NULL, spelled past the loader's NULL::T test
    ("  n: {type: text, nullable: false, default: \"nullif('a', 'a')\"}\n", "null value"),
    ("  n: {type: integer, nullable: false, default: \"nullif(1, 1)\"}\n", "null value"),
    # a default longer than the column's type: no plan-time probe computed it
    ("  n: {type: varchar(2), default: \"'abc'\"}\n", "value too long"),
])
def test_a_default_the_new_columns_constraints_reject_is_a_plan_error_at_its_line(pg, db, tmp_path, column, said):
    _setup(pg, db)
    spec = _spec(tmp_path, column)
    plan, apply = _plan_and_apply(pg, db, spec)
    for result in (plan, apply):
        assert result.code == 1, result
        assert "t.yaml:5: error:" in result.err, result.err
        assert said in result.err, result.err
    assert _columns(pg, db) == ["id", "name"]  # nothing ran
    assert _canary(pg, db) == [(1, "keep"), (2, "me")]


@pytest.mark.parametrize("column", [
    "  n: {type: integer, default: '1', check: n > 0}\n",
    "  n: {type: integer, nullable: false, default: '1', check: n > 0}\n",
    "  n: {type: varchar(3), nullable: false, default: \"'abc'\"}\n",
    "  n: {type: integer, check: n > 0}\n",  # no default: existing rows read NULL, which a CHECK takes
])
def test_a_default_its_constraints_take_plans_and_applies(pg, db, tmp_path, column):
    _setup(pg, db)
    spec = _spec(tmp_path, column)
    plan, apply = _plan_and_apply(pg, db, spec)
    assert plan.code == 0, plan
    assert apply.code == 0, apply
    assert _columns(pg, db) == ["id", "name", "n"]
    assert _canary(pg, db) == [(1, "keep"), (2, "me")]


# -- 2: a new column of a domain type -------------------------------------------------------------

DOMAINS = ("CREATE DOMAIN public.posint AS integer CHECK (VALUE > 0);"
           "CREATE DOMAIN public.required AS text NOT NULL;"
           "CREATE DOMAIN public.plain AS text;"
           "CREATE DOMAIN public.deeper AS public.posint;")
EXTERNAL = "version: 1\nexternal:\n  types: [public.posint, public.required, public.plain, public.deeper]\n"


@pytest.mark.parametrize("column,domain", [
    ("  n: public.posint\n", "public.posint"),
    ("  n: {type: public.posint, default: '5'}\n", "public.posint"),
    ("  n: {type: public.required, default: \"'x'\"}\n", "public.required"),
    ("  n: {type: public.deeper, default: '5'}\n", "public.deeper"),
])
def test_a_new_column_of_a_constrained_domain_is_refused_sd610(pg, db, tmp_path, column, domain):
    _setup(pg, db, DOMAINS)
    spec = _spec(tmp_path, column, EXTERNAL)
    plan, apply = _plan_and_apply(pg, db, spec)
    for result in (plan, apply):
        assert result.code == 3, result
        assert "SD610" in result.out + result.err, result
        assert domain in result.out + result.err
    assert _columns(pg, db) == ["id", "name"]
    assert _canary(pg, db) == [(1, "keep"), (2, "me")]


def test_a_new_column_of_a_domain_with_a_volatile_default_is_refused_sd610(pg, db, tmp_path):
    """No constraint, but ``DEFAULT gen_random_uuid()`` in the type: every row gets its own value (a rewrite)."""
    _setup(pg, db, "CREATE DOMAIN public.token AS uuid DEFAULT gen_random_uuid();"
                   "CREATE DOMAIN public.code AS text DEFAULT 'x';")
    root = "version: 1\nexternal:\n  types: [public.token, public.code]\n"
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:  # the server: a rewrite
        with conn.transaction():
            before = conn.execute("SELECT pg_relation_filenode('public.t')").fetchone()[0]
            conn.execute("ALTER TABLE public.t ADD COLUMN probe public.token")
            after = conn.execute("SELECT pg_relation_filenode('public.t')").fetchone()[0]
            raise psycopg.Rollback()
    assert after != before
    plan, apply = _plan_and_apply(pg, db, _spec(tmp_path, "  token: public.token\n", root))
    for result in (plan, apply):
        assert result.code == 3, result
        assert "SD610" in result.out and "volatile default gen_random_uuid()" in result.out, result.out
    assert _columns(pg, db) == ["id", "name"]
    # its own constant default, or a domain with a constant default: additive, no rewrite
    spec = write_spec(tmp_path / "ok", {"schemadiff.yaml": root, "tables/t.yaml": T + (
        "  token: {type: public.token, default: \"'00000000-0000-0000-0000-000000000000'\"}\n  code: public.code\n")})
    plan, apply = _plan_and_apply(pg, db, spec)
    assert plan.code == 0 and apply.code == 0, (plan, apply)
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT pg_relation_filenode('public.t')").fetchone()[0] == before
    assert _canary(pg, db) == [(1, "keep"), (2, "me")]


def test_a_new_column_of_a_constraint_free_domain_stays_additive_and_rewrites_nothing(pg, db, tmp_path):
    _setup(pg, db, DOMAINS)
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        before = conn.execute("SELECT pg_relation_filenode('public.t')").fetchone()[0]
    spec = _spec(tmp_path, "  n: {type: public.plain, default: \"'x'\"}\n  m: public.plain\n", EXTERNAL)
    plan, apply = _plan_and_apply(pg, db, spec)
    assert plan.code == 0, plan
    assert "SD610" not in plan.out
    assert apply.code == 0, apply
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT pg_relation_filenode('public.t')").fetchone()[0] == before
    assert _canary(pg, db) == [(1, "keep"), (2, "me")]


def test_a_new_table_with_a_constrained_domain_column_is_additive(pg, db, tmp_path):
    _setup(pg, db, DOMAINS)
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": EXTERNAL, "tables/t.yaml": T,
                                          "tables/u.yaml": "table: u\ncolumns:\n  n: public.posint\n"})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 0, plan


# -- 3: widening a varchar a view, rule, policy, trigger or generated column uses -----------------

USERS = {
    "view": "CREATE VIEW public.v AS SELECT name FROM public.t",
    "materialized view": "CREATE MATERIALIZED VIEW public.mv AS SELECT name FROM public.t",
    "rule": "CREATE TABLE public.log (name varchar(10)); "
            "CREATE RULE r AS ON INSERT TO public.log DO ALSO SELECT t.name FROM public.t",
    "policy": "CREATE POLICY p ON public.t USING (name <> 'x')",
    "trigger": "CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$; "
               "CREATE TRIGGER trg BEFORE UPDATE OF name ON public.t FOR EACH ROW EXECUTE FUNCTION public.f()",
    "trigger when": "CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$; "
                    "CREATE TRIGGER trg BEFORE UPDATE ON public.t FOR EACH ROW "
                    "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION public.f()",
    "publication": "CREATE PUBLICATION pub FOR TABLE public.t WHERE (name <> 'x')",
    # PostgreSQL refuses a column list too (15 and 18 say "used by a publication WHERE clause")
    "publication column list": "CREATE PUBLICATION pub FOR TABLE public.t (id, name)",
    "generated column": "ALTER TABLE public.t ADD COLUMN upper_name text GENERATED ALWAYS AS (upper(name)) STORED",
}


@pytest.mark.parametrize("kind", sorted(USERS))
@pytest.mark.parametrize("to", ["varchar(20)", "text"])
def test_widening_a_column_something_else_uses_is_refused_sd611(pg, db, tmp_path, kind, to):
    _setup(pg, db, USERS[kind])
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": T.replace(
        "name: varchar(10)", f"name: {to}")})
    # the server agrees this fails
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn, pytest.raises(psycopg.errors.FeatureNotSupported):
        with conn.transaction():
            conn.execute(f"ALTER TABLE public.t ALTER COLUMN name TYPE {to}")
    plan, apply = _plan_and_apply(pg, db, spec)
    for result in (plan, apply):
        assert result.code == 3, result
        assert "SD611" in result.out + result.err, result
        assert kind.split()[0] in result.out + result.err, result
    assert _canary(pg, db) == [(1, "keep"), (2, "me")]


@pytest.mark.parametrize("to", ["varchar(20)", "text"])
def test_widening_an_indexed_column_rebuilds_no_index(pg, db, tmp_path, to):
    _setup(pg, db, "CREATE INDEX t_name ON public.t (name)")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": T.replace(
        "name: varchar(10)", f"name: {to}") + "indexes:\n  t_name: [name]\n"})
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        before = conn.execute("SELECT pg_relation_filenode('public.t'), pg_relation_filenode('public.t_name')").fetchone()
    plan, apply = _plan_and_apply(pg, db, spec)
    assert plan.code == 0 and "SD201" in plan.out, plan
    assert apply.code == 0, apply
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        after = conn.execute("SELECT pg_relation_filenode('public.t'), pg_relation_filenode('public.t_name')").fetchone()
    assert after == before
    assert _canary(pg, db) == [(1, "keep"), (2, "me")]


# -- 4: a policy for a role the database does not have --------------------------------------------

def test_a_policy_for_a_missing_role_is_a_plan_error_at_its_line(pg, db, tmp_path):
    _setup(pg, db, "ALTER TABLE public.t ENABLE ROW LEVEL SECURITY")
    spec = _spec(tmp_path, "", 'version: 1\nexternal:\n  roles: ["no such role"]\n', extra="rls:\n  enabled: true\n  policies:\n    p:\n      for: select\n"
                                     "      to: [\"no such role\"]\n      using: id > 0\n")
    plan, apply = _plan_and_apply(pg, db, spec)
    for result in (plan, apply):
        assert result.code == 1, result
        assert "t.yaml:" in result.err and "role 'no such role', which the database does not have"  in result.err, result.err
    assert _canary(pg, db) == [(1, "keep"), (2, "me")]


# -- 5: a session that cannot run plan's probes ----------------------------------------------------

VIEW = {"views/v.yaml": "view: v\nquery: SELECT id, name FROM public.t WHERE name <> 'a'\n"}


def _applied_with_view(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": T, **VIEW})
    _setup(pg, db)
    result = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert result.code == 0, result
    assert run_cli("plan", str(spec), "--db", pg.dsn(db)).code == 0  # no change, with probes
    return spec


def _with(dsn: str, **params) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    return make_conninfo(**{**conninfo_to_dict(dsn), **params})


def test_a_read_only_session_is_a_clear_error_not_a_phantom_change(pg, db, tmp_path):
    """Before: SD415 on the unchanged view (its probe failed, read as a different query)."""
    spec = _applied_with_view(pg, db, tmp_path)
    with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{db}" SET default_transaction_read_only = on')
    for command in ("plan", "apply"):
        result = run_cli(command, str(spec), "--db", pg.dsn(db), *(["--yes"] if command == "apply" else []))
        assert result.code == 1, result
        assert "SD415" not in result.out + result.err
        assert "cannot create one (cannot execute CREATE TABLE in a read-only transaction)" in result.err, result.err
        assert "default_transaction_read_only is on" in result.err
        assert len(result.err.strip().splitlines()) == 1
    # the fix it names works, for this session only
    fixed = run_cli("plan", str(spec), "--db", _with(pg.dsn(db), options="-c default_transaction_read_only=off"))
    assert fixed.code == 0, fixed
    assert "No changes" in fixed.out
    with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{db}" RESET default_transaction_read_only')
    assert _canary(pg, db) == [(1, "keep"), (2, "me")]


def test_a_role_without_temporary_is_a_clear_error_not_a_phantom_change(pg, db, tmp_path):
    spec = _applied_with_view(pg, db, tmp_path)
    role = f"sd_notemp_{db}"[:63]
    with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'REVOKE TEMPORARY ON DATABASE "{db}" FROM PUBLIC')
    try:
        result = run_cli("plan", str(spec), "--db", _with(pg.dsn(db), user=role))
        assert result.code == 1, result
        assert "SD415" not in result.out + result.err
        assert "permission denied to create temporary tables" in result.err, result.err
        assert "GRANT TEMPORARY ON DATABASE" in result.err
        with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
            conn.execute(f'GRANT TEMPORARY ON DATABASE "{db}" TO "{role}"')
        fixed = run_cli("plan", str(spec), "--db", _with(pg.dsn(db), user=role))
        assert fixed.code == 0, fixed
    finally:
        with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
            conn.execute(f'REVOKE ALL ON DATABASE "{db}" FROM "{role}"')
            conn.execute(f'DROP ROLE "{role}"')
    assert _canary(pg, db) == [(1, "keep"), (2, "me")]


# -- hostile names and text: every new query binds its names, every probe pins its settings -------

SPLIT = "'a\\' || '; DELETE FROM public.t; COMMIT; --'"  # splits the statement with standard_conforming_strings off
ODD_TABLE, ODD_COLUMN, ODD_ROLE = 'we"ird', "na'me", "r'); DROP TABLE public.t; --"


@pytest.mark.parametrize("scs", ["on", "off"])
def test_hostile_names_and_text_reach_the_server_only_as_data(pg, db, tmp_path, scs):
    import json

    _setup(pg, db, f'CREATE TABLE public."we""ird" (id integer PRIMARY KEY, "na\'me" varchar(10));'
                   f'CREATE VIEW public.odd_v AS SELECT "na\'me" FROM public."we""ird";'
                   f'ALTER DATABASE "{db}" SET standard_conforming_strings = {scs};')
    odd = json.dumps({"table": ODD_TABLE, "columns": {
        "id": {"type": "integer", "primary_key": True}, ODD_COLUMN: "text",
        "c": {"type": "text", "default": SPLIT, "check": f"c <> {SPLIT}"}}})
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": T, "tables/odd.yaml": odd})
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 1, result  # the default violates its own check: said at plan
    assert 'odd.yaml:1: error: check we"ird_c_check: the default of c violates it' in result.err, result.err
    # the same without the check: the widening of a column the view uses is SD611, by its odd names
    odd = json.dumps({"table": ODD_TABLE, "columns": {
        "id": {"type": "integer", "primary_key": True}, ODD_COLUMN: "text", "c": {"type": "text", "default": SPLIT}},
        "rls": {"enabled": True, "policies": {"p": {"to": [ODD_ROLE], "using": "id > 0"}}}})
    spec = write_spec(tmp_path / "spec2", {"schemadiff.yaml": f"version: 1\nexternal:\n  roles: {json.dumps([ODD_ROLE])}\n",
                                           "tables/t.yaml": T, "tables/odd.yaml": odd})
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 1, result
    assert f"policy p is for role {ODD_ROLE!r}, which the database does not have" in result.err, result.err
    odd = json.dumps({"table": ODD_TABLE, "columns": {
        "id": {"type": "integer", "primary_key": True}, ODD_COLUMN: "text", "c": {"type": "text", "default": SPLIT}}})
    spec = write_spec(tmp_path / "spec3", {"schemadiff.yaml": ROOT, "tables/t.yaml": T, "tables/odd.yaml": odd})
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 3, result
    assert "SD611" in result.out and "view public.odd_v" in result.out, result.out
    assert _canary(pg, db) == [(1, "keep"), (2, "me")]
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM public.\"we\"\"ird\"").fetchone()[0] == 0


# -- 3b: a widening PostgreSQL takes, but re-checks under its ACCESS EXCLUSIVE lock ---------------

RECHECKED = {
    "check": ("ALTER TABLE public.t ADD CONSTRAINT t_name_check CHECK (length(name) > 0)",
              "  name: {type: TO, check: length(name) > 0}\n", ""),
    "expression index": ("CREATE INDEX t_lower ON public.t (lower(name))", "  name: TO\n",
                         "indexes:\n  t_lower: {columns: [{expression: lower(name)}]}\n"),
    "partial index": ("CREATE INDEX t_some ON public.t (id) WHERE name <> 'x'", "  name: TO\n",
                      "indexes:\n  t_some: {columns: [id], where: \"name <> 'x'\"}\n"),
}


@pytest.mark.parametrize("kind", sorted(RECHECKED))
def test_a_widening_that_scans_or_rebuilds_under_the_lock_is_refused_sd611(pg, db, tmp_path, kind):
    ddl, column, extra = RECHECKED[kind]
    _setup(pg, db, ddl + "; INSERT INTO public.t SELECT g, 'n' || g FROM generate_series(3, 1000) g")
    # the server: a scan of every row, or a new index file, under ACCESS EXCLUSIVE
    files = "SELECT array_agg(pg_relation_filenode(indexrelid) ORDER BY indexrelid) FROM pg_index " \
            "WHERE indrelid = 'public.t'::regclass"
    scanned = "SELECT pg_stat_get_xact_tuples_returned('public.t'::regclass)"
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        with conn.transaction():
            before = conn.execute(files).fetchone()[0], conn.execute(scanned).fetchone()[0]
            conn.execute("ALTER TABLE public.t ALTER COLUMN name TYPE text")
            after = conn.execute(files).fetchone()[0], conn.execute(scanned).fetchone()[0]
            raise psycopg.Rollback()
    assert after[0] != before[0] or after[1] - before[1] >= 1000, (before, after)
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": (
        "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n" + column.replace("TO", "text") + extra)})
    plan, apply = _plan_and_apply(pg, db, spec)
    for result in (plan, apply):
        assert result.code == 3, result
        assert "SD611" in result.out, result
        assert "re-checks" in result.out
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                            "WHERE attrelid = 'public.t'::regclass AND attname = 'name'").fetchone()[0] \
            == "character varying(10)"
    assert _canary(pg, db)[:2] == [(1, "keep"), (2, "me")]


# -- the plan's own order: a new view reading a column the same plan adds or widens ----------------

def test_a_new_view_reading_a_new_or_widened_column_is_created_after_the_column(pg, db, tmp_path):
    """Before: the view came first, and apply stopped at 'column "extra" does not exist'."""
    _setup(pg, db)
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": ROOT,
        "tables/t.yaml": T.replace("name: varchar(10)", "name: text") + "  extra: text\n",
        "views/v.yaml": "view: v\nquery: SELECT id, name, extra FROM public.t\n"})
    plan, apply = _plan_and_apply(pg, db, spec)
    assert plan.code == 0, plan
    assert apply.code == 0, apply
    assert run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT id, name, extra FROM public.v ORDER BY id").fetchall() == [
            (1, "keep", None), (2, "me", None)]


def test_a_new_sql_function_reading_a_new_column_is_created_after_the_column(pg, db, tmp_path):
    """PostgreSQL validates a LANGUAGE sql body when it creates the function
    (check_function_bodies): the column it reads must exist by then."""
    _setup(pg, db)
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": ROOT,
        "tables/t.yaml": T + "  extra: text\n",
        "functions/extra_of.yaml": "function: extra_of\narguments: [integer]\nreturns: text\nlanguage: sql\n"
                                   "volatility: stable\nbody: SELECT extra FROM public.t WHERE id = $1\n"})
    plan, apply = _plan_and_apply(pg, db, spec)
    assert plan.code == 0, plan
    assert apply.code == 0, apply
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT public.extra_of(1)").fetchone()[0] is None


def test_a_default_of_a_type_or_label_the_plan_creates_is_no_false_alarm(pg, db, tmp_path):
    """The one-row probe cannot compute a default of an enum the plan creates, or of a label
    it adds (committed in its own first phase): such a default is not reported."""
    _setup(pg, db, "CREATE TYPE public.old_mood AS ENUM ('a')")
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": "version: 1\nenums:\n  mood: [happy, sad]\n  old_mood: [a, b]\n",
        "tables/t.yaml": T + "  m: {type: public.mood, nullable: false, default: \"'happy'\"}\n"
                             "  o: {type: public.old_mood, nullable: false, default: \"'b'\"}\n"})
    plan, apply = _plan_and_apply(pg, db, spec)
    assert plan.code == 0, plan
    assert apply.code == 0, apply
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT id, m::text, o::text FROM public.t ORDER BY id").fetchall() == [
            (1, "happy", "b"), (2, "happy", "b")]
