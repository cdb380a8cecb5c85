"""A new column of a domain type on a table the plan does not create: ``ADD
COLUMN`` evaluates the domain's DEFAULT (when the column has none of its own) and
its CHECK constraints — on NULL too — for every existing row, inside the
migration. SD610 judges that at plan time; the final guard now asks the database
itself (the domain and the domains under it, through ``pg_depend``) and refuses a
domain whose default calls a VOLATILE or non-pg_catalog function, or whose CHECK
calls a non-pg_catalog or VOLATILE one (an operator's function included). On a
real server with canaries, ``standard_conforming_strings`` on or off: nothing
runs, nothing changes."""

from __future__ import annotations

import psycopg
import pytest

from schemadiff.apply import ApplyOptions, GuardError, Runner, StepView
from schemadiff.introspect.connect import connect

from .test_guard_attacks import CANARY, snapshot

T = "transactional"
DOMAINS = """
CREATE FUNCTION public.purge(text) RETURNS boolean LANGUAGE sql
  AS 'DELETE FROM public.victim RETURNING true';
CREATE FUNCTION public.purge_id() RETURNS integer LANGUAGE sql AS 'DELETE FROM public.victim RETURNING 1';
CREATE FUNCTION public.evil_eq(text, text) RETURNS boolean LANGUAGE sql
  AS 'DELETE FROM public.victim RETURNING true';
CREATE OPERATOR public.=== (LEFTARG = text, RIGHTARG = text, FUNCTION = public.evil_eq);
CREATE DOMAIN public.token AS uuid DEFAULT gen_random_uuid();
CREATE DOMAIN public.ext_default AS integer DEFAULT public.purge_id();
CREATE DOMAIN public.ext_check AS text CHECK (public.purge(VALUE));
CREATE DOMAIN public.op_check AS text CHECK (VALUE OPERATOR(public.===) 'x' OR VALUE IS NULL);
CREATE DOMAIN public.over_check AS public.ext_check;
CREATE DOMAIN public.code AS text DEFAULT 'x' CHECK (VALUE <> '');
CREATE DOMAIN public.stamp AS timestamptz DEFAULT now();
"""
REFUSED = {
    "a VOLATILE default (gen_random_uuid: a rewrite)": "public.token",
    "a default calling a function outside pg_catalog": "public.ext_default",
    "a CHECK calling a function outside pg_catalog": "public.ext_check",
    "a CHECK using an operator outside pg_catalog": "public.op_check",
    "a domain over such a domain": "public.over_check",
    "its own default does not skip the CHECK": "public.ext_check DEFAULT 'x'",
}
PASSES = ["public.code", "public.stamp", "public.token DEFAULT '00000000-0000-0000-0000-000000000000'"]


@pytest.fixture(params=["on", "off"])
def canaries(request, pg, db):
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute(DOMAINS)
        conn.execute(f"ALTER DATABASE {db} SET standard_conforming_strings = {request.param}")
    return dsn


def _run(dsn, steps):
    with connect(dsn) as conn:
        return Runner(conn, ApplyOptions(progress_interval=0), lambda text: None, dsn).run(steps)


def test_the_control_a_hostile_domain_column_empties_the_canary(canaries):
    with psycopg.connect(canaries, autocommit=True) as conn:
        conn.execute("ALTER TABLE public.canary ADD COLUMN z public.ext_check")
        assert conn.execute("SELECT count(*) FROM public.victim").fetchone()[0] == 0


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_new_column_of_a_hostile_domain_on_an_existing_table_is_refused_whole(name, canaries):
    before = snapshot(canaries)
    with pytest.raises(GuardError) as info:
        _run(canaries, [StepView(T, f"ALTER TABLE public.canary ADD COLUMN z {REFUSED[name]}", "add column")])
    assert "domain" in str(info.value.problems[0]), info.value.problems[0]
    assert snapshot(canaries) == before


@pytest.mark.parametrize("column", PASSES)
def test_a_domain_that_runs_nothing_of_its_own_passes(column, canaries):
    _run(canaries, [StepView(T, f"ALTER TABLE public.canary ADD COLUMN z {column}", "add column")])
    with psycopg.connect(canaries, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM public.victim").fetchone()[0] == 10


def test_on_a_table_the_plan_creates_it_runs_over_no_row_and_passes(canaries):
    _run(canaries, [StepView(T, "CREATE TABLE public.fresh (id integer)", "create table"),
                    StepView(T, "ALTER TABLE public.fresh ADD COLUMN z public.ext_check", "add column")])
