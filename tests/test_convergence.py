"""No phantom changes: a database holding an expression in one spelling and a
spec holding it in another, equal, spelling plan to nothing."""

from __future__ import annotations

import json

import pytest

from .conftest import run_cli, write_spec

ROOT = "version: 1\nenums:\n  mood: [happy, sad]\nexternal: {roles: [authenticated]}\n"

# (id, database DDL for table t, spec columns/constraints YAML for table t)
CASES = [
    ("check IN vs = ANY",
     "CREATE TABLE t (x text, CONSTRAINT t_x_check CHECK (x = ANY (ARRAY['a'::text, 'b'::text])))",
     "columns:\n  x: {type: text, check: \"x IN ('a', 'b')\"}\n"),
    ("check IN with casts vs plain",
     "CREATE TABLE t (x text, CONSTRAINT t_x_check CHECK (x IN ('a', 'b')))",
     "columns:\n  x: {type: text, check: \"x IN ('a'::text, 'b'::TEXT)\"}\n"),
    ("check on varchar IN (the server's unstable spelling)",
     "CREATE TABLE t (x varchar(20), CONSTRAINT t_x_check CHECK (x IN ('a', 'b')))",
     "columns:\n  x: {type: varchar(20), check: \"x IN ('a', 'b')\"}\n"),
    ("check case and parentheses",
     "CREATE TABLE t (n integer, CONSTRAINT t_n_check CHECK (n > 0))",
     "columns:\n  n: {type: integer, check: \"((N > 0))\"}\n"),
    ("check BETWEEN vs >= AND <= (server decides)",
     "CREATE TABLE t (n integer, CONSTRAINT t_n_check CHECK (n >= 0 AND n <= 3))",
     "columns:\n  n: {type: integer, check: n BETWEEN 0 AND 3}\n"),
    ("check on enum IN",
     "CREATE TABLE t (m mood, CONSTRAINT t_m_check CHECK (m IN ('happy')))",
     "columns:\n  m: {type: mood, check: \"m = 'happy'\"}\n"),
    ("default now() vs CURRENT_TIMESTAMP",
     "CREATE TABLE t (at timestamptz DEFAULT CURRENT_TIMESTAMP)",
     "columns:\n  at: {type: timestamptz, default: now()}\n"),
    ("default CURRENT_TIMESTAMP vs now()",
     "CREATE TABLE t (at timestamptz DEFAULT now())",
     "columns:\n  at: {type: timestamptz, default: CURRENT_TIMESTAMP}\n"),
    ("default text literal vs cast",
     "CREATE TABLE t (s text DEFAULT 'system'::text)",
     "columns:\n  s: {type: text, default: \"'system'\"}\n"),
    ("default cast vs literal",
     "CREATE TABLE t (s text DEFAULT 'system')",
     "columns:\n  s: {type: text, default: \"'system'::text\"}\n"),
    ("default jsonb literal",
     "CREATE TABLE t (j jsonb DEFAULT '{}'::jsonb)",
     "columns:\n  j: {type: jsonb, default: \"'{}'\"}\n"),
    ("default false",
     "CREATE TABLE t (b boolean NOT NULL DEFAULT FALSE)",
     "columns:\n  b: {type: boolean, nullable: false, default: false}\n"),
    ("default enum literal",
     "CREATE TABLE t (m mood DEFAULT 'happy')",
     "columns:\n  m: {type: mood, default: \"'happy'\"}\n"),
    ("index predicate = true vs bare",
     "CREATE TABLE t (id int, flag boolean); CREATE INDEX i ON t (id) WHERE flag",
     "columns:\n  id: integer\n  flag: boolean\nindexes:\n  i: {columns: [id], where: flag = true}\n"),
    ("index predicate literal cast",
     "CREATE TABLE t (id int, status text); CREATE INDEX i ON t (id) WHERE status = 'pending'::text",
     "columns:\n  id: integer\n  status: text\nindexes:\n  i: {columns: [id], where: \"status = 'pending'\"}\n"),
    ("index predicate IS NOT NULL with parentheses",
     "CREATE TABLE t (id int, d timestamptz); CREATE INDEX i ON t (id) WHERE (d IS NOT NULL)",
     "columns:\n  id: integer\n  d: timestamptz\nindexes:\n  i: {columns: [id], where: d IS NOT NULL}\n"),
    ("index expression",
     "CREATE TABLE t (email text); CREATE INDEX i ON t (lower(email))",
     "columns:\n  email: text\nindexes:\n  i: {columns: [{expression: LOWER(email)}]}\n"),
    ("policy with casts and function argument types",
     "CREATE TABLE t (tenant_id uuid); ALTER TABLE t ENABLE ROW LEVEL SECURITY; "
     "CREATE POLICY p ON t TO authenticated USING (tenant_id = (current_setting('app.tenant'::text, true))::uuid)",
     "columns:\n  tenant_id: uuid\nrls:\n  policies:\n    p: {to: [authenticated], using: \"tenant_id = current_setting('app.tenant', true)::uuid\"}\n"),
    ("policy IN list",
     "CREATE TABLE t (role text); ALTER TABLE t ENABLE ROW LEVEL SECURITY; "
     "CREATE POLICY p ON t USING (role = ANY (ARRAY['a'::text, 'b'::text]))",
     "columns:\n  role: text\nrls:\n  policies:\n    p: {using: \"role IN ('a', 'b')\"}\n"),
]


@pytest.mark.parametrize("case_id,ddl,table_yaml", CASES, ids=[c[0] for c in CASES])
def test_equal_spellings_converge(pg, db, tmp_path, case_id, ddl, table_yaml):
    if "authenticated" in ddl:
        assert pg.run_psql(db, sql="DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') "
                                   "THEN CREATE ROLE authenticated NOLOGIN; END IF; END $$;").returncode == 0
    result = pg.run_psql(db, sql="CREATE TYPE mood AS ENUM ('happy', 'sad'); " + ddl + ";")
    assert result.returncode == 0, result.stderr
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": "table: t\n" + table_yaml})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert "No changes" in plan.out


def test_a_real_difference_is_still_seen(pg, db, tmp_path):
    """Convergence must not hide a real change: a narrower list stays a change."""
    assert pg.run_psql(db, sql="CREATE TYPE mood AS ENUM ('happy', 'sad'); "
                              "CREATE TABLE t (x text, CONSTRAINT t_x_check CHECK (x IN ('a', 'b', 'c')));").returncode == 0
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT,
                                         "tables/t.yaml": "table: t\ncolumns:\n  x: {type: text, check: \"x IN ('a', 'b')\"}\n"})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 3
    assert "SD405" in plan.out


def test_a_widened_list_is_a_widening(pg, db, tmp_path):
    assert pg.run_psql(db, sql="CREATE TYPE mood AS ENUM ('happy', 'sad'); "
                              "CREATE TABLE t (x varchar(10), CONSTRAINT t_x_check CHECK (x IN ('a', 'b')));").returncode == 0
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT,
                                         "tables/t.yaml": "table: t\ncolumns:\n  x: {type: varchar(10), check: \"x IN ('a', 'b', 'c')\"}\n"})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "sql")
    assert plan.code == 0, plan.err
    script = tmp_path / "p.sql"
    script.write_text(plan.out)
    assert pg.run_psql(db, file=script).returncode == 0
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again.out


class _Counting:
    """The real connection, counting the statements sent through it (instrumentation, not a stand-in)."""

    def __init__(self, conn):
        self._conn, self.executed = conn, 0

    def execute(self, *args, **kwargs):
        self.executed += 1
        return self._conn.execute(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def __setattr__(self, name, value):  # conn.autocommit = False must reach the connection
        if name in ("_conn", "executed"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._conn, name, value)


def _all_cases_at_once(pg, db, tmp_path, copies: int):
    """Every case above, `copies` times over (tables t_<case>_<copy>), in one database and one spec."""
    ddl, files = [], {"schemadiff.yaml": ROOT}
    for n, (_, case_ddl, table_yaml) in enumerate(CASES):
        for k in range(copies):
            name = f"t{n}_{k}"
            ddl.append(case_ddl.replace("TABLE t ", f"TABLE {name} ").replace(" ON t ", f" ON {name} ")
                       .replace("CONSTRAINT t_", f"CONSTRAINT {name}_").replace("INDEX i ", f"INDEX i{n}_{k} "))
            files[f"tables/{name}.yaml"] = f"table: {name}\n" + table_yaml.replace("  i: {", f"  i{n}_{k}: {{")
    setup = ("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') "
             "THEN CREATE ROLE authenticated NOLOGIN; END IF; END $$; CREATE TYPE mood AS ENUM ('happy', 'sad'); ")
    result = pg.run_psql(db, sql=setup + "; ".join(ddl).replace("ALTER TABLE t ", "ALTER TABLE ") + ";")
    assert result.returncode == 0, result.stderr
    return write_spec(tmp_path / f"spec{copies}", files)


def test_server_questions_go_in_one_batch_however_many_tables(pg, db, tmp_path):
    """The statements convergence sends do not grow with the number of tables: 1 copy
    of every case and 3 copies send the same number, and nothing shows as a change."""
    from schemadiff.introspect import introspect
    from schemadiff.introspect.connect import connect
    from schemadiff.introspect.converge import converge
    from schemadiff.planning import plan_with_connection
    from schemadiff.spec import load_spec

    counts = []
    other = pg.create_database()
    try:
        for copies, name in ((1, db), (3, other)):
            spec = _all_cases_at_once(pg, name, tmp_path, copies)
            with connect(pg.dsn(name)) as conn:
                desired = load_spec(spec).schema
                current = introspect(conn, ["public"]).schema
                counting = _Counting(conn)
                converge(desired, current, counting)
                counts.append(counting.executed)
                plan = plan_with_connection(desired, conn).plan
            assert not plan.changes, [f"{c.target()}: {c.describe()}" for c in plan.changes]
    finally:
        pg.drop_database(other)
    print(f"\n[converge] statements sent: {counts[0]} for {len(CASES)} tables, {counts[1]} for {3 * len(CASES)}")
    assert counts[0] == counts[1] <= 3, counts


def test_a_batch_the_server_rejects_falls_back_to_one_question_at_a_time(pg, db, tmp_path):
    """One spec expression the server cannot take (an unknown function) fails the batch;
    the other questions are then asked one by one and still converge."""
    assert pg.run_psql(db, sql="CREATE TYPE mood AS ENUM ('happy', 'sad'); "
                              "CREATE TABLE t (n integer, CONSTRAINT t_n_check CHECK (n >= 0 AND n <= 3)); "
                              "CREATE TABLE u (n integer); ALTER TABLE u ENABLE ROW LEVEL SECURITY; "
                              "CREATE POLICY p ON u USING (n > 1);").returncode == 0
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": "version: 1\nenums:\n  mood: [happy, sad]\n"
                           "external: {roles: [authenticated], functions: [public.no_such_function]}\n",
        "tables/t.yaml": "table: t\ncolumns:\n  n: {type: integer, check: n BETWEEN 0 AND 3}\n",
        # A policy may call a declared external function (a CHECK may not: funcpolicy).
        "tables/u.yaml": "table: u\ncolumns:\n  n: integer\n"
                         "rls: {policies: {p: {using: public.no_such_function(n)}}}\n"})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "json")
    doc = json.loads(plan.out)
    changed = {(f["object"], f["change"]) for f in doc["findings"]}
    assert all(obj == "table public.u" for obj, _ in changed), changed  # t converged, u is a real change
    assert changed, plan.out
