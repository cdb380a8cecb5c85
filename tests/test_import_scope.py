"""What `import` does not import it lists (plain views, functions and triggers are
imported: here are shapes of those kinds the spec language does not write), by kind, on stderr, never failing; `plan`
and `apply` leave those objects alone. Domain- and composite-typed columns are
imported as references to the (external) type."""

from __future__ import annotations

import re

from schemadiff import scope
from schemadiff.introspect.read import load_query
from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec

OTHERS = """
CREATE ROLE sd_scope_reader;
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a integer, b integer);
CREATE TABLE kept (id integer PRIMARY KEY, n positive, p pair, ns positive[], touched timestamptz);
CREATE MATERIALIZED VIEW kept_view WITH (fillfactor = 70) AS SELECT id FROM kept;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SET work_mem = '64kB'
  AS $$ BEGIN NEW.touched := now(); RETURN NEW; END $$;
CREATE CONSTRAINT TRIGGER kept_touch AFTER UPDATE ON kept DEFERRABLE FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TABLE parted (id integer, at date) PARTITION BY RANGE (at);
CREATE TABLE parted_2024 PARTITION OF parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
GRANT SELECT, INSERT ON kept TO sd_scope_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO sd_scope_reader;
INSERT INTO kept VALUES (1, 5, ROW(1, 2), '{1,2}', NULL);
"""

CLEANUP = """
DROP OWNED BY sd_scope_reader; DROP ROLE sd_scope_reader;
"""


def _state(pg, db) -> str:
    """Everything of the out-of-scope objects that apply could have touched."""
    return pg.run_psql(db, sql="""
      SELECT pg_get_viewdef('kept_view'::regclass);
      SELECT pg_get_functiondef('touch'::regproc);
      SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'kept'::regclass AND NOT tgisinternal;
      SELECT relname, relkind, relispartition FROM pg_class WHERE relname LIKE 'parted%' ORDER BY 1;
      SELECT relacl FROM pg_class WHERE relname = 'kept';
      SELECT defaclacl FROM pg_default_acl;
      SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contypid = 'positive'::regtype;
      SELECT * FROM kept;""").stdout


def test_import_lists_what_it_does_not_import_and_plan_and_apply_leave_it_alone(pg, db, tmp_path):
    assert pg.run_psql(db, sql=OTHERS).returncode == 0
    try:
        out = tmp_path / "spec"
        result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
        assert result.code == 0, result
        assert ("not imported: 1 materialized view, 1 partitioned table, 1 partition, 1 function, 1 trigger, 1 domain, "
                "1 composite type, 1 grant, 1 default privileges — see docs/import.md#out-of-scope\n") in result.err
        assert "grant: public.kept (INSERT, SELECT) to sd_scope_reader" in result.err
        assert "default privileges: public.tables created by " in result.err
        listed = [line.strip().split(":")[0] for line in result.err.splitlines() if line.startswith("  ")]
        assert listed and set(listed) <= set(scope.OUT_OF_SCOPE)
        assert "not imported" not in result.out
        # the domain- and composite-typed columns are references to types the spec does not create
        loaded = load_spec(out)
        kept = loaded.schema.table(next(t.qualified for t in loaded.schema.tables if t.name == "kept"))
        assert {c.name: c.type for c in kept.columns} == {
            "id": "integer", "n": "public.positive", "p": "public.pair", "ns": "public.positive[]",
            "touched": "timestamp with time zone"}
        assert {str(t) for t in loaded.schema.external.types} == {"public.pair", "public.positive"}
        before = _state(pg, db)
        assert run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
        # an additive change next to them: applied, and they are as they were
        (out / "tables" / "kept.yaml").write_text((out / "tables" / "kept.yaml").read_text()
                                                  + "indexes:\n  kept_n: [n]\n")
        (out / "tables" / "extra.yaml").write_text("table: extra\ncolumns:\n  q: positive\n  r: pair\n")
        applied = run_cli("apply", str(out), "--db", pg.dsn(db), "--yes")
        assert applied.code == 0, applied
        assert _state(pg, db) == before
        assert run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
    finally:
        pg.run_psql(db, sql=CLEANUP)


def test_the_kinds_the_query_lists_are_the_modules():
    text = load_query("out_of_scope")
    named = set(re.findall(r"(?:THEN|SELECT|ELSE) '([a-z ]+)'", text))
    # a sequence is listed by the sequences query (owned by a column of a table not read)
    assert set(scope.OUT_OF_SCOPE) - {"sequence"} <= named, set(scope.OUT_OF_SCOPE) - named
    # the other quoted words are the default privileges' object types, never a kind
    assert named - set(scope.OUT_OF_SCOPE) == {"tables", "sequences", "functions", "types", "schemas"}


def test_the_summary_counts_by_kind_in_a_fixed_order():
    assert scope.summary(["trigger", "function", "trigger", "view", "grant"]) == (
        "not imported: 1 view, 1 function, 2 triggers, 1 grant — see docs/import.md#out-of-scope")


def test_the_listing_command_prints_both_lists_with_their_counts(capsys):
    assert scope.main() == 0
    printed = capsys.readouterr().out
    assert f"import writes {len(scope.IMPORTED)} object kinds" in printed
    assert f"import lists {len(scope.OUT_OF_SCOPE)} object kinds" in printed


def test_a_spec_column_of_an_external_domain_type_compiles_and_applies(pg, db, tmp_path):
    assert pg.run_psql(db, sql="CREATE DOMAIN positive AS integer CHECK (VALUE > 0)").returncode == 0
    spec = write_spec(tmp_path / "s", {"schemadiff.yaml": "version: 1\nexternal: {types: [positive]}\n",
                                       "tables/t.yaml": "table: t\ncolumns:\n  n: {type: positive, nullable: false}\n"})
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    assert run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
    bad = pg.run_psql(db, sql="INSERT INTO t VALUES (-1)")
    assert "violates check constraint" in bad.stderr


def test_properties_the_spec_does_not_hold_are_listed_never_dropped_quietly(pg, db, tmp_path):
    ddl = """
    CREATE TABLE t (id integer PRIMARY KEY, body text, n integer, j jsonb);
    CREATE INDEX t_n ON t (n);
    ALTER TABLE t ALTER COLUMN body SET STORAGE EXTERNAL;
    ALTER TABLE t ALTER COLUMN body SET COMPRESSION pglz;
    ALTER TABLE t ALTER COLUMN n SET STATISTICS 500;
    ALTER TABLE t ALTER COLUMN n SET (n_distinct = -0.5);
    ALTER TABLE t CLUSTER ON t_n;
    ALTER TABLE t REPLICA IDENTITY FULL;
    CREATE TABLE plain (id integer PRIMARY KEY, body text);
    """
    assert pg.run_psql(db, sql=ddl).returncode == 0
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    listed = [line.strip() for line in result.err.splitlines() if line.startswith("  ")]
    assert listed == sorted([
        "column public.t.body: SET STORAGE EXTERNAL", "column public.t.body: SET COMPRESSION pglz",
        "column public.t.n: SET STATISTICS 500", "column public.t.n: SET (n_distinct=-0.5)",
        "table public.t: REPLICA IDENTITY FULL", "table public.t: CLUSTER ON t_n"]), result.err
    assert "6 properties the spec language does not hold" in result.err
    assert "plain" not in result.err
    assert run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


def test_a_constraint_the_spec_would_mean_otherwise_stops_the_import_by_name(pg, db, tmp_path):
    if pg.version < 180000:
        ddl, message = None, None
    else:
        ddl = "CREATE TABLE t (n integer, CONSTRAINT t_n_check CHECK (n > 0) NOT ENFORCED)"
        message = "constraint t_n_check on public.t is NOT ENFORCED (PostgreSQL 18)"
    plain = "CREATE TABLE p (n integer CHECK (n > 0))"
    assert pg.run_psql(db, sql=ddl or plain).returncode == 0
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    if ddl is None:  # PostgreSQL 15: the query runs unchanged, and an ordinary check imports
        assert result.code == 0, result
        return
    assert result.code == 1 and message in result.err, result
    assert not out.exists()
