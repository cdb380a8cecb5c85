"""``TABLESAMPLE method(…)`` in a view's query (or a policy's subquery) names a
function, the sampling method's handler, that runs in every query of the view:
only pg_catalog's ``system`` and ``bernoulli`` are allowed, or a method declared
under ``external: functions``; its arguments and REPEATABLE seed are judged as
any expression. Refused by the loader (exit 1, naming the file) and by apply's
final guard (nothing runs, canaries as they were), scs on or off."""

from __future__ import annotations

import psycopg
import pytest

from schemadiff.apply import ApplyOptions, GuardError, Runner, StepView
from schemadiff.introspect.connect import connect

from .conftest import run_cli, write_spec
from .test_guard_attacks import CANARY, snapshot

T = "transactional"
REFUSED = {
    "a method outside pg_catalog": "SELECT t.a FROM public.t t TABLESAMPLE public.evil(10)",
    "an unqualified unknown method": "SELECT t.a FROM public.t t TABLESAMPLE system_rows(10)",
    "a REPEATABLE seed calling a volatile function": "SELECT t.a FROM public.t t TABLESAMPLE system(10) "
                                                     "REPEATABLE (pg_catalog.random())",
}
PASSES = ["SELECT t.a FROM public.t t TABLESAMPLE system(10)",
          "SELECT t.a FROM public.t t TABLESAMPLE pg_catalog.bernoulli(10) REPEATABLE (42)"]


@pytest.fixture(params=["on", "off"])
def canaries(request, pg, db):
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute("CREATE TABLE public.t (a integer)")
        conn.execute(f"ALTER DATABASE {db} SET standard_conforming_strings = {request.param}")
    return dsn


def _run(dsn, sql):
    with connect(dsn) as conn:
        Runner(conn, ApplyOptions(progress_interval=0), lambda text: None, dsn, external=frozenset()).run(
            [StepView(T, f"CREATE VIEW public.v AS {sql}", "view")])


@pytest.mark.parametrize("name", list(REFUSED))
def test_the_guard_refuses_it(name, canaries):
    before = snapshot(canaries)
    with pytest.raises(GuardError):
        _run(canaries, REFUSED[name])
    assert snapshot(canaries) == before


@pytest.mark.parametrize("sql", PASSES)
def test_the_built_in_methods_pass(sql, canaries):
    _run(canaries, sql)


def _spec(tmp_path, query):
    return write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\n",
                                          "tables/t.yaml": "table: t\ncolumns:\n  a: integer\n",
                                          "views/v.yaml": f"view: v\nquery: {query}\n"})


@pytest.mark.parametrize("name", list(REFUSED))
def test_the_loader_refuses_it_naming_the_file(name, tmp_path):
    result = run_cli("validate", str(_spec(tmp_path, REFUSED[name])))
    assert result.code == 1 and "views/v.yaml" in result.err, result


@pytest.mark.parametrize("sql", PASSES)
def test_the_loader_accepts_the_built_in_methods(sql, tmp_path):
    result = run_cli("validate", str(_spec(tmp_path, sql)))
    assert result.code == 0, result
