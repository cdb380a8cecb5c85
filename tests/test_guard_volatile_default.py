"""A new column's default on a table the plan does not create is evaluated by
``ADD COLUMN`` for every existing row when it is VOLATILE: the table is rewritten
under an ACCESS EXCLUSIVE lock (the reason the guard refuses an identity column
there), and ``nextval()`` of any sequence advances it once per row. SD601 refuses
such a default at plan time; the final guard now refuses it on its own too —
the value generators (``gen_random_uuid()``, ``clock_timestamp()``, ``random()``,
``nextval()``…) included. On a real server with canaries (sequence public.s1
included), ``standard_conforming_strings`` on or off: nothing runs, nothing
changes, and the table keeps its storage (no rewrite)."""

from __future__ import annotations

import psycopg
import pytest

from schemadiff.apply import ApplyOptions, GuardError, Runner, StepView
from schemadiff.introspect.connect import connect

from .test_guard_attacks import CANARY, snapshot

T = "transactional"
VOLATILE = {
    "nextval of the canary sequence": "bigint DEFAULT pg_catalog.nextval('public.s1'::regclass)",
    "nextval, unqualified": "bigint DEFAULT nextval('public.s1')",
    "gen_random_uuid": "uuid DEFAULT pg_catalog.gen_random_uuid()",
    "clock_timestamp": "timestamptz DEFAULT pg_catalog.clock_timestamp()",
    "random inside a cast": "integer DEFAULT (pg_catalog.random() * 10)::integer",
    "timeofday": "text DEFAULT pg_catalog.timeofday()",
}


@pytest.fixture(params=["on", "off"])
def canaries(request, pg, db):
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute(f"ALTER DATABASE {db} SET standard_conforming_strings = {request.param}")
    return dsn


def _filenode(dsn):
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT pg_relation_filenode('public.canary')").fetchone()[0]


def _run(dsn, steps):
    with connect(dsn) as conn:
        return Runner(conn, ApplyOptions(progress_interval=0), lambda text: None, dsn).run(steps)


@pytest.mark.parametrize("name", list(VOLATILE))
def test_a_volatile_default_on_an_existing_table_is_refused_whole(name, canaries):
    before, node = snapshot(canaries), _filenode(canaries)
    with pytest.raises(GuardError) as info:
        _run(canaries, [StepView(T, f"ALTER TABLE public.canary ADD COLUMN z {VOLATILE[name]}", "add column")])
    assert "on a table this plan does not create" in str(info.value.problems[0]), info.value.problems[0]
    assert snapshot(canaries) == before and _filenode(canaries) == node


@pytest.mark.parametrize("name", list(VOLATILE))
def test_the_same_default_on_a_table_the_plan_creates_passes(name, canaries):
    before = snapshot(canaries)
    _run(canaries, [StepView(T, "CREATE TABLE public.fresh (id integer)", "create table"),
                    StepView(T, f"ALTER TABLE public.fresh ADD COLUMN z {VOLATILE[name]}", "add column")])
    after = snapshot(canaries)
    assert [r for r in before if r[0] == "seq" or r[0] == "rows"] == [r for r in after if r[0] in ("seq", "rows")]


def test_a_stable_default_on_an_existing_table_passes(canaries):
    node = _filenode(canaries)
    _run(canaries, [StepView(T, "ALTER TABLE public.canary ADD COLUMN z timestamptz DEFAULT pg_catalog.now()",
                             "add column")])
    assert _filenode(canaries) == node  # no rewrite
