"""Casts the target database adds to its catalog (casts.py, "Not inspected…"):
a superuser can ``CREATE CAST (text AS integer) WITH FUNCTION public.f(text)``
between two built-in types, and the owner of an enum a cast from it; PostgreSQL
then runs ``public.f`` for ``'1'::text::integer`` — or for a cast it picks on its
own. The guard cannot tell where the server will apply one, so on such a
database it refuses every expression (one UNION branch of the catalog query it
already runs). A cast from an extension's own type (PostGIS's geometry to text)
is not one of them. Canary rows must survive plan and apply, scs on and off.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg import sql as psql

from .conftest import run_cli, write_spec

CANARY = """
CREATE TABLE public.canary (id integer PRIMARY KEY, note text NOT NULL);
INSERT INTO public.canary SELECT g, 'row ' || g FROM generate_series(1, 50) g;
CREATE FUNCTION public.conv(text) RETURNS integer LANGUAGE plpgsql AS
  $$ BEGIN DELETE FROM public.canary; RETURN 1; END $$;
CREATE TYPE public.mood AS ENUM ('ok', 'meh');
"""
HIJACK = {
    "built-in to built-in, by a superuser": "CREATE CAST (text AS integer) WITH FUNCTION public.conv(text)",
    "from an enum, by its owner": (
        "CREATE FUNCTION public.mood_text(public.mood) RETURNS text LANGUAGE plpgsql AS "
        "$$ BEGIN DELETE FROM public.canary; RETURN 'x'; END $$; "
        "CREATE CAST (public.mood AS text) WITH FUNCTION public.mood_text(public.mood) AS ASSIGNMENT"),
}
ROOT = "version: 1\nschema: public\nenums:\n  mood: [ok, meh]\n"
EXPRESSIONS = {
    "the hijacked cast, explicit": "  c: {type: text, check: \"(c::text)::integer > 0\"}\n",
    "a cast from the enum": "  m: {type: mood, check: \"m::text <> ''\"}\n",
    "no cast at all": "  c: {type: integer, default: 0}\n",
}


def _canary(dsn: str) -> tuple:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*), md5(string_agg(id || note, ',' ORDER BY id)) FROM public.canary"
                            ).fetchone()


@pytest.fixture(params=["on", "off"], ids=["scs on", "scs off"])
def target(request, pg, db):
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute(psql.SQL("ALTER DATABASE {} SET standard_conforming_strings = {}").format(
            psql.Identifier(db), psql.SQL(request.param)))
    return dsn


def _as_owner(dsn: str, statements: str) -> None:
    """Run ``statements`` as a plain role that owns the enum (not a superuser)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sd_type_owner') THEN "
                     "CREATE ROLE sd_type_owner NOSUPERUSER; END IF; END $$")
        conn.execute("ALTER TYPE public.mood OWNER TO sd_type_owner")
        conn.execute("GRANT CREATE ON SCHEMA public TO sd_type_owner")
        conn.execute("GRANT DELETE ON public.canary TO sd_type_owner")
        conn.execute("SET ROLE sd_type_owner")
        assert not conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        conn.execute(statements)


def _hijack(dsn: str, name: str) -> None:
    if name.startswith("from an enum"):
        _as_owner(dsn, HIJACK[name])
    else:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(HIJACK[name])


@pytest.mark.parametrize("name, probe", [("built-in to built-in, by a superuser", "SELECT '1'::text::integer"),
                                         ("from an enum, by its owner", "SELECT 'ok'::public.mood::text")])
def test_the_control_the_cast_deletes_the_canary_rows(target, name, probe):
    _hijack(target, name)
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute(probe)
    assert _canary(target)[0] == 0


@pytest.mark.parametrize("expression", list(EXPRESSIONS))
@pytest.mark.parametrize("name", list(HIJACK))
def test_apply_refuses_every_expression_on_a_database_with_such_a_cast(target, tmp_path: Path, name, expression):
    _hijack(target, name)
    before = _canary(target)
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": ROOT,
        "tables/t.yaml": "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n" + EXPRESSIONS[expression]})
    run_cli("plan", str(spec), "--db", target)  # its probes run in transactions it rolls back
    assert _canary(target) == before
    r = run_cli("apply", str(spec), "--db", target, "--yes")
    assert r.code == 3, r
    assert "refused by the final guard" in r.err and "cannot be judged on this database" in r.err, r.err
    assert "CREATE CAST (" in r.err and "WITH FUNCTION public." in r.err, r.err
    assert _canary(target) == before
    with psycopg.connect(target, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('public.t')").fetchone()[0] is None


def test_a_cast_from_an_extensions_own_type_is_not_refused(target, tmp_path: Path):
    """Like PostGIS's geometry to text: the source is neither built in nor an enum."""
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("CREATE TYPE public.pt AS (x integer); CREATE FUNCTION public.pt_text(public.pt) RETURNS text "
                     "LANGUAGE sql IMMUTABLE AS $$ SELECT 'pt' $$; "
                     "CREATE CAST (public.pt AS text) WITH FUNCTION public.pt_text(public.pt) AS IMPLICIT")
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": ROOT,
        "tables/t.yaml": "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"
                         "  c: {type: text, check: \"c <> ''\", default: \"'x'\"}\n"})
    r = run_cli("apply", str(spec), "--db", target, "--yes")
    assert r.code == 0, r
    assert _canary(target)[0] == 50
