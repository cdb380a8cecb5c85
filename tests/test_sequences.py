"""Standalone sequences: the root's `sequences:` section, loaded with file:line
errors, compiled, applied, introspected back to the same model, judged by
SD113/SD203/SD308/SD411, guarded, and hostile names that stay names. Real server."""

from __future__ import annotations

import json

import psycopg
import pytest
import yaml

from schemadiff.guard import Catalog, SequenceFacts, check_statements
from schemadiff.introspect import introspect
from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec
from .test_spec_to_sql_attacks import RUN_PAYLOADS, _prepare, _run_as_runner, _runner_statements, _state

T = "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n  n: integer\n"


def _spec(path, root_extra: str, tables: dict[str, str] | None = None):
    files = {"schemadiff.yaml": "version: 1\n" + root_extra}
    files.update({f"tables/{k}.yaml": v for k, v in (tables or {"t": T}).items()})
    return write_spec(path, files)


def _plan(spec, pg, db, *extra):
    return run_cli("plan", str(spec), "--db", pg.dsn(db), *extra)


def _read(pg, db, schemas=("public",)):
    with psycopg.connect(pg.dsn(db)) as conn:
        return introspect(conn, list(schemas)).schema


# -- the loader -------------------------------------------------------------------

@pytest.mark.parametrize("entry,line,message", [
    ("s: {increment: 0}", 3, "INCREMENT must not be zero"),
    ("s: {type: smallint, maxvalue: 40000}", 3, "maxvalue 40000 is out of range for type smallint"),
    ("s: {minvalue: 10, maxvalue: 5}", 3, "minvalue (10) must be less than maxvalue (5)"),
    ("s: {start: 0}", 3, "start 0 is not between minvalue 1 and maxvalue 9223372036854775807"),
    ("s: {increment: -1, start: 5}", 3, "start 5 is not between minvalue -9223372036854775808 and maxvalue -1"),
    ("s: {cache: 0}", 3, "cache 0 must be at least 1"),
    ("s: {owned_by: nosuch.id}", 3, "owned_by names table public.nosuch, which the spec does not describe"),
    ("s: {owned_by: t.nosuch}", 3, "owned_by names column nosuch, which table public.t does not have"),
    ("s: {owned_by: t}", 3, "'t' is not `table.column`"),
    ("s: {owned_by: 'a.b.c'}", 3, "'a.b.c' is not `table.column`"),
    ("t: {}", 3, "the name 't' is already used by table public.t"),
    ("t_pkey: {}", 3, "the name 't_pkey' is already used by primary key t_pkey"),
    ("s: {type: numeric}", 3, "type"),
    ("s: {start: '5'}", 3, "start"),
    ("s: {cycle: 'yes'}", 3, "cycle"),
    ("s: {maxvalue: 99999999999999999999}", 3, "maxvalue 99999999999999999999 is out of range for type bigint"),
    ("s: {cache: -5}", 3, "cache -5 must be at least 1"),
    ("s: {increment: 99999999999999999999}", 3, "increment 99999999999999999999 is out of range"),
    ("s: {start: true}", 3, "start"),
    ("s: {restart: 5}", 3, "restart"),
])
def test_bad_sequences_are_errors_with_file_and_line(tmp_path, entry, line, message):
    spec = _spec(tmp_path / "s", f"sequences:\n  {entry}\n")
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    assert message in result.err, result.err
    assert f"schemadiff.yaml:{line}:" in result.err, result.err


def test_defaults_are_what_create_sequence_chooses(tmp_path):
    spec = _spec(tmp_path / "s", "sequences:\n  up: {}\n  down: {type: integer, increment: -2}\n"
                                 "  other: {schema: billing, start: 7, cache: 5, cycle: true, comment: hi}\n")
    seqs = {s.name: s for s in load_spec(spec).schema.sequences}
    up, down, other = seqs["up"], seqs["down"], seqs["other"]
    assert (up.type, up.start, up.increment, up.minvalue, up.maxvalue, up.cache, up.cycle) == (
        "bigint", 1, 1, 1, 2**63 - 1, 1, False)
    assert (down.start, down.minvalue, down.maxvalue) == (-1, -2**31, -1)
    assert (other.schema, other.start, other.cache, other.cycle, other.comment) == ("billing", 7, 5, True, "hi")
    assert "billing" in load_spec(spec).schema.schemas  # its schema is created


# -- round trip on a real server ---------------------------------------------------

ROUND_TRIP = """sequences:
  up: {}
  order_no: {type: integer, start: 1000, increment: 10, maxvalue: 1000000, cache: 20, owned_by: t.n,
             comment: "order numbers: it's"}
  down: {type: smallint, increment: -1, cycle: true}
  Mixed Case: {schema: Billing, minvalue: -5, start: 0}
"""


def test_sequences_apply_plan_to_nothing_and_import_to_the_same_spec(pg, db, tmp_path):
    tables = {"t": "table: t\ncolumns:\n  id: {type: bigint, primary_key: true, "
                   "default: \"nextval('public.up'::regclass)\"}\n  n: integer\n"}
    spec = _spec(tmp_path / "s", ROUND_TRIP, tables)
    sql = run_cli("sql", str(spec))
    assert sql.code == 0, sql
    # sequences before the table whose default calls one, OWNED BY after it
    assert sql.out.index("CREATE SEQUENCE public.up ") < sql.out.index("CREATE TABLE public.t ")
    assert sql.out.index("CREATE TABLE public.t ") < sql.out.index("ALTER SEQUENCE public.order_no OWNED BY public.t.n")
    assert "RESTART" not in sql.out and "setval" not in sql.out
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    assert _plan(spec, pg, db, "--detailed-exitcode").code == 0
    desired = load_spec(spec).schema
    assert _read(pg, db, ("public", "Billing")).sequences == desired.sequences
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT nextval('public.order_no'), nextval('public.order_no')").fetchone() == (1000, 1010)
        assert conn.execute("SELECT pg_get_serial_sequence('public.t', 'n')").fetchone() == ("public.order_no",)
        assert conn.execute("INSERT INTO t DEFAULT VALUES RETURNING id").fetchone() == (1,)
    out = tmp_path / "imported"
    result = run_cli("import", "--db", pg.dsn(db), "--schema", "public", "--schema", "Billing", "--out", str(out))
    assert result.code == 0, result
    assert "4 sequences" in result.out
    assert load_spec(out).schema.sequences == desired.sequences
    imported = yaml.safe_load((out / "schemadiff.yaml").read_text())["sequences"]
    assert imported["up"] == {} and imported["down"] == {"type": "smallint", "increment": -1, "cycle": True}
    assert _plan(out, pg, db, "--detailed-exitcode").code == 0


def test_a_new_sequence_on_an_existing_database_is_additive_and_ordered(pg, db, tmp_path):
    base = _spec(tmp_path / "base", "")
    assert run_cli("apply", str(base), "--db", pg.dsn(db), "--yes").code == 0
    head = _spec(tmp_path / "head", "sequences:\n  Old_id_seq: {type: integer, owned_by: New.id}\n",
                 {"t": T, "new": "table: New\ncolumns:\n  id: {type: integer, primary_key: true, "
                                 "default: \"nextval('public.\\\"Old_id_seq\\\"'::regclass)\"}\n"})
    planned = _plan(head, pg, db, "--format", "sql")
    assert planned.code == 0, planned
    out = planned.out
    assert out.index('CREATE SEQUENCE public."Old_id_seq"') < out.index('CREATE TABLE public."New"') < out.index(
        'ALTER SEQUENCE public."Old_id_seq" OWNED BY public."New".id')
    assert run_cli("apply", str(head), "--db", pg.dsn(db), "--yes").code == 0
    assert _plan(head, pg, db, "--detailed-exitcode").code == 0


def test_a_sequence_spelled_out_exactly_as_serial_makes_it_is_the_serial_column(pg, db, tmp_path):
    """Both spellings are one model (the one introspection reads), so neither plans
    anything against a database made by the other."""
    explicit = _spec(tmp_path / "explicit", "sequences:\n  New_id_seq: {type: integer, owned_by: New.id}\n",
                     {"new": "table: New\ncolumns:\n  id: {type: integer, primary_key: true, "
                             "default: \"nextval('public.\\\"New_id_seq\\\"'::regclass)\"}\n"})
    shorthand = _spec(tmp_path / "serial", "", {"new": "table: New\ncolumns:\n  id: {type: serial, primary_key: true}\n"})
    assert load_spec(explicit).schema == load_spec(shorthand).schema
    assert run_cli("apply", str(explicit), "--db", pg.dsn(db), "--yes").code == 0
    assert _plan(shorthand, pg, db, "--detailed-exitcode").code == 0
    assert _plan(explicit, pg, db, "--detailed-exitcode").code == 0


def test_widening_applies_and_never_moves_the_current_value(pg, db, tmp_path):
    before = _spec(tmp_path / "a", "sequences:\n  s: {type: integer, maxvalue: 1000}\n")
    assert run_cli("apply", str(before), "--db", pg.dsn(db), "--yes").code == 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("SELECT nextval('public.s') FROM generate_series(1, 5)")
    after = _spec(tmp_path / "b", "sequences:\n  s: {maxvalue: 100000, cache: 20, owned_by: t.id, start: 3}\n")
    planned = _plan(after, pg, db, "--format", "sql")
    assert planned.code == 0, planned
    assert ("ALTER SEQUENCE public.s AS bigint MINVALUE 1 MAXVALUE 100000 START WITH 3 CACHE 20;"
            in planned.out), planned.out
    assert "ALTER SEQUENCE public.s OWNED BY public.t.id;" in planned.out
    assert "RESTART" not in planned.out and "setval" not in planned.out
    applied = run_cli("apply", str(after), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    assert _plan(after, pg, db, "--detailed-exitcode").code == 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT nextval('public.s')").fetchone() == (6,)


@pytest.mark.parametrize("before,after,code", [
    ("s: {maxvalue: 1000}", "s: {maxvalue: 100}", "SD411"),
    ("s: {}", "s: {cycle: true}", "SD411"),
    ("s: {minvalue: -10, start: 0}", "s: {minvalue: -10, start: 0, increment: -1, maxvalue: 0}", "SD411"),
    ("s: {}", "s: {type: integer}", "SD411"),
])
def test_incompatible_changes_are_refused_and_nothing_runs(pg, db, tmp_path, before, after, code):
    a = _spec(tmp_path / "a", f"sequences:\n  {before}\n")
    assert run_cli("apply", str(a), "--db", pg.dsn(db), "--yes").code == 0
    b = _spec(tmp_path / "b", f"sequences:\n  {after}\n")
    result = run_cli("apply", str(b), "--db", pg.dsn(db), "--yes")
    assert result.code == 3, result
    assert code in result.out + result.err
    assert _plan(a, pg, db, "--detailed-exitcode").code == 0  # untouched


def test_a_sequence_missing_from_the_spec_is_drift_and_kept(pg, db, tmp_path):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id bigint PRIMARY KEY, n integer); CREATE SEQUENCE legacy_seq")
    spec = _spec(tmp_path / "s", "")
    result = _plan(spec, pg, db, "--detailed-exitcode")
    assert result.code == 0, result
    assert "SD308" in result.out and "legacy_seq" in result.out
    assert [s.name for s in _read(pg, db).sequences] == ["legacy_seq"]


def test_a_name_the_database_holds_is_refused_at_plan_time(pg, db, tmp_path):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id bigint PRIMARY KEY, n integer); CREATE VIEW v AS SELECT 1 AS x")
    spec = _spec(tmp_path / "s", "sequences:\n  v: {}\n")
    result = _plan(spec, pg, db)
    assert result.code == 3, result
    assert "SD901" in result.out


# -- the guard ---------------------------------------------------------------------

@pytest.mark.parametrize("sql,allowed", [
    ("CREATE SEQUENCE public.s AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 10 START WITH 1 CACHE 1 NO CYCLE", True),
    ("ALTER SEQUENCE public.s MAXVALUE 100 CACHE 5", True),
    ("ALTER SEQUENCE public.s OWNED BY public.t.id", True),
    ("COMMENT ON SEQUENCE public.s IS 'x'", True),
    ("ALTER SEQUENCE public.s MAXVALUE 40", False),  # below the catalog's 50: not a widening
    ("ALTER SEQUENCE public.s AS smallint", False),
    ("ALTER SEQUENCE public.s AS bigint MINVALUE 1 MAXVALUE 9000000000", True),
    ("ALTER SEQUENCE public.s INCREMENT BY -1", False),
    ("ALTER SEQUENCE public.other MAXVALUE 100", False),  # a sequence neither the plan nor the database has
    ("ALTER SEQUENCE public.s RESTART", False),
    ("ALTER SEQUENCE public.s RESTART WITH 1", False),
    ("ALTER SEQUENCE public.s OWNED BY NONE", False),
    ("ALTER SEQUENCE public.s OWNED BY other.t.id", False),
    ("ALTER SEQUENCE public.s OWNED BY public.t.id CACHE 2", False),
    ("ALTER SEQUENCE public.s AS text", False),
    ("ALTER SEQUENCE IF EXISTS public.s CACHE 2", False),
    ("ALTER SEQUENCE public.s SEQUENCE NAME public.x", False),
    ("CREATE SEQUENCE s", False),
    ("CREATE SEQUENCE IF NOT EXISTS public.s", False),
    ("CREATE TEMP SEQUENCE public.s", False),
    ("CREATE UNLOGGED SEQUENCE public.s", False),
    ("CREATE SEQUENCE pg_catalog.s", False),
    ("CREATE SEQUENCE public.s OWNED BY public.t.id", False),
    ("SELECT setval('public.s', 1)", False),
    ("DROP SEQUENCE public.s", False),
    ("ALTER SEQUENCE public.s RENAME TO x", False),
    ("ALTER SEQUENCE public.s SET SCHEMA other", False),
])
def test_the_guard_accepts_exactly_the_sequence_statements_the_compiler_writes(sql, allowed):
    problems = check_statements([sql], _Holds())
    assert (not problems) == allowed, problems


class _Holds(Catalog):
    """A database holding public.s: integer, 1..50, step 1, no owner."""

    def sequence(self, schema, name):
        return SequenceFacts("integer", 1, 50, 1, False) if (schema, name) == ("public", "s") else None


def test_the_guard_alters_a_sequence_it_cannot_see_only_after_creating_it():
    """The base catalog knows no sequence: ALTER SEQUENCE only of one the plan created."""
    alter = "ALTER SEQUENCE public.s MAXVALUE 100 CACHE 5"
    assert "does not hold" in str(check_statements([alter], Catalog()))
    assert check_statements(["CREATE SEQUENCE public.s AS integer MAXVALUE 300", alter,
                             "ALTER SEQUENCE public.s OWNED BY public.t.id"], Catalog()) == []


# -- hostile names and text ----------------------------------------------------------

def _hostile_spec(path, payload: str):
    lit = "'" + ('public.' + '"' + payload.replace('"', '""') + '"').replace("'", "''") + "'"
    root = {"version": 1, "sequences": {payload: {"start": 5, "owned_by": "t.n", "comment": payload}}}
    table = {"table": "t", "columns": {"id": {"type": "bigint", "primary_key": True},
                                       "n": {"type": "bigint", "default": f"nextval({lit}::regclass)"}}}
    return write_spec(path, {"schemadiff.yaml": json.dumps(root) + "\n", "tables/t.yaml": json.dumps(table) + "\n"})


@pytest.mark.parametrize("scs", ["on", "off"])
def test_hostile_sequence_names_and_comments_stay_names_and_text(pg, tmp_path, scs):
    """A sequence named by each payload, commented with it, owned by a column whose
    default calls nextval() on it: through apply, and through `sql` run as one
    query and split by a naive runner, standard_conforming_strings on and off."""
    for i, payload in enumerate(RUN_PAYLOADS):
        spec = _hostile_spec(tmp_path / f"s{i}", payload)
        for mode in ("apply", "one-query", "naive-runner"):
            db = pg.create_database()
            try:
                _prepare(pg, db, scs, "reader")
                if mode == "apply":
                    r = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
                    assert r.code == 0, (payload, r)
                else:
                    r = run_cli("sql", str(spec))
                    assert r.code == 0, r
                    if mode == "one-query":
                        assert _run_as_runner(pg, db, r.out.replace("SET standard_conforming_strings = on;", "")) \
                            is None, payload
                    else:
                        for stmt in _runner_statements(r.out):
                            assert _run_as_runner(pg, db, stmt) is None, (payload, stmt)
                rows, victim, _ = _state(pg, db)
                assert rows == 5 and victim, (payload, mode, scs)
                with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
                    found = conn.execute(
                        "SELECT c.relname, obj_description(c.oid, 'pg_class'), "
                        "pg_get_serial_sequence('public.t', 'n') FROM pg_class c WHERE c.relkind = 'S'").fetchall()
                    assert [(name, comment) for name, comment, _ in found] == [(payload, payload)], (mode, found)
                    assert conn.execute("INSERT INTO public.t (id) VALUES (1) RETURNING n").fetchone() == (5,)
                assert _read(pg, db).sequences == load_spec(spec).schema.sequences, (payload, mode)
                assert _plan(spec, pg, db, "--detailed-exitcode").code == 0, (payload, mode)
            finally:
                pg.drop_database(db)


@pytest.mark.parametrize("default,message", [
    ("nextval('nosuch'::regclass)", "nextval('nosuch') does not name a schema-qualified sequence"),
    ("nextval('public.nosuch'::regclass)", "nextval() of sequence public.nosuch, which the spec does not create"),
    ("nextval('public.\"S\"'::regclass)", "nextval() of sequence public.S, which the spec does not create"),
    ("nextval('public.S2')", "nextval() of sequence public.s2, which the spec does not create"),
])
def test_a_default_calls_nextval_only_on_a_sequence_of_the_spec(tmp_path, default, message):
    table = "table: t\ncolumns:\n  id: {type: bigint, default: " + json.dumps(default) + "}\n"
    spec = _spec(tmp_path / "s", "sequences:\n  s: {}\n", {"t": table})
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    assert message in result.err and "tables/t.yaml:3:" in result.err, result.err


@pytest.mark.parametrize("default", ["nextval('public.s'::regclass)", "nextval('public.S')", "nextval('\"public\".s')",
                                     "nextval('public.t_n_seq'::regclass) + 0"])
def test_nextval_on_a_sequence_of_the_spec_or_of_a_serial_column_is_fine(tmp_path, default):
    table = "table: t\ncolumns:\n  id: {type: bigint, default: " + json.dumps(default) + "}\n  n: serial\n"
    spec = _spec(tmp_path / "s", "sequences:\n  s: {}\n", {"t": table})
    result = run_cli("validate", str(spec))
    assert result.code == 0, result


def test_migration_files_create_validate_and_roll_back_sequences(pg, db, tmp_path):
    base = _spec(tmp_path / "a", "sequences:\n  s: {type: integer, maxvalue: 1000}\n")
    assert run_cli("apply", str(base), "--db", pg.dsn(db), "--yes").code == 0
    head = _spec(tmp_path / "b", "sequences:\n  s: {maxvalue: 100000, cache: 5, owned_by: t.id, comment: hi}\n"
                                 "  n: {start: 5}\n")
    out = tmp_path / "m"
    r = run_cli("plan", str(head), "--db", pg.dsn(db), "--write-migration", str(out), "--name", "seq")
    assert r.code == 0, r
    for script in (out / "001_seq.sql", out / "validation" / "001_seq.sql"):
        done = pg.run_psql(db, file=script)
        assert done.returncode == 0, (script, done.stderr)
    assert _plan(head, pg, db, "--detailed-exitcode").code == 0
    rollback = (out / "rollback" / "001_seq.sql").read_text()
    assert "DROP SEQUENCE IF EXISTS public.n;" in rollback and "not undone: left widened" in rollback
    assert pg.run_psql(db, file=out / "rollback" / "001_seq.sql").returncode == 0
    assert [s.name for s in _read(pg, db).sequences] == ["s"]


def test_every_hostile_string_in_every_sequence_field_is_refused_or_stays_one_name(tmp_path):
    """Name, comment and owner (table and column named by the payload too): the
    loader refuses it, or the script parses to exactly the statements built, on
    exactly the objects named (checked by PostgreSQL's own parser)."""
    from pglast.parser import parse_sql_json

    from .hostile import PAYLOADS, _dotted
    compiled = 0
    for i, payload in enumerate(PAYLOADS):
        owner = f"{_dotted(payload)}.{_dotted(payload)}"
        name = payload + "_s"  # the table holds the payload itself
        root = {"version": 1, "sequences": {name: {"owned_by": owner, "comment": payload, "start": 3}}}
        table = {"table": payload, "columns": {payload: "bigint"}}
        spec = write_spec(tmp_path / f"s{i}", {"schemadiff.yaml": json.dumps(root) + "\n",
                                                "tables/t.yaml": json.dumps(table) + "\n"})
        result = run_cli("sql", str(spec))
        if result.code != 0:
            assert result.code == 1 and "Traceback" not in result.err, (payload, result)
            continue
        stmts = [s["stmt"] for s in json.loads(parse_sql_json(result.out))["stmts"]]
        kinds = [next(iter(s)) for s in stmts]
        assert kinds == ["VariableSetStmt", "CreateSeqStmt", "CreateStmt", "AlterSeqStmt", "CommentStmt"], (payload,
                                                                                                             kinds)
        assert stmts[1]["CreateSeqStmt"]["sequence"]["relname"] == name
        owned = stmts[3]["AlterSeqStmt"]["options"][0]["DefElem"]["arg"]["List"]["items"]
        assert [x["String"]["sval"] for x in owned] == ["public", payload, payload]
        assert stmts[4]["CommentStmt"]["comment"] == payload
        assert check_statements(result.out.split(";\n\n")[1:2] + result.out.split(";\n\n")[3:4], Catalog()) == []
        compiled += 1
    assert compiled >= 15, compiled  # most payloads are legal names: each one compiled and checked


@pytest.mark.parametrize("default", ["nextval('public.S')", "nextval('\"public\".\"s\"'::regclass)",
                                     "pg_catalog.nextval('public.s'::pg_catalog.regclass)"])
def test_a_nextval_default_written_another_way_converges(pg, db, tmp_path, default):
    table = "table: t\ncolumns:\n  id: {type: bigint, primary_key: true, default: " + json.dumps(default) + "}\n"
    spec = _spec(tmp_path / "s", "sequences:\n  s: {start: 10}\n", {"t": table})
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    again = _plan(spec, pg, db, "--detailed-exitcode")
    assert again.code == 0, again
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("INSERT INTO t DEFAULT VALUES RETURNING id").fetchone() == (10,)


def test_two_schemas_sequences_of_one_name_stop_the_import_instead_of_losing_one(pg, db, tmp_path):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA a; CREATE SEQUENCE public.s; CREATE SEQUENCE a.s")
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--schema", "public", "--schema", "a", "--out", str(out))
    assert result.code == 1, result
    assert "sequences a.s and public.s share a name" in result.err or \
        "sequences public.s and a.s share a name" in result.err, result.err
    assert not out.exists()
    assert run_cli("import", "--db", pg.dsn(db), "--schema", "a", "--out", str(out)).code == 0


def test_check_proves_sequence_changes_in_a_sandbox(tmp_path):
    """check --prove: base + the planned statements = the head built fresh, sequences compared."""
    base = _spec(tmp_path / "a", "sequences:\n  s: {type: integer, maxvalue: 1000}\n")
    head = _spec(tmp_path / "b", "sequences:\n  s: {maxvalue: 100000, cache: 5, owned_by: t.id, comment: hi}\n"
                                 "  n: {start: 5}\n  Old_id_seq: {type: integer, owned_by: New.id}\n",
                 {"t": T, "new": "table: New\ncolumns:\n  id: {type: integer, primary_key: true, "
                                 "default: \"nextval('public.\\\"Old_id_seq\\\"'::regclass)\"}\n"})
    result = run_cli("check", str(head), "--base-dir", str(base), "--prove")
    assert result.code == 0, result
    assert "3 sequences compared" in result.err + result.out, result
    narrowed = _spec(tmp_path / "c", "sequences:\n  s: {type: integer, maxvalue: 100}\n")
    refused = run_cli("check", str(narrowed), "--base-dir", str(base))
    assert refused.code == 3 and "SD411" in refused.out, refused
