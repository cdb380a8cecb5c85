"""A default on a new column of an existing table runs inside the migration
(``ADD COLUMN`` evaluates it once, or once per existing row). Only the planner's
rule SD601 judged ``DEFAULT public.f()`` there, and a policy file can waive a
rule. These tests show where a waived SD601 can go today (nowhere that runs it:
``check`` reports it waived, ``check --prove`` and ``apply`` refuse), and that the
final guard now refuses it on its own — whatever the planner said — with the
canary rows and the catalog as they were, ``standard_conforming_strings`` on and off.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as psql

from schemadiff.guard import Catalog, check_statements
from schemadiff.model import QualifiedName

from .conftest import run_cli, write_spec
from .test_guard_attacks import inject

HOSTILE_DB = """
CREATE TABLE public.canary (id integer PRIMARY KEY, note text NOT NULL);
INSERT INTO public.canary SELECT g, 'row ' || g FROM generate_series(1, 50) g;
CREATE FUNCTION public.f() RETURNS integer LANGUAGE plpgsql AS
  $$ BEGIN DELETE FROM public.canary; RETURN 1; END $$;
CREATE TABLE public.t (id integer PRIMARY KEY);
INSERT INTO public.t SELECT generate_series(1, 20);
"""
ROOT = "version: 1\nschema: public\nexternal:\n  functions: [public.f]\n"
TABLE = "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"
WAIVER = ("version: 1\nwaivers:\n  - rule: SD601\n    object: public.t.z\n    reason: reviewed\n"
          "    expires: \"2999-12-31\"\n")


def _state(dsn: str) -> list:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(
            "SELECT 'canary', count(*)::text || ' ' || md5(string_agg(id || note, ',' ORDER BY id)) FROM public.canary "
            "UNION ALL SELECT 'col', attrelid::regclass || '.' || attname FROM pg_attribute "
            "WHERE attrelid IN ('public.t'::regclass, 'public.canary'::regclass) AND attnum > 0 "
            "UNION ALL SELECT 'rel', relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "ORDER BY 1, 2").fetchall()


@pytest.fixture(params=["on", "off"], ids=["scs on", "scs off"])
def hostile(request, pg, db):
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(HOSTILE_DB)
        conn.execute(psql.SQL("ALTER DATABASE {} SET standard_conforming_strings = {}").format(
            psql.Identifier(db), psql.SQL(request.param)))
    return dsn


def test_the_control_the_default_deletes_the_canary_rows(hostile):
    with psycopg.connect(hostile, autocommit=True) as conn:
        conn.execute("ALTER TABLE public.t ADD COLUMN z integer DEFAULT public.f()")
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 0


def test_a_waived_sd601_passes_check_but_reaches_neither_prove_nor_apply(hostile, tmp_path: Path):
    before = _state(hostile)
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": ROOT, "tables/t.yaml": TABLE})
    head = write_spec(tmp_path / "head", {"schemadiff.yaml": ROOT, "schemadiff-policy.yaml": WAIVER,
                                          "tables/t.yaml": TABLE + "  z: {type: integer, default: public.f()}\n"})
    r = run_cli("check", str(head), "--base", str(base))
    assert r.code == 0 and "SD601" in r.out and "waived" in r.out, r
    r = run_cli("check", str(head), "--base", str(base), "--prove")
    assert r.code == 1 and "not proved" in r.err and "waiver" in r.err, r
    r = run_cli("apply", str(head), "--db", hostile, "--yes")  # apply reads no policy file: SD601 refuses
    assert r.code == 3 and "SD601" in r.out, r
    assert _state(hostile) == before


def test_a_hand_edited_saved_plan_with_the_default_is_refused(hostile, tmp_path: Path):
    """The reviewed plan adds z without a default; the file is edited to add it with
    ``DEFAULT public.f()``, fingerprint left as is or recomputed: refused (exit 1)."""
    before = _state(hostile)
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": TABLE + "  z: integer\n"})
    path = tmp_path / "plan.json"
    assert run_cli("plan", str(spec), "--db", hostile, "--out", str(path)).code == 0
    doc = json.loads(path.read_text())
    edited = copy.deepcopy(doc)
    [step] = [s for s in edited["steps"] if "ADD COLUMN" in s["sql"]]
    step["sql"] = step["sql"].rstrip().rstrip(";") + " DEFAULT public.f()"
    path.write_text(json.dumps(edited))
    r = run_cli("apply", str(spec), "--db", hostile, "--plan", str(path))
    assert r.code == 1 and "does not match" in r.err and "nothing was applied" in r.err, r
    assert _state(hostile) == before


@pytest.mark.parametrize("default", ["public.f()", "(public.f() + 1)", "pg_catalog.abs(public.f())",
                                     "COALESCE(NULL, public.f())"])
def test_the_final_guard_refuses_it_whatever_the_planner_said(hostile, tmp_path: Path, monkeypatch, default):
    """As a planner fault (or a rule that let it through) would hand it over: the
    plan is given the step. The spec declares public.f external, so the function
    policy alone would let it pass; the guard refuses the whole plan (exit 3)."""
    before = _state(hostile)
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": TABLE,
                                          "tables/fresh.yaml": "table: fresh\ncolumns:\n  id: integer\n"})
    inject(monkeypatch, [("transactional", f"ALTER TABLE public.t ADD COLUMN z integer DEFAULT {default}")])
    r = run_cli("apply", str(spec), "--db", hostile, "--yes")
    assert r.code == 3, r
    assert "refused by the final guard" in r.err and "the default of new column z, on a table this plan does not " \
           "create, calls public.f()" in r.err, r.err
    assert _state(hostile) == before


def test_a_new_table_may_still_default_to_a_declared_external_function(hostile, tmp_path: Path):
    """The other side: on a table the plan creates there is no row to run it for."""
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": TABLE,
                                          "tables/n.yaml": "table: n\ncolumns:\n  id: integer\n"
                                                           "  z: {type: integer, default: public.f()}\n"})
    r = run_cli("apply", str(spec), "--db", hostile, "--yes")
    assert r.code == 0, r
    with psycopg.connect(hostile, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 50


class _Empty(Catalog):
    def builtin(self, kind, name):
        return name in ("integer", "int4", "uuid", "timestamptz", "text", "regclass")


@pytest.mark.parametrize("default, refused", [
    ("public.f()", True),
    ("extensions.uuid_generate_v4()", True),
    ("pg_catalog.now()", False),
    ("now()", False),
    ("gen_random_uuid()", True),  # VOLATILE: per existing row, a rewrite (test_guard_volatile_default)
    ("clock_timestamp()", True),
    ("nextval('public.s'::regclass)", True),
    ("42", False),
    ("pg_catalog.lower('X')", False),
])
def test_the_guards_rule_for_a_new_column_on_an_existing_table(default, refused):
    external = {QualifiedName("public", "f"), QualifiedName("extensions", "uuid_generate_v4")}
    problems = check_statements([f"ALTER TABLE public.t ADD COLUMN z text DEFAULT {default}"], _Empty(), external)
    assert bool(problems) == refused, problems
    created = check_statements(["CREATE TABLE public.t (id integer)",
                                f"ALTER TABLE public.t ADD COLUMN z text DEFAULT {default}"], _Empty(), external)
    assert created == [], created
