"""Casts are calls (casts.py): a cast to a domain or a type that is not built in
runs that type's input function, or the domain's CHECK — which may call any
function — inside the migration. A spec expression (check, default, index
expression and predicate, policy, view) may cast only to a built-in type or to
an enum of the spec; the final guard holds the same line on its own.

The hostile database here has a domain whose CHECK calls a function that
deletes every canary row. The control shows that a cast to it does delete them;
then plan, apply and check, on every way of writing the cast, in every
context, with ``standard_conforming_strings`` on and off, must leave the rows
exactly as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as psql

from schemadiff.casts import catalog_types, judge_casts
from schemadiff.expressions import parse_expression
from schemadiff.funcpolicy import judge_tree
from schemadiff.model import QualifiedName

from .conftest import run_cli, write_spec
from .test_guard_attacks import inject

HOSTILE_DB = """
CREATE TABLE public.canary (id integer PRIMARY KEY, note text NOT NULL);
INSERT INTO public.canary SELECT g, 'row ' || g FROM generate_series(1, 50) g;
CREATE FUNCTION public.wipe(text) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN DELETE FROM public.canary; RETURN true; END $$;
CREATE DOMAIN public.evil AS text CHECK (public.wipe(VALUE));
CREATE TYPE public.pair AS (a public.evil, b integer);
CREATE TYPE public.mood AS ENUM ('ok', 'meh');
CREATE TABLE public.t (id integer PRIMARY KEY, note text);
INSERT INTO public.t SELECT g, 'n' || g FROM generate_series(1, 20) g;
"""
ROOT = "version: 1\nschema: public\nexternal:\n  types: [public.evil, public.pair]\nenums:\n  mood: [ok, meh]\n"
TABLE = "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n  note: text\n"

# every way of writing a cast, to the domain, to a composite type holding one, and to an array of it
CASTS = {
    "::": "note::public.evil",
    "CAST": "CAST(note AS public.evil)",
    "type literal": "public.evil 'x'",
    "array": "'{x}'::public.evil[]",
    "composite": "'(x,1)'::public.pair",
    "nested": "(note::text)::public.evil::text",
    "json_value RETURNING": "json_value('\"x\"', '$' RETURNING public.evil)",
    "xmlserialize AS": "xmlserialize(content 'x'::xml AS public.evil)",
}
def _q(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (JSON's string syntax)."""
    return json.dumps(text)


# (file text added to the table's file, line of the expression)
CONTEXTS = {
    "check": lambda e: (f"  c: {{type: text, check: {_q(f'({e}) IS NOT NULL')}}}\n", 5),
    "default": lambda e: (f"  c: {{type: text, default: {_q(f'({e})::text')}}}\n", 5),
    "index expression": lambda e: (f"indexes:\n  t_ix: {{columns: [{{expression: {_q(f'(({e})::text)')}}}]}}\n", 6),
    "index predicate": lambda e: (f"indexes:\n  t_ix: {{columns: [id], where: {_q(f'({e}) IS NOT NULL')}}}\n", 6),
    "policy": lambda e: (f"rls:\n  enabled: true\n  policies:\n    p:\n      using: {_q(f'({e}) IS NOT NULL')}\n", 9),
}


def _canary(dsn: str) -> tuple[int, str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*), md5(string_agg(id || note, ',' ORDER BY id)) FROM public.canary"
                            ).fetchone()


def _catalog(dsn: str) -> list:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(
            "SELECT c.relname, c.relkind::text, a.attname FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid "
            "AND a.attnum > 0 WHERE c.relnamespace = 'public'::regnamespace "
            "UNION ALL SELECT polname, 'policy', polrelid::regclass::text FROM pg_policy ORDER BY 1, 2, 3").fetchall()


@pytest.fixture(params=["on", "off"], ids=["scs on", "scs off"])
def hostile(request, pg, db):
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(HOSTILE_DB)
        conn.execute(psql.SQL("ALTER DATABASE {} SET standard_conforming_strings = {}").format(
            psql.Identifier(db), psql.SQL(request.param)))
    return dsn


def test_the_control_a_cast_to_the_domain_deletes_the_canary_rows(hostile):
    """Without this, a canary that survives would prove nothing."""
    with psycopg.connect(hostile, autocommit=True) as conn:
        conn.execute("SELECT 'x'::public.evil")
    assert _canary(hostile)[0] == 0


@pytest.mark.parametrize("context", list(CONTEXTS))
@pytest.mark.parametrize("how", list(CASTS))
def test_a_cast_to_a_domain_never_runs(hostile, tmp_path: Path, context, how):
    """plan, apply and check refuse it at load, naming the file, line and type;
    the canary rows and the catalog are as they were."""
    before, catalog = _canary(hostile), _catalog(hostile)
    text, line = CONTEXTS[context](CASTS[how])
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": ROOT, "tables/t.yaml": TABLE})
    spec = write_spec(tmp_path / "head", {"schemadiff.yaml": ROOT, "tables/t.yaml": TABLE + text})
    wanted = "public.evil" if how != "composite" else "public.pair"
    for argv in (("plan", str(spec), "--db", hostile), ("apply", str(spec), "--db", hostile, "--yes"),
                 ("check", str(spec), "--base", str(base))):
        r = run_cli(*argv)
        assert r.code == 1, (argv, r)
        assert f"tables/t.yaml:{line}:" in r.err and f"the input of type {wanted} (a cast to it)" in r.err, r.err
        assert "Traceback" not in r.err
    assert _canary(hostile) == before
    assert _catalog(hostile) == catalog


T = "transactional"
GUARDED = {
    "a CHECK on an existing table": "ALTER TABLE public.t ADD CONSTRAINT k CHECK (note::public.evil IS NOT NULL) "
                                    "NOT VALID",
    "a new table's CHECK": "CREATE TABLE public.n (a text, CONSTRAINT k CHECK (a::public.evil IS NOT NULL))",
    "a default on an existing table": "ALTER TABLE public.t ADD COLUMN z text DEFAULT 'x'::public.evil::text",
    "a type literal in a default": "ALTER TABLE public.t ADD COLUMN z text DEFAULT public.evil 'x'",
    "a composite holding the domain": "ALTER TABLE public.t ADD COLUMN z text DEFAULT ('(x,1)'::public.pair).b::text",
    "an array of the domain": "ALTER TABLE public.t ADD COLUMN z text DEFAULT ('{x}'::public.evil[])[1]",
    "json_value RETURNING": "ALTER TABLE public.t ADD COLUMN z text DEFAULT "
                            "json_value('\"x\"', '$' RETURNING public.evil)",
    "a policy": "CREATE POLICY p ON public.t USING ((note::public.evil) IS NOT NULL)",
    "a view": "CREATE VIEW public.v AS SELECT 'x'::public.evil AS x",
}


@pytest.mark.parametrize("name", list(GUARDED))
def test_the_final_guard_refuses_a_cast_to_a_domain_on_its_own(hostile, tmp_path: Path, monkeypatch, name):
    """As a planner fault would hand it over (the plan is given an extra step):
    refused whole, exit 3, nothing run."""
    before, catalog = _canary(hostile), _catalog(hostile)
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": TABLE,
                                          "tables/fresh.yaml": "table: fresh\ncolumns:\n  id: integer\n"})
    inject(monkeypatch, [(T, GUARDED[name])])
    r = run_cli("apply", str(spec), "--db", hostile, "--yes")
    assert r.code == 3, r
    assert "refused by the final guard" in r.err and "the input of type public." in r.err, r.err
    assert _canary(hostile) == before
    assert _catalog(hostile) == catalog


def test_casts_to_builtin_types_and_the_specs_enums_apply(hostile, tmp_path: Path):
    """The allowed side: built-in types (any spelling) and the spec's enums, in
    every context, plan and apply; the canary is untouched."""
    before = _canary(hostile)
    table = TABLE + (
        "  c: {type: text, check: \"c::integer > 0 AND c::pg_catalog.int4 < 10 AND CAST(c AS bigint) > 0\"}\n"
        "  m: {type: mood, default: \"'ok'::public.mood\", check: \"m <> 'meh'::public.mood\"}\n"
        "  j: {type: jsonb, default: \"'{}'::jsonb\"}\n"
        "indexes:\n  t_ix: {columns: [{expression: \"(note::varchar(20))\"}], where: \"id::text <> ''\"}\n"
        "rls:\n  enabled: true\n  policies:\n    p:\n      using: \"m = 'ok'::public.mood AND id::numeric > 0\"\n")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": table,
                                          "schemadiff-policy.yaml": "version: 1\n"})
    with psycopg.connect(hostile, autocommit=True) as conn:
        conn.execute("DROP TABLE public.t")
    r = run_cli("apply", str(spec), "--db", hostile, "--yes")
    assert r.code == 0, r
    r = run_cli("plan", str(spec), "--db", hostile, "--detailed-exitcode")
    assert r.code == 0, r
    assert _canary(hostile) == before


@pytest.mark.parametrize("names, allowed, refused", [
    (("int4",), None, False),
    (("pg_catalog", "int4"), None, False),
    (("pg_catalog", "evil"), None, True),
    (("public", "mood"), {QualifiedName("public", "mood")}, False),
    (("public", "mood"), None, True),
    (("other", "mood"), {QualifiedName("public", "mood")}, True),
    (("mood",), {QualifiedName("public", "mood")}, False),  # left to the loader's own "name its schema"
    (("evil",), None, True),
    (("a", "b", "c"), None, True),
])
def test_judge_casts(names, allowed, refused):
    tree = {"TypeCast": {"arg": {"A_Const": {"sval": {"sval": "x"}}},
                         "typeName": {"names": [{"String": {"sval": n}} for n in names], "typemod": -1}}}
    problem = judge_casts(tree, allowed)
    assert (problem is not None) == refused, problem


def test_judge_tree_judges_casts_with_one_keyword():
    tree = parse_expression("'x'::public.mood").tree
    assert judge_tree(tree, "check") is not None
    assert judge_tree(tree, "check", casts={QualifiedName("public", "mood")}) is None


def test_the_type_snapshot_knows_the_servers_types_and_no_domain(pg):
    """data/pg_functions.json's types: every pg_catalog type of the server that is
    not a domain (the snapshot is taken from the newest release)."""
    with psycopg.connect(pg.admin_dsn) as conn:
        types = {n for (n,) in conn.execute("SELECT typname FROM pg_type WHERE typnamespace = "
                                            "'pg_catalog'::regnamespace AND typtype <> 'd'")}
        domains = {n for (n,) in conn.execute("SELECT typname FROM pg_type WHERE typtype = 'd'")}
    assert types - catalog_types() <= set(), types - catalog_types()
    assert not (domains & catalog_types())


@pytest.mark.parametrize("query, refused", [
    ("SELECT t.id, t.note::public.evil AS n FROM public.t t", True),
    ("SELECT t.id, 'ok'::public.mood AS m FROM public.t t", False),
    ("SELECT t.id, t.note::varchar(10) AS n FROM public.t t", False),
])
def test_a_view_query_casts_like_a_policy(tmp_path: Path, query, refused):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": TABLE,
                                          "views/v.yaml": f"view: v\nquery: {_q(query)}\n"})
    r = run_cli("validate", str(spec))
    if refused:
        assert r.code == 1 and "views/v.yaml:2:" in r.err and "the input of type public.evil" in r.err, r
    else:
        assert r.code == 0, r
