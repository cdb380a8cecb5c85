"""`import` never writes a spec its own loader refuses: shapes real databases
hold, each created with psql, imported, loaded, and planned against the same
database (nothing to do)."""

from __future__ import annotations

import psycopg
import pytest

from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec


def _psql(pg, db, sql):
    result = pg.run_psql(db, sql=sql)
    assert result.returncode == 0, result.stderr


def _import_and_replan(pg, db, tmp_path, ddl: str):
    _psql(pg, db, ddl)
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    loaded = load_spec(out)
    again = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again
    return out, loaded


def test_a_table_without_columns(pg, db, tmp_path):
    out, loaded = _import_and_replan(pg, db, tmp_path, "CREATE TABLE foobar (); CREATE TABLE other (id integer)")
    assert (out / "tables" / "foobar.yaml").read_text() == "table: foobar\n"
    assert loaded.schema.tables[0].name == "foobar" and loaded.schema.tables[0].columns == ()


def test_a_table_without_columns_is_created_from_a_spec(pg, db, tmp_path):
    spec = write_spec(tmp_path / "s", {"schemadiff.yaml": "version: 1\n", "tables/a.yaml": "table: a\n",
                                       "tables/b.yaml": "table: b\ncolumns: {}\n"})
    planned = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "sql")
    assert planned.code == 0, planned
    assert "CREATE TABLE public.a ();" in planned.out and "CREATE TABLE public.b ();" in planned.out
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    assert run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


def test_a_not_null_foreign_key_on_delete_set_null_is_a_warning(pg, db, tmp_path):
    out, loaded = _import_and_replan(
        pg, db, tmp_path,
        "CREATE TABLE p (id integer PRIMARY KEY);"
        "CREATE TABLE c (p_id integer NOT NULL REFERENCES p(id) ON DELETE SET NULL ON UPDATE SET NULL)")
    assert [w.message for w in loaded.warnings] == [
        "ON DELETE SET NULL on NOT NULL column 'p_id': every delete of a referenced row fails instead",
        "ON UPDATE SET NULL on NOT NULL column 'p_id': every update of a referenced row fails instead"]
    validated = run_cli("validate", str(out))
    assert validated.code == 0, validated
    assert "tables/c.yaml:" in validated.err and "warning: ON DELETE SET NULL on NOT NULL column 'p_id'" in validated.err


@pytest.mark.parametrize("column,stored,written", [
    ("a varchar(20) DEFAULT NULL::varchar", "NULL::character varying", "NULL::varchar"),
    ("b text DEFAULT NULL::varchar", "NULL::character varying", "NULL::varchar"),
    # an untyped NULL, stored with its length cast
    ("c varchar(20) DEFAULT NULL", "NULL::character varying", "NULL::varchar"),
    ("d varchar(10) DEFAULT NULL::varchar(10)", "NULL::character varying(10)", "NULL::varchar(10)"),
    ("e integer DEFAULT NULL::bigint", "NULL::bigint", "NULL::bigint"),
])
def test_a_stored_typed_null_default_is_kept_as_written(pg, db, tmp_path, column, stored, written):
    """Kept, in the short spelling people write (issue 16: the server stores it as
    it stored the original, so the re-plan above is empty)."""
    out, loaded = _import_and_replan(pg, db, tmp_path, f"CREATE TABLE t ({column})")
    assert loaded.schema.tables[0].columns[0].default == written
    assert written in (out / "tables" / "t.yaml").read_text()
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        got = conn.execute("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'public.t'::regclass"
                           ).fetchone()[0]
    assert got == stored


@pytest.mark.parametrize("default,message", [
    ("NULL", "default NULL is no default (PostgreSQL does not store it)"),
    ("NULL::text", "default NULL::text is no default (PostgreSQL does not store a NULL of the column's own type)"),
])
def test_a_null_default_postgres_would_not_store_is_still_an_error(tmp_path, default, message):
    spec = write_spec(tmp_path / "s", {"schemadiff.yaml": "version: 1\n",
                                       "tables/t.yaml": f'table: t\ncolumns:\n  a: {{type: text, default: "{default}"}}\n'})
    result = run_cli("validate", str(spec))
    assert result.code == 1
    assert message in result.err and "tables/t.yaml:3:" in result.err


def test_an_enum_with_an_empty_label_names_the_users_files_never_a_temporary_one(pg, db, tmp_path):
    _psql(pg, db, "CREATE TYPE mood AS ENUM ('', 'ok'); CREATE TABLE t (m mood)")
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 1, result
    assert f"{out}/schemadiff.yaml:" in result.err and "an enum value cannot be empty" in result.err
    assert "/tmp/tmp" not in result.err.replace(str(tmp_path), "")
    assert "nothing was written" in result.err
    assert not out.exists() or not any(out.iterdir())


def test_a_required_column_left_out_of_the_spec_is_refused_not_drift(pg, db, tmp_path):
    _psql(pg, db, "CREATE TABLE t (id integer PRIMARY KEY, code text NOT NULL, note text NOT NULL DEFAULT '', "
                  "extra text)")
    spec = write_spec(tmp_path / "s", {"schemadiff.yaml": "version: 1\n",
                                       "tables/t.yaml": "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"})
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 3, result
    assert "SD410" in result.out and "column code is NOT NULL without a default" in result.out
    assert "! column code: in the database, not in the spec (never dropped)" in result.out
    assert "column note" not in result.out.split("SD410", 1)[1].split("\n", 1)[0]  # a default: only drift
    with_code = write_spec(tmp_path / "s2", {"schemadiff.yaml": "version: 1\n", "tables/t.yaml":
                                             "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"
                                             "  code: {type: text, nullable: false}\n"})
    kept = run_cli("plan", str(with_code), "--db", pg.dsn(db))
    assert kept.code == 0, kept  # note and extra are drift, kept
    assert "SD410" not in kept.out and "SD302" in kept.out
