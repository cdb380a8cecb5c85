"""Expressions PostgreSQL would reject are found by plan (and apply refuses them
before its first statement), at the spec's line, with the server's words
(issue 16, item 2); and what the plan itself creates is no false alarm."""

from __future__ import annotations

import json

import psycopg
import pytest

from .conftest import run_cli, write_spec

ROOT = "version: 1\nenums:\n  mood: [happy, sad]\n"

CASES = [
    ("a default that is no integer", "  n: {type: integer, default: \"'abc'\"}\n",
     "the default of column n: the server rejects it: invalid input syntax for type integer", 4),
    ("a default of another type", "  n: {type: integer, default: now()}\n",
     "the default of column n: the server rejects it: column \"n\" is of type integer but default expression is of "
     "type timestamp with time zone", 4),
    ("a check that is not boolean", "  n: {type: integer, check: n + 1}\n",
     "check t_n_check: the server rejects it: argument of CHECK", 4),
    ("an operator that does not exist", "  s: {type: text, check: s > 1}\n",
     "the server rejects it: operator does not exist: text > integer", 4),
    ("an index predicate that is not boolean",
     "  n: integer\nindexes:\n  ix: {columns: [id], where: n}\n",
     "the predicate of index ix: the server rejects it: argument of WHERE must be type boolean", 6),
    ("a policy that is not boolean",
     "  n: integer\nrls:\n  policies:\n    p: {using: \"n * 2\"}\n",
     "policy p (using): the server rejects it: argument of POLICY must be type boolean", 7),
]


@pytest.mark.parametrize("case_id,columns,expected,line", CASES, ids=[c[0] for c in CASES])
def test_plan_finds_what_the_server_would_reject(pg, db, tmp_path, case_id, columns, expected, line):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT,
                                         "tables/t.yaml": "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n"
                                                          + columns})
    assert run_cli("validate", str(spec)).code == 0  # only the server knows
    for command in ("plan", "apply"):
        result = run_cli(command, str(spec), "--db", pg.dsn(db), *(["--yes"] if command == "apply" else []))
        assert result.code == 1, result
        assert f"t.yaml:{line}: error: " in result.err and expected in result.err, result.err
        assert "the database would reject" in result.err
    assert pg.run_psql(db, sql="SELECT 1 FROM public.t").returncode != 0  # apply ran nothing


def test_on_an_existing_table_a_new_column_s_default_is_checked(pg, db, tmp_path):
    assert pg.run_psql(db, sql="CREATE TYPE mood AS ENUM ('happy', 'sad'); "
                               "CREATE TABLE t (id bigint PRIMARY KEY, m mood)").returncode == 0
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml":
                                         "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n  m: mood\n"
                                         "  d: {type: date, default: \"'2024-02-30'\"}\n"})
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 1
    assert "t.yaml:5: error: the default of column d: the server rejects it: date/time field value out of range" \
        in result.err, result.err


def test_what_the_plan_creates_is_no_false_alarm(pg, db, tmp_path):
    """An enum, a table and a serial's sequence the plan creates: their expressions
    cannot be tried first, and are not errors."""
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": ROOT,
        "tables/a.yaml": "table: a\ncolumns:\n  id: {type: bigserial, primary_key: true}\n"
                         "  m: {type: mood, default: \"'happy'\", check: \"m <> 'sad'\"}\n",
        "tables/b.yaml": "table: b\ncolumns:\n  id: {type: bigint, primary_key: true}\n  a_id: bigint\n"
                         "rls:\n  policies:\n    p: {using: \"a_id IN (SELECT id FROM a)\"}\n"})
    result = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert result.code == 0, result
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again


def test_an_enum_default_outside_the_enum_is_a_load_error(tmp_path):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml":
                                         "table: t\ncolumns:\n  m: {type: mood, default: \"'hapy'\"}\n"})
    result = run_cli("validate", str(spec))
    assert result.code == 1
    assert "t.yaml:3:" in result.err and "default 'hapy' is not a value of the enum public.mood (happy, sad)" \
        in result.err and "did you mean 'happy'?" in result.err


# -- hostile text: the probes are statements on the user's database ----------------

CANARY = ("CREATE TABLE public.canary (id integer PRIMARY KEY, note text); "
          "INSERT INTO public.canary SELECT g, 'row ' || g FROM generate_series(1, 5) g;")
# With standard_conforming_strings off, `'a\'` would not end at its quote: the rest runs as SQL.
SPLIT = "'a\\' || '; DELETE FROM public.canary; COMMIT; --'"


@pytest.mark.parametrize("scs", ["on", "off"])
@pytest.mark.parametrize("existing", [False, True], ids=["new table", "existing table"])
def test_the_rejection_probes_keep_the_canary(pg, db, tmp_path, scs, existing):
    """Every kind of probe, its expression carrying text that would split the statement
    with standard_conforming_strings off (the database's setting here), and an
    unqualified table in a policy's subquery: the canary's rows survive."""
    ddl = CANARY + (" CREATE TABLE public.t (id bigint PRIMARY KEY);" if existing else "")
    ddl += f" ALTER DATABASE {db} SET standard_conforming_strings = {scs};"
    assert pg.run_psql(db, sql=ddl).returncode == 0
    table = {"table": "t",
             "columns": {"id": {"type": "bigint", "primary_key": True},
                         "c": {"type": "text", "default": SPLIT, "check": f"c <> {SPLIT} || 'x'"},  # the default passes it
                         "g": {"type": "text", "generated": f"lower(c || {SPLIT})"}},
             "indexes": {"ix": {"columns": [{"expression": f"lower(c || {SPLIT})"}], "where": f"c <> {SPLIT}"}},
             "rls": {"policies": {"p": {"using": f"c <> {SPLIT} AND id IN (SELECT id FROM canary)",
                                        "with_check": f"c <> {SPLIT}"}}}}
    table = json.dumps(table)
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\n", "tables/t.yaml": table})
    assert run_cli("validate", str(spec)).code == 0
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code in (0, 3), result  # 3: the policy on an existing table is refused (SD7xx), not an error
    assert "would reject" not in result.err, result.err
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 5


@pytest.mark.parametrize("scs", ["on", "off"])
def test_the_probes_alone_keep_the_canary_on_an_unpinned_session(pg, db, tmp_path, scs):
    """``exprcheck.rejected`` on a plain session (not ``connect``'s, which pins the
    settings too): its own pinning is what keeps the statements whole."""
    from schemadiff.introspect import introspect
    from schemadiff.introspect.exprcheck import rejected
    from schemadiff.spec import load_spec

    assert pg.run_psql(db, sql=CANARY + f" ALTER DATABASE {db} SET standard_conforming_strings = {scs};").returncode == 0
    table = {"table": "t", "columns": {"id": {"type": "bigint", "primary_key": True},
                                       "c": {"type": "text", "default": SPLIT, "check": f"c <> {SPLIT}"}},
             "indexes": {"ix": {"columns": ["c"], "where": f"c <> {SPLIT}"}},
             "rls": {"policies": {"p": {"using": f"c <> {SPLIT}"}}}}
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\n", "tables/t.yaml": json.dumps(table)})
    desired = load_spec(spec).schema
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SHOW standard_conforming_strings").fetchone()[0] == scs
        current = introspect(conn, ["public"], missing_ok=True).schema
        assert rejected(conn, desired, current) == []
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 5


def test_a_cast_to_the_specs_enum_without_its_schema_is_a_load_error(pg, db, tmp_path):
    """Migrations run with search_path = pg_catalog: ``'sad'::mood`` would not be found
    (and apply's guard refuses it). Found by the loader at its line; the qualified
    spelling applies and converges."""
    def spec(cast):
        return write_spec(tmp_path / cast, {"schemadiff.yaml": ROOT, "tables/t.yaml":
                                           "table: t\ncolumns:\n"
                                           f"  m: {{type: mood, default: \"'happy'::{cast}\"}}\n"
                                           f"  n: {{type: mood, check: \"n <> 'sad'::{cast}\"}}\n"})
    bad = run_cli("validate", str(spec("mood")))
    assert bad.code == 1
    assert "t.yaml:3:" in bad.err and "default: the type mood must name its schema here (public.mood)" in bad.err
    assert "t.yaml:4:" in bad.err and "hint: write ::public.mood" in bad.err
    good = spec("public.mood")
    assert run_cli("apply", str(good), "--db", pg.dsn(db), "--yes").code == 0
    assert run_cli("plan", str(good), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


SHAPES = [
    ("a collation on a type that has none", "  n: {type: integer, collation: C}\n",
     "t.yaml:4: error: column n: the server rejects it: collations are not supported by type integer"),
    ("a collation the server does not have", "  s: {type: text, collation: no_such_collation}\n",
     "t.yaml:4: error: column s: the server rejects it: collation \"no_such_collation\" for encoding"),
    ("an operator class for another type",
     "  n: integer\nindexes:\n  ix: {columns: [{column: n, opclass: text_pattern_ops}]}\n",
     "t.yaml:6: error: index ix: the server rejects it: operator class \"text_pattern_ops\" does not accept data "
     "type integer"),
    ("an index method the type has no operator class for",
     "  n: integer\nindexes:\n  ix: {columns: [n], method: gin}\n",
     "t.yaml:6: error: index ix: the server rejects it: data type integer has no default operator class for access "
     "method \"gin\""),
]


@pytest.mark.parametrize("case_id,columns,expected", SHAPES, ids=[c[0] for c in SHAPES])
@pytest.mark.parametrize("existing", [False, True], ids=["new table", "existing table"])
def test_plan_finds_columns_and_indexes_the_server_would_reject(pg, db, tmp_path, case_id, columns, expected,
                                                                 existing):
    if existing:
        assert pg.run_psql(db, sql="CREATE TABLE t (id bigint PRIMARY KEY)").returncode == 0
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT,
                                         "tables/t.yaml": "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n"
                                                          + columns})
    assert run_cli("validate", str(spec)).code == 0  # only the server knows
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 1, result
    assert expected in result.err, result.err
    assert result.err.count(": error: ") == 1, result.err


@pytest.mark.parametrize("text,message", [
    ("varchar(0)", "the length of character varying must be between 1 and 10485760"),
    ("char(10485761)", "the length of character must be between 1 and 10485760"),
    ("numeric(1001,2)", "the precision of numeric must be between 1 and 1000"),
    ("numeric(10,1001)", "the scale of numeric must be between -1000 and 1000"),
    ("timestamptz(7)", "the precision of timestamp must be between 0 and 6"),
    ("time(-1)", None),  # the grammar itself refuses a negative modifier here? (the server decides below)
    ("bit(0)", "the length of bit must be between 1 and 83886080"),
])
def test_type_modifiers_out_of_the_servers_bounds_are_load_errors(pg, db, tmp_path, text, message):
    """Each: the loader's verdict is the server's (PostgreSQL reduces a time precision
    above 6 to 6 with a warning: a spec that could never match its database)."""
    import psycopg as _pg
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": f"table: t\ncolumns:\n  c: \"{text}\"\n"})
    result = run_cli("validate", str(spec))
    with _pg.connect(pg.dsn(db), autocommit=True) as conn:
        notices = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary))
        try:
            conn.execute(f"CREATE TABLE probe (c {text})")
            server_takes = not notices
        except _pg.Error:
            server_takes = False
    assert (result.code == 0) is server_takes, (text, result.err, notices)
    if message is not None:
        assert message in result.err, result.err
