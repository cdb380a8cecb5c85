"""`import --all-schemas`: every schema but the system's and extensions' ones."""

from __future__ import annotations

from schemadiff.spec import load_spec

from .conftest import run_cli


def _psql(pg, db, sql):
    result = pg.run_psql(db, sql=sql)
    assert result.returncode == 0, result.stderr


def test_every_user_schema_is_imported_and_planned_again_as_nothing(pg, db, tmp_path):
    _psql(pg, db, """
        CREATE SCHEMA app; CREATE SCHEMA "Audit";
        CREATE TABLE public.tenant (id integer PRIMARY KEY);
        CREATE TABLE app.account (id integer PRIMARY KEY, tenant_id integer REFERENCES public.tenant(id));
        CREATE TABLE "Audit"."Log" (at timestamptz);
        CREATE TYPE app.mood AS ENUM ('a', 'b');
        -- an extension that creates its own schema in its script is the extension's, not ours
        CREATE EXTENSION pg_trgm SCHEMA app;
    """)
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--all-schemas", "--out", str(out))
    assert result.code == 0, result
    assert result.out.startswith("imported public, Audit, app from ")
    tables = [str(t.qualified) for t in load_spec(out).schema.tables]
    assert tables == ["Audit.Log", "app.account", "public.tenant"]
    again = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again


def test_system_and_extension_schemas_are_left_out(pg, db, tmp_path):
    # an extension owning a schema: one whose script creates it (here by hand, as
    # ALTER EXTENSION … ADD SCHEMA records the same pg_depend row)
    _psql(pg, db, """
        CREATE EXTENSION citext;
        CREATE SCHEMA ext_owned; ALTER EXTENSION citext ADD SCHEMA ext_owned;
        CREATE TABLE ext_owned.hidden (a integer);
        CREATE SCHEMA mine; CREATE TABLE mine.seen (a integer);
        DROP SCHEMA public CASCADE;
    """)
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--all-schemas", "--out", str(out))
    assert result.code == 0, result
    assert result.out.startswith("imported mine from ")
    assert [str(t.qualified) for t in load_spec(out).schema.tables] == ["mine.seen"]
    assert "information_schema" not in result.out and "pg_catalog" not in result.out


def test_all_schemas_and_schema_are_exclusive(pg, db, tmp_path):
    result = run_cli("import", "--db", pg.dsn(db), "--all-schemas", "--schema", "app", "--out", str(tmp_path / "o"))
    assert result.code == 1
    assert "not allowed with argument" in result.err


def test_help_says_the_default_is_public(capsys):
    run_cli("import", "--help")  # argparse prints help to the process's stdout
    shown = " ".join(capsys.readouterr().out.split())
    assert "default: public only" in shown and "--all-schemas import every schema except pg_*" in shown
