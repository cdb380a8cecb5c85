"""Type modifiers of types the spec does not define (``extensions.vector(384)``)
survive load, compile, introspection and comparison.

No extension with a typmod type ships with the test server (pgvector and PostGIS
are not contrib), so the tests build one the way an extension does: a base type
whose I/O and typmod functions are the server's own internal ones (int4's I/O,
varchar's typmod in/out, which prints ``(n)`` like pgvector's)."""

from __future__ import annotations

from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec

_VEC = """
CREATE SCHEMA extensions;
CREATE TYPE extensions.vec;
CREATE FUNCTION extensions.vec_in(cstring) RETURNS extensions.vec AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION extensions.vec_out(extensions.vec) RETURNS cstring AS 'int4out' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION extensions.vec_typmod_in(cstring[]) RETURNS integer AS 'varchartypmodin' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION extensions.vec_typmod_out(integer) RETURNS cstring AS 'varchartypmodout' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE extensions.vec (INPUT = extensions.vec_in, OUTPUT = extensions.vec_out,
                            TYPMOD_IN = extensions.vec_typmod_in, TYPMOD_OUT = extensions.vec_typmod_out,
                            INTERNALLENGTH = 4, PASSEDBYVALUE, ALIGNMENT = int4);
"""

_ROOT = "version: 1\nexternal:\n  types: [extensions.vec]\n"


def _psql(pg, db, sql):
    result = pg.run_psql(db, sql=sql)
    assert result.returncode == 0, result.stderr


def _spec(tmp_path, column_type):
    return write_spec(tmp_path / "s", {"schemadiff.yaml": _ROOT,
                                       "tables/item.yaml": f"table: item\ncolumns:\n  embedding: '{column_type}'\n"})


def test_the_modifier_is_kept_in_the_model_and_the_sql(tmp_path):
    spec = _spec(tmp_path, "extensions.vec(384)[]")
    assert load_spec(spec).schema.tables[0].columns[0].type == "extensions.vec(384)[]"
    result = run_cli("sql", str(spec))
    assert result.code == 0, result
    assert "embedding extensions.vec(384)[]" in result.out


def test_a_column_with_a_modifier_is_created_and_planned_again_as_nothing(pg, db, tmp_path):
    _psql(pg, db, _VEC)
    spec = _spec(tmp_path, "extensions.vec(384)")
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    stored = pg.run_psql(db, sql="SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                                 "WHERE attrelid = 'public.item'::regclass AND attname = 'embedding'")
    assert "extensions.vec(384)" in stored.stdout
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again


def test_a_changed_modifier_is_a_type_change(pg, db, tmp_path):
    _psql(pg, db, _VEC + "CREATE TABLE item (embedding extensions.vec(384));")
    spec = _spec(tmp_path, "extensions.vec(768)")
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 3, result
    assert "extensions.vec(384) -> extensions.vec(768)" in result.out and "SD304" in result.out


def test_import_keeps_the_modifier_and_plans_nothing(pg, db, tmp_path):
    _psql(pg, db, _VEC + "CREATE TABLE item (embedding extensions.vec(384), many extensions.vec(3)[]);")
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    assert "extensions.vec(384)" in (out / "tables" / "item.yaml").read_text()
    columns = load_spec(out).schema.tables[0].columns
    assert [c.type for c in columns] == ["extensions.vec(384)", "extensions.vec(3)[]"]
    again = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again


def test_an_enum_takes_no_modifier(tmp_path):
    spec = write_spec(tmp_path / "s", {"schemadiff.yaml": "version: 1\nenums:\n  mood: [a, b]\n",
                                       "tables/t.yaml": "table: t\ncolumns:\n  m: 'mood(3)'\n"})
    result = run_cli("validate", str(spec))
    assert result.code == 1
    assert "takes no modifier" in result.err


def test_a_modifier_printed_as_other_than_integers_is_refused_by_import(pg, db, tmp_path):
    # boolout prints the typmod as "t"/"f": format_type writes extensions.vec t, a text no
    # spec could write back (PostGIS's geometry(Point,4326) is the real-world case).
    _psql(pg, db, _VEC.replace("'varchartypmodout'", "'boolout'") + "CREATE TABLE item (e extensions.vec(1));")
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(tmp_path / "spec"))
    assert result.code == 1, result
    assert "column public.item.e has the type extensions.vec" in result.err
    assert "integers in parentheses" in result.err
