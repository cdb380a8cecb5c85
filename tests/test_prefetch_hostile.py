"""Hostile schema names through ``plan``'s early catalog read (``introspect.prefetch``).

The early read guesses the spec's schemas from the database's schema names and
the bytes of the spec files, then hands the guess to the catalog queries. A name
chosen by whoever can create a schema (a quote, ``$$``, a backslash, a semicolon,
a line break) must reach the server only as a bound parameter, must never make
the plan differ from the plan made with the read after the load, and must leave
every row where it was, with ``standard_conforming_strings`` on and off.
"""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as psql

import schemadiff.introspect.prefetch as prefetch
import schemadiff.planning as planning
from schemadiff.introspect import read as introspect_read

from .conftest import run_cli, write_spec

QUOTED = "x'; DROP TABLE public.canary; --"      # spelled in the spec in double quotes: its bytes occur
DOLLARS = 'we"ird$$ \\ $q$'                        # spelled in single quotes: its bytes occur
SPLIT = "zz\ncolumns:"                             # the database's only: its bytes occur across two lines
UNNAMED = "$$; DROP TABLE public.canary; $$"       # the database's only: named in no spec file

ROOT = "version: 1\n"
T1 = f'table: t1\nschema: "{QUOTED}"\ncolumns:\n  id: {{type: bigint, primary_key: true}}\n'
T2 = f"table: t2\nschema: '{DOLLARS}'\ncolumns:\n  id: {{type: bigint, primary_key: true}}\n"
PUBLIC = "table: item\ncolumns:\n  id: {type: bigint, primary_key: true}\n"


def _spec(root: Path, extra: dict[str, str] | None = None) -> Path:
    return write_spec(root, {"schemadiff.yaml": ROOT, "tables/t1.yaml": T1, "tables/t2.yaml": T2,
                             "tables/item.yaml": PUBLIC, **(extra or {})})


def _reads(monkeypatch) -> list[tuple[bool, list[str]]]:
    seen: list[tuple[bool, list[str]]] = []
    real = introspect_read.introspect

    def counted(conn, schemas, *args, **kwargs):
        seen.append((threading.current_thread() is threading.main_thread(), list(schemas)))
        return real(conn, schemas, *args, **kwargs)

    for module in (introspect_read, planning, prefetch):
        monkeypatch.setattr(module, "introspect", counted)
    return seen


def _rows(dsn: str) -> list:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(
            psql.SQL("SELECT 'public', id, note FROM public.canary UNION ALL "
                     "SELECT 'quoted', id, note FROM {}.canary ORDER BY 1, 2").format(psql.Identifier(QUOTED))
        ).fetchall() + conn.execute(
            "SELECT nspname, count(c.oid) FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE nspname = ANY(%s) GROUP BY 1 ORDER BY 1", ([QUOTED, DOLLARS, SPLIT, UNNAMED, "public"],)
        ).fetchall()


@pytest.fixture(params=["on", "off"], ids=["scs on", "scs off"])
def hostile(request, pg, db):
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in (QUOTED, DOLLARS, SPLIT, UNNAMED):
            conn.execute(psql.SQL("CREATE SCHEMA {}").format(psql.Identifier(name)))
        conn.execute("CREATE TABLE public.canary (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO public.canary VALUES (1, 'one'), (2, 'two''s'), (3, E'back\\\\slash')")
        conn.execute(psql.SQL("CREATE TABLE {}.canary (id int PRIMARY KEY, note text)").format(psql.Identifier(QUOTED)))
        conn.execute(psql.SQL("INSERT INTO {}.canary VALUES (7, '$$')").format(psql.Identifier(QUOTED)))
        conn.execute(psql.SQL("ALTER DATABASE {} SET standard_conforming_strings = {}").format(
            psql.Identifier(db), psql.SQL(request.param)))
    return dsn


def test_hostile_schema_names_are_guessed_as_data_and_the_plan_is_the_same(hostile, tmp_path: Path, monkeypatch):
    before = _rows(hostile)
    assert len(before) == 4 + 5  # four canary rows; five schemas
    spec = _spec(tmp_path / "spec")
    r = run_cli("apply", str(spec), "--db", hostile, "--yes")
    assert r.code == 0, r

    seen = _reads(monkeypatch)
    r = run_cli("plan", str(spec), "--db", hostile)
    assert r.code == 0 and "No changes" in r.out, r
    # Guessed from the file bytes as they are; the read made early is the one used.
    assert seen == [(False, sorted(["public", QUOTED, DOLLARS]))]

    # A change: the plan made from the early read and the plan made after the load are the same text.
    changed = _spec(tmp_path / "changed", {"tables/t2.yaml": T2 + "  note: text\n"})
    seen.clear()
    early = run_cli("plan", str(changed), "--db", hostile)
    assert early.code == 0 and "note" in early.out, early
    assert seen == [(False, sorted(["public", QUOTED, DOLLARS]))]
    monkeypatch.setattr(prefetch, "_guess", lambda user, spec_dir: ["public"])  # always wrong: read again
    seen.clear()
    late = run_cli("plan", str(changed), "--db", hostile)
    assert seen == [(False, ["public"]), (True, sorted(["public", QUOTED, DOLLARS]))]
    assert (late.code, late.out, late.err) == (early.code, early.out, early.err)
    assert _rows(hostile)[:4] == before[:4]


def test_a_name_whose_bytes_span_two_lines_is_a_wrong_guess_read_again(hostile, tmp_path: Path, monkeypatch):
    before = _rows(hostile)
    spec = _spec(tmp_path / "spec")
    assert run_cli("apply", str(spec), "--db", hostile, "--yes").code == 0
    # Its bytes occur in a file (a comment line, then a key): guessed, though no table lives there.
    spread = _spec(tmp_path / "spread", {"tables/t3.yaml": "table: t3\n# zz\ncolumns:\n  id: integer\n"})
    seen = _reads(monkeypatch)
    r = run_cli("plan", str(spread), "--db", hostile)
    assert r.code == 0 and "t3" in r.out and "canary" not in r.out + r.err, r
    managed = sorted(["public", QUOTED, DOLLARS])
    assert seen == [(False, sorted(managed + [SPLIT])), (True, managed)]
    assert UNNAMED not in seen[0][1]
    # The plan adds t3 and nothing else, and the rows and relations are as they were.
    assert "Plan: 1 to add, 0 widening, 0 refused, 0 drift; 1 statement(s)." in r.out, r
    after = _rows(hostile)
    assert after[:4] == before[:4]
    assert [n for n, _ in after[4:]] == [n for n, _ in before[4:]]
