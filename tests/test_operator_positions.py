"""Operators outside pg_catalog are refused wherever a query names one, not only
in ``a OP b``: ``x OPERATOR(s.=) ANY|ALL (SELECT …)`` (a SubLink's operName),
``ORDER BY x USING OPERATOR(s.<)`` in a query or an aggregate (a SortBy's useOp).
Such an operator runs its function — any function — in every query of a view or
a policy. Refused by the loader (exit 1 naming the file) and by apply's final
guard (nothing runs, the canaries as they were), with
``standard_conforming_strings`` on or off in the database."""

from __future__ import annotations

import psycopg
import pytest

from schemadiff.apply import ApplyOptions, GuardError, Runner, StepView
from schemadiff.introspect.connect import connect

from .conftest import run_cli, write_spec
from .test_guard_attacks import CANARY, snapshot

T = "transactional"
EVIL = """
CREATE FUNCTION public.evil_eq(integer, integer) RETURNS boolean LANGUAGE sql VOLATILE
  AS 'DELETE FROM public.canary; SELECT $1 = $2';
CREATE OPERATOR public.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.evil_eq);
CREATE TABLE public.t (a integer);
INSERT INTO public.t VALUES (1), (2);
"""
QUERIES = {
    "a SubLink's operator (ALL)": "SELECT t.a FROM public.t t WHERE t.a OPERATOR(public.=) ALL (SELECT 1)",
    "a SubLink's operator (ANY)": "SELECT t.a FROM public.t t WHERE t.a OPERATOR(public.=) ANY (SELECT 1)",
    "ORDER BY … USING": "SELECT t.a FROM public.t t ORDER BY t.a USING OPERATOR(public.<)",
    "an aggregate's ORDER BY … USING":
        "SELECT pg_catalog.array_agg(t.a ORDER BY t.a USING OPERATOR(public.<)) AS a FROM public.t t",
    "a window's ORDER BY … USING":
        "SELECT pg_catalog.row_number() OVER (ORDER BY t.a USING OPERATOR(public.<)) AS n FROM public.t t",
}


@pytest.fixture(params=["on", "off"])
def hostile(request, pg, db):
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute(EVIL)
        conn.execute(f"ALTER DATABASE {db} SET standard_conforming_strings = {request.param}")
    return dsn


@pytest.mark.parametrize("name", list(QUERIES))
def test_the_guard_refuses_an_operator_outside_pg_catalog_in_a_view(name, hostile):
    before = snapshot(hostile)
    with connect(hostile) as conn:
        runner = Runner(conn, ApplyOptions(progress_interval=0), lambda text: None, hostile)
        with pytest.raises(GuardError) as info:
            runner.run([StepView(T, f"CREATE VIEW public.v AS {QUERIES[name]}", "view")])
    assert "operator public." in str(info.value.problems[0]), info.value.problems[0]
    assert snapshot(hostile) == before


def test_the_guard_refuses_it_in_a_policy(hostile):
    before = snapshot(hostile)
    with connect(hostile) as conn:
        runner = Runner(conn, ApplyOptions(progress_interval=0), lambda text: None, hostile)
        with pytest.raises(GuardError) as info:
            runner.run([StepView(T, "CREATE TABLE public.n (a integer)", "table"),
                        StepView(T, "CREATE POLICY p ON public.n USING (a OPERATOR(public.=) ANY "
                                    "(SELECT t.a FROM public.t t))", "policy")])
    assert [p.index for p in info.value.problems] == [1]
    assert snapshot(hostile) == before


@pytest.mark.parametrize("name", list(QUERIES))
def test_the_loader_refuses_it_naming_the_file(name, tmp_path):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\n",
                                          "tables/t.yaml": "table: t\ncolumns:\n  a: integer\n",
                                          "views/v.yaml": f"view: v\nquery: {QUERIES[name]}\n"})
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    assert "views/v.yaml" in result.err and "operator public." in result.err, result.err
