"""Expressions PostgreSQL would reject are found by plan (and apply refuses them
before its first statement), at the spec's line, with the server's words
(issue 16, item 2); and what the plan itself creates is no false alarm."""

from __future__ import annotations

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
