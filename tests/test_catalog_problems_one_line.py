"""A catalog name is hostile input wherever it is printed: the problems of a catalog read
(``IntrospectError``: a MATCH FULL foreign key, a VIRTUAL column...) name constraints and
columns the database chose. A line break in such a name must not start a line of its own
on stderr (a forged "No changes" line, a GitHub workflow command)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg import sql as psql

from schemadiff.introspect.result import IntrospectError

from .conftest import run_cli, write_spec

FORGED = "fk\nschemadiff: No changes: the database matches the spec.\n::error::forged\r\x1b[2Jx"
SPEC = {
    "schemadiff.yaml": "version: 1\n",
    "tables/parent.yaml": "table: parent\ncolumns:\n  id: {type: bigint, primary_key: true}\n",
    "tables/child.yaml": "table: child\ncolumns:\n  id: {type: bigint, primary_key: true}\n  parent_id: bigint\n",
}


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_catalog_problem_naming_a_hostile_constraint_is_one_line(pg, db, tmp_path: Path, command):
    spec = write_spec(tmp_path / "spec", SPEC)
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(psql.SQL("ALTER TABLE child ADD CONSTRAINT {} FOREIGN KEY (parent_id) REFERENCES parent (id) "
                              "MATCH FULL").format(psql.Identifier(FORGED)))
        conn.execute("INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1)")
    argv = [command, str(spec), "--db", pg.dsn(db)] + (["--yes"] if command == "apply" else [])
    r = run_cli(*argv)
    assert r.code == 1 and "MATCH FULL" in r.err, r
    lines = r.err.splitlines()
    assert not any(line.startswith(("schemadiff: No changes", "::")) for line in lines), r.err
    assert "\x1b" not in r.err and "\r" not in r.err
    assert any(line.startswith("error: ") and "MATCH FULL" in line and "⏎" in line for line in lines), r.err
    with psycopg.connect(pg.dsn(db)) as conn:
        assert conn.execute("SELECT count(*) FROM child").fetchone()[0] == 1


def test_the_error_keeps_each_problem_on_one_line():
    exc = IntrospectError(["a\nb", "c\rd"])
    assert all("\n" not in p and "\r" not in p for p in exc.problems) and len(exc.problems) == 2
    assert str(exc).splitlines() == exc.problems
