"""Convergence does per-object work only where the texts really differ.

A spec and a database whose expressions differ only in parentheses, spacing or
keyword case have one parse tree; ``converge`` settles them by comparing the
trees (libpg_query's, in C, once per pair of texts) without building pglast's
node objects and the canonical spelling (``readable.comparable``). The
shortcut may only ever agree with ``comparable``: equal trees are the same
expression to the server."""

from __future__ import annotations

from hypothesis import given, settings

import schemadiff.readable as readable
from schemadiff.introspect.converge import _same_cheap, _same_tree

from .conftest import run_cli, write_spec
from .test_convergence_property import COLUMNS, expressions

TYPES = {**COLUMNS, "t": "text"}

# Pairs that look alike and are not the same expression: the shortcut must say no
# (``comparable`` and the server decide those).
DIFFERENT = [
    ("n > 1", "n > 2"),
    ("s = 'a'", "s = 'A'"),
    ('"N" > 1', "n > 1"),
    ("n > 1 AND (n < 5 OR n = 9)", "(n > 1 AND n < 5) OR n = 9"),
    ("n - 1 - 2", "n - (1 - 2)"),
    ("s = 'a'", "s = 'a'::text"),
    ("s = E'a\\\\b'", "s = 'a\\\\b'"),
    ("lower(s) = 'a'", "upper(s) = 'a'"),
    ("s = 'x' || 'y'", "s = 'xy'"),
    ("n > 1", "n > 1; SELECT 1"),
    ("n > 1", "n > 1) OR (true"),
    # One parse accepts these and the other does not: not one expression.
    ("(1, 2)", "1, 2"),
    ("n > 1", "n > 1 --"),
    ("(n > 1) UNION (SELECT 2)", "n > 1) UNION (SELECT 2"),
    # A U& literal means something else with standard_conforming_strings off; a NUL ends a C string.
    ("s = 'a'", "s = U&'\\0061'"),
    ("n > 1", "n > 1\x00; DROP TABLE t"),
]
SAME = [
    ("quantity >= 0 AND quantity <= 1000", "(quantity >= 0) AND (quantity <= 1000)"),
    ("N > 1", "n > 1"),
    ("n   >\n1", "((n > 1))"),
    ("lower(s) IS NOT NULL", "LOWER(s) is not null"),
]


def test_the_shortcut_says_no_to_different_expressions():
    for a, b in DIFFERENT:
        assert not _same_tree(a, b), (a, b)
        assert not _same_tree(b, a), (a, b)


def test_the_shortcut_says_yes_only_where_comparable_does():
    for a, b in SAME:
        assert _same_tree(a, b), (a, b)
        assert readable.comparable(a, TYPES) == readable.comparable(b, TYPES), (a, b)


@settings(max_examples=300, deadline=None)
@given(pair=expressions())
def test_equal_trees_are_equal_to_comparable(pair):
    a, b = pair
    if _same_tree(a, b):
        assert readable.comparable(a, TYPES) == readable.comparable(b, TYPES)
    assert _same_cheap(a, b, TYPES) == (_same_tree(a, b) or readable.comparable(a, TYPES)
                                        == readable.comparable(b, TYPES))


def test_checks_that_differ_in_parentheses_plan_no_change_without_a_canonical_spelling(pg, tmp_path, monkeypatch):
    """40 tables, each with its own bound: the database stores ``(q >= 0) AND (q <= N)``,
    the spec says ``q >= 0 AND q <= N``. No change, and no canonical spelling made
    for any of them; a real difference in one table is still seen."""
    db = pg.create_database()
    try:
        n = 40
        ddl = [f"CREATE TABLE t{i} (q integer, CONSTRAINT t{i}_q CHECK (q >= 0 AND q <= {1000 + i}))" for i in range(n)]
        ddl.append("CREATE TABLE canary (id integer PRIMARY KEY, note text)")
        ddl.append("INSERT INTO canary VALUES (1, 'must survive'), (2, 'me too')")
        assert pg.run_psql(db, sql="; ".join(ddl) + ";").returncode == 0
        files = {"schemadiff.yaml": "version: 1\n",
                 "tables/canary.yaml": "table: canary\ncolumns:\n  id: integer\n  note: text\nprimary_key: [id]\n"}
        for i in range(n):
            files[f"tables/t{i}.yaml"] = (f"table: t{i}\ncolumns:\n  q: integer\n"
                                          f"checks:\n  - {{name: t{i}_q, expression: \"q >= 0 AND q <= {1000 + i}\"}}\n")
        spec = write_spec(tmp_path / "spec", files)
        spelled = []
        real = readable._comparable
        monkeypatch.setattr(readable, "_comparable", lambda text, types: spelled.append(text) or real(text, types))
        readable._COMPARABLE.clear()
        plan = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
        assert plan.code == 0, plan
        assert not [t for t in spelled if "q <=" in t], spelled
        # One table's bound really differs: the plan sees it (and refuses to rewrite a CHECK).
        files["tables/t7.yaml"] = files["tables/t7.yaml"].replace("1007", "1008")
        write_spec(spec, files)
        moved = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
        assert moved.code != 0 and "t7_q" in moved.out + moved.err, moved
        rows = pg.run_psql(db, sql="SELECT string_agg(note, ',' ORDER BY id) FROM canary;")
        assert "must survive,me too" in rows.stdout
    finally:
        pg.drop_database(db)
