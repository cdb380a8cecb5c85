"""Row level security enabled between plan and apply (brief Z item 1): the view SD704
or SD705 would have refused is refused inside the transaction that creates it
(rlsrace.py), rolled back, and never visible; canary rows survive. The steps are the
plan's own, made before RLS was on (a stale plan), and one case enables RLS from
another session while apply's transaction is open, after the CREATE ran."""

from __future__ import annotations

import psycopg
import pytest

import schemadiff.rlsrace as rr
from schemadiff.apply import ApplyOptions, LateGuardError, Runner, StepView
from schemadiff.introspect.connect import connect
from schemadiff.planning import plan_with_connection
from schemadiff.spec.load import load_spec

from .conftest import write_spec

ODD = 'we"ird; DROP TABLE public.canary; --'

TABLE = "table: care\ncolumns:\n  id: {type: integer, primary_key: true}\n  owner_name: text\n"
# A view in the database the new one reads through, with a hostile name.
MIDDLE = f'CREATE VIEW public."{ODD.replace(chr(34), chr(34) * 2)}" AS SELECT c.id, c.owner_name FROM public.care c'


def _steps(dsn: str, spec) -> list[StepView]:
    with connect(dsn) as conn:
        plan = plan_with_connection(load_spec(str(spec)).schema, conn).plan
    return [StepView(s.phase, s.sql, s.change.describe()) for s in plan.steps]


@pytest.fixture
def care(pg, db):
    if pg.version < 150000:
        pytest.skip("security_invoker views need PostgreSQL 15")
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("CREATE TABLE public.care (id integer PRIMARY KEY, owner_name text)")
        conn.execute("CREATE POLICY own ON public.care USING (owner_name = current_user)")
        conn.execute("INSERT INTO public.care VALUES (1, 'a'), (2, 'b')")
        conn.execute("CREATE TABLE public.canary (id integer)")
        conn.execute("INSERT INTO public.canary VALUES (1), (2), (3)")
        conn.execute(MIDDLE)
    return pg.dsn(db)


def _spec(root, view_yaml: str, kind: str = "views"):
    return write_spec(root, {"schemadiff.yaml": "version: 1\n", "tables/care.yaml": TABLE,
                             "views/middle.yaml": f"view: '{ODD}'\nquery: SELECT c.id, c.owner_name FROM public.care c\n",
                             f"{kind}/new.yaml": view_yaml})


VIEW_DIRECT = "view: all_care\nquery: SELECT c.id FROM public.care c\n"
VIEW_CHAIN = f"view: all_care\nquery: 'SELECT m.id FROM public.\"{ODD.replace(chr(34), chr(34) * 2)}\" m'\n"
MATVIEW_CHAIN = f"view: all_care\nmaterialized: true\nquery: 'SELECT m.id FROM public.\"{ODD.replace(chr(34), chr(34) * 2)}\" m'\n"


def _absent_and_canary(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('public.all_care')").fetchone()[0] is None
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 3
        assert conn.execute("SELECT relrowsecurity FROM pg_class WHERE oid = 'public.care'::regclass").fetchone()[0]


@pytest.mark.parametrize("scs", ["on", "off"])
@pytest.mark.parametrize("view,kind", [(VIEW_DIRECT, "views"), (VIEW_CHAIN, "views"),
                                        (MATVIEW_CHAIN, "views")])
def test_rls_enabled_after_the_plan_refuses_the_view_inside_its_transaction(care, tmp_path, view, kind, scs):
    with psycopg.connect(care, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {conn.info.dbname} SET standard_conforming_strings = {scs}")
    steps = _steps(care, _spec(tmp_path, view, kind))
    assert any("all_care" in s.sql for s in steps), steps
    with psycopg.connect(care, autocommit=True) as conn:
        conn.execute("ALTER TABLE public.care ENABLE ROW LEVEL SECURITY")
    with connect(care) as conn:
        with pytest.raises(LateGuardError) as exc:
            Runner(conn, ApplyOptions(retries=0, progress_interval=0), lambda text: None, care).run(steps)
    assert "public.care" in str(exc.value) and "row level security" in str(exc.value)
    _absent_and_canary(care)


def test_rls_enabled_by_another_session_while_apply_runs(care, tmp_path):
    """The new view reads care only through the middle view: its CREATE locks the middle
    view, not care. RLS is enabled and committed after the CREATE ran, before commit."""
    steps = _steps(care, _spec(tmp_path, VIEW_CHAIN))
    at = next(n for n, s in enumerate(steps, 1) if "all_care" in s.sql)
    enabled = []

    def enable(done, where):
        if "inside phase" in where and done == at:
            enabled.append(where)
            with psycopg.connect(care, autocommit=True) as other:
                other.execute("SET lock_timeout = '5s'")
                other.execute("ALTER TABLE public.care ENABLE ROW LEVEL SECURITY")

    with connect(care) as conn:
        with pytest.raises(LateGuardError):
            Runner(conn, ApplyOptions(retries=0, progress_interval=0), lambda text: None, care,
                   on_boundary=enable).run(steps)
    assert len(enabled) == 1
    _absent_and_canary(care)


def test_once_checked_rls_cannot_be_enabled_before_commit(care, tmp_path):
    """After the check, apply holds ACCESS SHARE on care until commit: another session's
    ENABLE ROW LEVEL SECURITY waits (here: times out), so the window is closed."""
    steps = _steps(care, _spec(tmp_path, VIEW_CHAIN))
    blocked = []
    # A probe right after the check, inside apply's transaction, from another session.
    real = rr.check

    def check_then_probe(conn, statements):
        out = real(conn, statements)
        with psycopg.connect(care, autocommit=True) as other:
            other.execute("SET lock_timeout = '300ms'")
            try:
                other.execute("ALTER TABLE public.care ENABLE ROW LEVEL SECURITY")
            except psycopg.errors.LockNotAvailable:
                blocked.append(True)
        return out

    rr.check = check_then_probe
    try:
        with connect(care) as conn:
            Runner(conn, ApplyOptions(retries=0, progress_interval=0), lambda text: None, care).run(steps)
    finally:
        rr.check = real
    assert blocked == [True]
    with psycopg.connect(care, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('public.all_care')").fetchone()[0] is not None
        assert not conn.execute("SELECT relrowsecurity FROM pg_class WHERE oid = 'public.care'::regclass").fetchone()[0]


@pytest.mark.parametrize("view", [VIEW_CHAIN, "view: all_care\nsecurity_invoker: true\n"
                                  "query: SELECT c.id FROM public.care c\n"])
def test_views_that_stay_safe_are_created(care, tmp_path, view):
    steps = _steps(care, _spec(tmp_path, view))
    if "security_invoker" in view:
        with psycopg.connect(care, autocommit=True) as conn:
            conn.execute("ALTER TABLE public.care ENABLE ROW LEVEL SECURITY")
    with connect(care) as conn:
        Runner(conn, ApplyOptions(retries=0, progress_interval=0), lambda text: None, care).run(steps)
    with psycopg.connect(care, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('public.all_care')").fetchone()[0] is not None
