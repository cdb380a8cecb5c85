"""serial, bigserial and smallserial columns: compiled as PostgreSQL writes them,
introspected back to the same spelling only when they are exactly what
``CREATE TABLE … serial`` makes, judged like any column. Real server throughout."""

from __future__ import annotations

import psycopg
import pytest
import yaml

from schemadiff.introspect import introspect
from schemadiff.normalize import serial_default, serial_sequence
from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"
LONG = "a_table_name_that_is_quite_long_enough_to_be_truncated_by_pg_xx"  # 63 bytes


def _spec(tmp_path, tables: dict[str, str], root: str = ROOT, name: str = "spec"):
    return write_spec(tmp_path / name, {"schemadiff.yaml": root, **{f"tables/{k}.yaml": v for k, v in tables.items()}})


def _psql(pg, db, sql):
    result = pg.run_psql(db, sql=sql)
    assert result.returncode == 0, result.stderr


def _plan(spec, pg, db, *extra):
    return run_cli("plan", str(spec), "--db", pg.dsn(db), *extra)


def _serial_sequences(pg, db) -> dict[tuple[str, str], str]:
    """(table, column) -> pg_get_serial_sequence, for every column that has one."""
    with psycopg.connect(pg.dsn(db)) as conn:
        rows = conn.execute(
            "SELECT c.relname, a.attname, pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid "
            "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND a.attnum > 0 "
            "AND NOT a.attisdropped").fetchall()
    return {(t, c): s for t, c, s in rows if s is not None}


SERIAL_TABLES = {
    "user": "table: User\ncolumns:\n  id: {type: serial, primary_key: true}\n  email: {type: text, nullable: false}\n",
    "event": ("table: event\ncolumns:\n  id: {type: bigserial, primary_key: true}\n  n: smallserial\n"
              "  user_id: {type: integer, nullable: false, references: User(id)}\n"),
    "long": f"table: {LONG}\ncolumns:\n  a_column_name_also_long_enough_to_be_cut: serial4\n  k: serial8\n  s: serial2\n",
}


def test_serial_compiles_to_the_shorthand_and_names_sequences_as_postgres_does(pg, db, tmp_path):
    spec = _spec(tmp_path, SERIAL_TABLES)
    sql = run_cli("sql", str(spec))
    assert sql.code == 0, sql
    assert 'id serial NOT NULL' in sql.out and "id bigserial NOT NULL" in sql.out and "n smallserial NOT NULL" in sql.out
    assert "nextval" not in sql.out  # PostgreSQL writes the default itself
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    found = _serial_sequences(pg, db)
    long_col = "a_column_name_also_long_enough_to_be_cut"
    expected = {("User", "id"): 'public."User_id_seq"', ("event", "id"): "public.event_id_seq",
                ("event", "n"): "public.event_n_seq",
                (LONG, long_col): f"public.{serial_sequence(LONG, long_col)}",
                (LONG, "k"): f"public.{serial_sequence(LONG, 'k')}", (LONG, "s"): f"public.{serial_sequence(LONG, 's')}"}
    assert found == expected
    assert len(serial_sequence(LONG, long_col).encode()) == 63  # truncated like ChooseRelationName
    # the model the loader builds is the model introspection reads: nothing to do
    again = _plan(spec, pg, db, "--detailed-exitcode")
    assert again.code == 0, again
    with psycopg.connect(pg.dsn(db)) as conn:
        current = introspect(conn, ["public"]).schema
    assert current.tables == load_spec(spec).schema.tables
    types = {(t.name, c.name): (c.type, c.serial, c.nullable) for t in current.tables for c in t.columns}
    assert types[("User", "id")] == ("integer", True, False)
    assert types[("event", "id")] == ("bigint", True, False)
    assert types[("event", "n")] == ("smallint", True, False)
    assert types[("event", "user_id")] == ("integer", False, False)


def test_serial_in_another_schema_with_quoted_names(pg, db, tmp_path):
    spec = _spec(tmp_path, {"t": "table: Order Line\nschema: Billing\ncolumns:\n  Id: {type: serial, primary_key: true}\n"})
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    assert _serial_sequences(pg, db) == {("Order Line", "Id"): '"Billing"."Order Line_Id_seq"'}
    assert _plan(spec, pg, db, "--detailed-exitcode").code == 0
    out = tmp_path / "imported"
    assert run_cli("import", "--db", pg.dsn(db), "--schema", "Billing", "--out", str(out)).code == 0
    assert "Id: {type: serial, primary_key: true}" in (out / "tables" / "Order_Line.yaml").read_text()
    assert _plan(out, pg, db, "--detailed-exitcode").code == 0


def test_import_writes_serial_as_people_do_and_plans_to_nothing(pg, db, tmp_path):
    _psql(pg, db, "CREATE TABLE a (id serial PRIMARY KEY, b bigserial, c smallserial, note text);"
                  "CREATE TABLE b (id bigserial NOT NULL, a_id integer REFERENCES a(id));")
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    assert "sequence" not in result.err + result.out  # the serial sequences are the columns', not left out
    text = (out / "tables" / "a.yaml").read_text()
    assert "id: {type: serial, primary_key: true}" in text
    assert "b: bigserial" in text and "c: smallserial" in text
    assert "nextval" not in text and "nullable" not in text
    assert "id: bigserial" in (out / "tables" / "b.yaml").read_text()
    assert _plan(out, pg, db, "--detailed-exitcode").code == 0


@pytest.mark.parametrize("ddl,sequences,column", [
    ("CREATE TABLE t (id serial); ALTER SEQUENCE t_id_seq INCREMENT BY 2",
     ["t_id_seq: {type: integer, increment: 2, owned_by: t.id}"], "nextval('public.t_id_seq')"),
    ("CREATE TABLE t (id serial); ALTER SEQUENCE t_id_seq START WITH 100",
     ["t_id_seq: {type: integer, start: 100, owned_by: t.id}"], "nextval('public.t_id_seq')"),
    ("CREATE TABLE t (id serial); ALTER SEQUENCE t_id_seq CACHE 20",
     ["t_id_seq: {type: integer, cache: 20, owned_by: t.id}"], "nextval('public.t_id_seq')"),
    ("CREATE TABLE t (id serial); ALTER SEQUENCE t_id_seq CYCLE",
     ["t_id_seq: {type: integer, cycle: true, owned_by: t.id}"], "nextval('public.t_id_seq')"),
    ("CREATE TABLE t (id bigserial); ALTER SEQUENCE t_id_seq AS integer",
     ["t_id_seq: {type: integer, owned_by: t.id}"], "id: {type: bigint, nullable: false, default:"),
    ("CREATE TABLE t (id serial); ALTER SEQUENCE t_id_seq RENAME TO other_seq",
     ["other_seq: {type: integer, owned_by: t.id}"], "nextval('public.other_seq')"),
    ("CREATE TABLE t (id serial); ALTER TABLE t ALTER COLUMN id DROP NOT NULL",
     ["t_id_seq: {type: integer, owned_by: t.id}"], "id: {type: integer, default: nextval("),
    ("CREATE TABLE t (id serial); ALTER TABLE t ALTER COLUMN id SET DEFAULT 0",
     ["t_id_seq: {type: integer, owned_by: t.id}"], "id: {type: integer, nullable: false, default: 0}"),
    ("CREATE TABLE t (id integer); CREATE SEQUENCE t_id_seq OWNED BY t.id",
     ["t_id_seq: {owned_by: t.id}"], "id: integer"),
    ("CREATE TABLE t (id numeric NOT NULL); CREATE SEQUENCE t_id_seq OWNED BY t.id;"
     "ALTER TABLE t ALTER id SET DEFAULT nextval('t_id_seq')", ["t_id_seq: {owned_by: t.id}"],
     "id: {type: numeric, nullable: false, default: nextval('public.t_id_seq')}"),
    ("CREATE TABLE t (id serial); CREATE SEQUENCE extra_seq OWNED BY t.id",
     ["extra_seq: {owned_by: t.id}", "t_id_seq: {type: integer, owned_by: t.id}"],
     "nextval('public.t_id_seq')"),
    ("CREATE TABLE t (id serial); COMMENT ON SEQUENCE t_id_seq IS 'ids'",  # serial has no place for the comment
     ["t_id_seq: {type: integer, owned_by: t.id, comment: ids}"], "nextval('public.t_id_seq')"),
])
def test_a_column_owning_a_sequence_unlike_serial_imports_as_the_sequence_and_its_default(
        pg, db, tmp_path, ddl, sequences, column):
    """The serial fallback: anything but exactly serial's sequence is an explicit
    sequence of the root plus the column's nextval() default, and plans to nothing."""
    _psql(pg, db, ddl)
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    root = (out / "schemadiff.yaml").read_text()
    assert yaml.safe_load(root)["sequences"] == yaml.safe_load("\n".join(sequences)), root
    table = (out / "tables" / "t.yaml").read_text()
    assert column in table and "serial" not in table, table
    assert "sequence" not in result.out.split("\n", 1)[1]  # nothing left out
    assert _plan(out, pg, db, "--detailed-exitcode").code == 0
    with psycopg.connect(pg.dsn(db)) as conn:
        current = introspect(conn, ["public"]).schema
    loaded = load_spec(out).schema  # defaults as people write them: the plan above held them equal
    assert current.sequences == loaded.sequences
    shape = lambda s: [(c.name, c.type, c.nullable, c.serial, c.default is None) for c in s.tables[0].columns]  # noqa: E731
    assert shape(current) == shape(loaded)


def test_a_default_on_a_sequence_the_column_does_not_own_imports_as_that_default(pg, db, tmp_path):
    _psql(pg, db, "CREATE SEQUENCE free_seq; CREATE TABLE t (id integer NOT NULL DEFAULT nextval('free_seq'))")
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    assert "sequence: public.free_seq" not in result.out  # imported, not left out
    assert yaml.safe_load((out / "schemadiff.yaml").read_text())["sequences"] == {"free_seq": {}}
    # as people write it (the server stores nextval('public.free_seq'::regclass) for it all the same)
    assert "default: nextval('public.free_seq')}" in (out / "tables" / "t.yaml").read_text()
    assert _plan(out, pg, db, "--detailed-exitcode").code == 0


def test_a_new_serial_column_on_an_existing_table_is_refused(pg, db, tmp_path):
    _psql(pg, db, "CREATE TABLE t (id integer PRIMARY KEY)")
    spec = _spec(tmp_path, {"t": "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n  n: bigserial\n"})
    result = _plan(spec, pg, db)
    assert result.code == 3, result
    assert "SD601" in result.out and "nextval('public.t_n_seq'::regclass)" in result.out


@pytest.mark.parametrize("column,codes", [
    ("id: {type: integer, primary_key: true}", ["SD402", "SD408"]),  # the default dropped, serial gone
    ("id: {type: integer, primary_key: true, identity: by default}", ["SD402", "SD408"]),
    ("id: {type: bigserial, primary_key: true}", ["SD304"]),
])
def test_changing_a_serial_column_is_refused(pg, db, tmp_path, column, codes):
    _psql(pg, db, "CREATE TABLE t (id serial PRIMARY KEY)")
    spec = _spec(tmp_path, {"t": f"table: t\ncolumns:\n  {column}\n"})
    result = _plan(spec, pg, db)
    assert result.code == 3, result
    for code in codes:
        assert code in result.out, (code, result.out)


def test_an_integer_column_becoming_serial_is_refused(pg, db, tmp_path):
    _psql(pg, db, "CREATE TABLE t (id integer PRIMARY KEY)")
    spec = _spec(tmp_path, {"t": "table: t\ncolumns:\n  id: {type: serial, primary_key: true}\n"})
    result = _plan(spec, pg, db)
    assert result.code == 3, result
    assert "SD408" in result.out and "from integer to serial" in result.out


def test_serial_defaults_match_the_servers_text(pg, db):
    _psql(pg, db, 'CREATE SCHEMA "My Schema"; CREATE TABLE "My Schema"."select" ("Id" serial, "user" bigserial)')
    with psycopg.connect(pg.dsn(db)) as conn:
        conn.execute("SET search_path = pg_catalog")
        rows = conn.execute("SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
                            "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                            "WHERE d.adrelid = '\"My Schema\".\"select\"'::regclass ORDER BY a.attnum").fetchall()
    assert rows == [(c, serial_default("My Schema", "select", c)) for c in ("Id", "user")]


@pytest.mark.parametrize("column,message", [
    ("{type: serial, default: 1}", "cannot also have `default`"),
    ("{type: serial, identity: always}", "cannot also have `identity`"),
    ("{type: serial, nullable: true}", "is always NOT NULL"),
    ("{type: 'serial[]'}", "a serial type takes no modifier and has no array form"),
])
def test_serial_columns_refuse_what_serial_cannot_be(tmp_path, column, message):
    spec = _spec(tmp_path, {"t": f"table: t\ncolumns:\n  id: {column}\n"})
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    assert message in result.err
    assert "tables/t.yaml:3" in result.err


def test_a_serial_sequence_name_taken_by_another_relation_is_an_error(tmp_path):
    spec = _spec(tmp_path, {"t": "table: t\ncolumns:\n  id: serial\n", "u": "table: t_id_seq\ncolumns:\n  x: text\n"})
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    assert "'t_id_seq'" in result.err and "sequence of serial column id" in result.err


PRISMA = '''
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE TABLE "Post" ("id" SERIAL NOT NULL, "title" TEXT NOT NULL, "authorId" INTEGER NOT NULL,
  CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id")
  ON DELETE RESTRICT ON UPDATE CASCADE;
'''


def test_a_prisma_database_imports_plans_to_nothing_and_takes_additive_changes(pg, db, tmp_path):
    _psql(pg, db, PRISMA)
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    user = (out / "tables" / "User.yaml").read_text()
    assert "id: {type: serial, primary_key: true}" in user
    assert "id: {type: serial, primary_key: true}" in (out / "tables" / "Post.yaml").read_text()
    assert _plan(out, pg, db, "--detailed-exitcode").code == 0
    # later: a nullable column and a new table with a serial id
    (out / "tables" / "User.yaml").write_text(_add_column(user, "  nickname: text\n"))
    (out / "tables" / "Comment.yaml").write_text(
        "table: Comment\ncolumns:\n  id: {type: serial, primary_key: true}\n"
        "  postId: {type: integer, nullable: false, references: Post(id), on_delete: cascade}\n"
        "  body: {type: text, nullable: false}\n")
    planned = _plan(out, pg, db, "--format", "sql")
    assert planned.code == 0, planned
    assert "2 statement(s) in 1 phase(s)" in planned.out
    assert ('CREATE TABLE public."Comment" (\n  id serial NOT NULL,\n  "postId" integer NOT NULL,\n'
            '  body text NOT NULL,\n  CONSTRAINT "Comment_pkey" PRIMARY KEY (id),\n'
            '  CONSTRAINT "Comment_postId_fkey" FOREIGN KEY ("postId") REFERENCES public."Post" (id) ON DELETE CASCADE\n'
            ');\n') in planned.out
    assert 'ALTER TABLE public."User" ADD COLUMN nickname text;\n' in planned.out
    assert "DROP" not in planned.out and "nextval" not in planned.out
    applied = run_cli("apply", str(out), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    assert _serial_sequences(pg, db)[("Comment", "id")] == 'public."Comment_id_seq"'
    assert _plan(out, pg, db, "--detailed-exitcode").code == 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:  # the new table's id works as Prisma expects
        conn.execute("""INSERT INTO "User" (email) VALUES ('a@example.com')""")
        conn.execute("""INSERT INTO "Post" (title, "authorId") VALUES ('t', 1)""")
        assert conn.execute("""INSERT INTO "Comment" ("postId", body) VALUES (1, 'x') RETURNING id""").fetchone() == (1,)


def _add_column(text: str, line: str) -> str:
    """Insert a column line after the last line of the `columns:` block."""
    lines = text.splitlines(keepends=True)
    start = lines.index("columns:\n")
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    return "".join(lines[:end] + [line] + lines[end:])
