"""A foreign key can only be added once the key it references exists: PostgreSQL
accepts a primary key, a unique constraint or a unique index (as a set of columns).
When the plan creates that key too, the foreign key comes after it — after a new
table's indexes, or, for an existing table, after the concurrent phase that builds
its index (and the step that attaches a unique constraint to it). Applied on a
real server; a canary keeps its rows."""

from __future__ import annotations

import json

import psycopg
import pytest

from .conftest import run_cli, write_spec

CANARY = ("CREATE SCHEMA keep; CREATE TABLE keep.canary (id int PRIMARY KEY); "
          "INSERT INTO keep.canary SELECT generate_series(1, 5);")

CASES = {
    # an existing table gets a new column and a unique index on it; a new table references it
    "new table -> new unique index on an existing table": (
        "CREATE TABLE p (a int NOT NULL); INSERT INTO p VALUES (1), (2);",
        {"tables/p.yaml": "table: p\ncolumns: {a: {type: integer, nullable: false}, code: text}\n"
                          "indexes:\n  p_code_uix: {columns: [code], unique: true}\n",
         "tables/c.yaml": "table: c\ncolumns: {code: {type: text, references: p(code)}}\n"}),
    # the same with a unique constraint (built concurrently, then attached)
    "new table -> new unique constraint on an existing table": (
        "CREATE TABLE p (a int NOT NULL); INSERT INTO p VALUES (1), (2);",
        {"tables/p.yaml": "table: p\ncolumns: {a: {type: integer, nullable: false}, code: {type: text, unique: true}}\n",
         "tables/c.yaml": "table: c\ncolumns: {code: {type: text, references: p(code)}}\n"}),
    # an existing table's new column references another existing table's new unique index
    "existing table's new column -> new unique index on an existing table": (
        "CREATE TABLE p (a int NOT NULL); CREATE TABLE c (id int); INSERT INTO p VALUES (1); INSERT INTO c VALUES (1);",
        {"tables/p.yaml": "table: p\ncolumns: {a: {type: integer, nullable: false}, code: text}\n"
                          "indexes:\n  p_code_uix: {columns: [code], unique: true}\n",
         "tables/c.yaml": "table: c\ncolumns: {id: integer, code: {type: text, references: p(code)}}\n"}),
    # a new table referencing a new table's unique index (not a constraint)
    "new table -> new table's unique index": (
        "",
        {"tables/p.yaml": "table: p\ncolumns: {code: {type: text, nullable: false}}\n"
                          "indexes:\n  p_code_uix: {columns: [code], unique: true}\n",
         "tables/c.yaml": "table: c\ncolumns: {code: {type: text, references: p(code)}}\n"}),
    # an existing unique index is a key already: the foreign key stays with its table
    "new table -> existing unique index": (
        "CREATE TABLE p (code text NOT NULL); CREATE UNIQUE INDEX p_code_uix ON p (code);",
        {"tables/p.yaml": "table: p\ncolumns: {code: {type: text, nullable: false}}\n"
                          "indexes:\n  p_code_uix: {columns: [code], unique: true}\n",
         "tables/c.yaml": "table: c\ncolumns: {code: {type: text, references: p(code)}}\n"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_foreign_key_comes_after_the_key_it_references(name, pg, db, tmp_path):
    before, files = CASES[name]
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(CANARY + before)
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\n", **files})
    planned = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "json")
    assert planned.code == 0, planned
    steps = [s["sql"] for s in json.loads(planned.out)["steps"]]
    fk = next(i for i, sql in enumerate(steps) if "FOREIGN KEY" in sql)
    key = next((i for i, sql in enumerate(steps) if "UNIQUE" in sql), None)
    assert key is None or key < fk, steps
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again.out
    with psycopg.connect(pg.dsn(db)) as conn:
        assert conn.execute("SELECT count(*) FROM keep.canary").fetchone()[0] == 5
        assert conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                            "AND conrelid = 'public.c'::regclass AND convalidated").fetchone()[0] == 1
    script = tmp_path / "s.sql"  # and `sql` on an empty database
    assert run_cli("sql", str(spec), "-o", str(script)).code == 0
    fresh = pg.create_database()
    try:
        r = pg.run_psql(fresh, file=script)
        assert r.returncode == 0, r.stderr
    finally:
        pg.drop_database(fresh)
