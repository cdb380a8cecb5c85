"""The final guard against a database that holds more under a spec function's
name than the spec says.

The guard judges a call of a spec function (``public.f(x)``) by the volatility
the spec declares for a function of that name and argument count. PostgreSQL
resolves the call against every function of that name the database holds, and,
for one argument, against a type of that name (``public.f(x)`` is then a cast,
which runs a domain's CHECK). An overload the spec does not know, more volatile
than declared, or a same-named type, would run instead of the judged function
in every query of a policy or a view: the guard refuses the plan whole, nothing
runs, with ``standard_conforming_strings`` on or off in the database.
"""

from __future__ import annotations

import psycopg
import pytest

from schemadiff.apply import ApplyOptions, GuardError, Runner, StepView
from schemadiff.introspect.connect import connect
from schemadiff.speccalls import Callee

from .test_guard_attacks import CANARY, snapshot

T = "transactional"
BASE = CANARY + """
CREATE FUNCTION public.f(integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1';
"""
# What the database holds besides the spec's public.f(integer) IMMUTABLE.
HOSTILE = {
    "a VOLATILE overload taking text": (
        "CREATE FUNCTION public.f(text) RETURNS integer LANGUAGE sql VOLATILE "
        "AS 'DELETE FROM public.canary RETURNING 1'", "VOLATILE"),
    "a VOLATILE overload with a default argument": (
        "CREATE FUNCTION public.f(text, b integer DEFAULT 0) RETURNS integer LANGUAGE sql VOLATILE "
        "AS 'DELETE FROM public.canary RETURNING 1'", "VOLATILE"),
    "a VARIADIC VOLATILE overload": (
        "CREATE FUNCTION public.f(VARIADIC text[]) RETURNS integer LANGUAGE sql VOLATILE "
        "AS 'DELETE FROM public.canary RETURNING 1'", "VOLATILE"),
    "a domain of the same name (the call is a cast running its CHECK)": (
        "CREATE FUNCTION public.purge(text) RETURNS boolean LANGUAGE sql VOLATILE "
        "AS 'DELETE FROM public.canary RETURNING true'; "
        "CREATE DOMAIN public.f AS text CHECK (public.purge(VALUE))", "a type of that name"),
}
STEPS = [StepView(T, "CREATE TABLE public.t (a integer, b text)", "create table"),
         StepView(T, "CREATE POLICY p ON public.t USING (public.f(b) IS NOT NULL)", "policy calls the spec's f")]
SPEC_F = [Callee("public", "f", 1, "i")]


@pytest.fixture(params=["on", "off"])
def scs_db(request, pg, db):
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(BASE)
        conn.execute(f"ALTER DATABASE {db} SET standard_conforming_strings = {request.param}")
    return dsn


def _run(dsn, steps):
    with connect(dsn) as conn:
        return Runner(conn, ApplyOptions(progress_interval=0), lambda text: None, dsn,
                      functions=SPEC_F).run(steps)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_call_the_database_resolves_elsewhere_is_refused_whole(name, scs_db):
    ddl, fragment = HOSTILE[name]
    with psycopg.connect(scs_db, autocommit=True) as conn:
        conn.execute(ddl)
    before = snapshot(scs_db)
    with pytest.raises(GuardError) as info:
        _run(scs_db, STEPS)
    assert [p.index for p in info.value.problems] == [1]
    assert fragment in str(info.value.problems[0]), info.value.problems[0]
    assert snapshot(scs_db) == before
    with psycopg.connect(scs_db, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 100


def test_the_spec_function_alone_passes(scs_db):
    """No false alarm: the database holds public.f(integer) IMMUTABLE only, or also an
    IMMUTABLE overload, or a VOLATILE one of another argument count."""
    with psycopg.connect(scs_db, autocommit=True) as conn:
        conn.execute("CREATE FUNCTION public.f(integer, integer) RETURNS integer LANGUAGE sql VOLATILE "
                     "AS 'SELECT 1'")
    _run(scs_db, [StepView(T, "CREATE TABLE public.t (a integer, b text)", "create table"),
                  StepView(T, "CREATE POLICY p ON public.t USING (public.f(a) > 0)", "policy")])
    with psycopg.connect(scs_db, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM pg_policy WHERE polname = 'p'").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 100
