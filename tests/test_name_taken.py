"""SD901: every name a plan creates is checked against the live catalog's
relation namespace (and types) of its schema — what the server would refuse is
refused at plan time, naming both objects, never a failed apply."""

from __future__ import annotations

from .conftest import run_cli, write_spec


def _psql(pg, db, sql):
    result = pg.run_psql(db, sql=sql)
    assert result.returncode == 0, result.stderr


def test_prisma_renamed_a_table_but_kept_its_index_names(pg, db, tmp_path):
    # Prisma renames User -> Account with ALTER TABLE … RENAME, the indexes keep their names;
    # a sequence left behind by hand holds the name a new serial column's sequence needs
    _psql(pg, db, 'CREATE TABLE "User" (id integer PRIMARY KEY, email text NOT NULL);'
                  'CREATE UNIQUE INDEX "User_email_key" ON "User" (email);'
                  'ALTER TABLE "User" RENAME TO "Account"; CREATE SEQUENCE "User_id_seq";')
    spec = write_spec(tmp_path / "s", {
        "schemadiff.yaml": "version: 1\n",
        "tables/User.yaml": 'table: User\ncolumns:\n  id: {type: serial, primary_key: true}\n'
                            '  email: {type: text, nullable: false}\nindexes:\n  User_email_key: {columns: [email], unique: true}\n'})
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 3, result
    assert "SD901" in result.out
    assert "index User_email_key of new table public.User would take the name 'User_email_key', held by " \
           "index public.User_email_key on public.Account" in result.out
    # the serial's sequence and the primary key's index are taken too
    assert "held by sequence public.User_id_seq" in result.out
    assert "held by index public.User_pkey on public.Account" in result.out
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 3, applied
    tables = pg.run_psql(db, sql="SELECT 'tables: ' || string_agg(relname, ',' ORDER BY relname) FROM pg_class "
                                 "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")
    assert "tables: Account\n" in tables.stdout


def test_an_index_named_like_a_view_the_spec_does_not_describe(pg, db, tmp_path):
    _psql(pg, db, "CREATE TABLE t (a integer); CREATE VIEW t_a_idx AS SELECT 1 AS one;")
    spec = write_spec(tmp_path / "s", {"schemadiff.yaml": "version: 1\n",
                                       "tables/t.yaml": "table: t\ncolumns:\n  a: integer\nindexes:\n  t_a_idx: [a]\n"})
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 3, result
    assert "index t_a_idx on public.t would take the name 't_a_idx', held by view public.t_a_idx" in result.out


def test_a_new_table_named_like_a_type_of_an_extension(pg, db, tmp_path):
    _psql(pg, db, "CREATE EXTENSION citext;")
    spec = write_spec(tmp_path / "s", {"schemadiff.yaml": "version: 1\n", "tables/citext.yaml": "table: citext\n"})
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 3, result
    assert "table public.citext (and its row type) would take the name 'citext', held by type public.citext" \
        in result.out


def test_names_in_another_schema_are_free(pg, db, tmp_path):
    _psql(pg, db, "CREATE SCHEMA other; CREATE TABLE other.t (a integer); CREATE INDEX t_a_idx ON other.t (a);")
    spec = write_spec(tmp_path / "s", {"schemadiff.yaml": "version: 1\n",
                                       "tables/t.yaml": "table: t\ncolumns:\n  a: integer\nindexes:\n  t_a_idx: [a]\n"})
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    assert run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
