"""A view reads its tables with its owner's rights unless it is ``security_invoker``
(PostgreSQL 15+): over a table with row level security, a new view without it would
show every reader every row (review F6). SD704 refuses it at plan and check; with
``security_invoker: true`` the table's policies apply to each reader, on the server."""

from __future__ import annotations

import psycopg
import pytest

from .conftest import run_cli, write_spec

TABLE = """\
table: care
columns:
  id: {type: integer, primary_key: true}
  owner_name: text
rls:
  enabled: true
  policies:
    own: {using: "owner_name = current_user"}
"""


def _spec(root, invoker: bool | None):
    view = "view: all_care\nquery: SELECT c.id, c.owner_name FROM public.care c\n"
    if invoker is not None:
        view += f"security_invoker: {'true' if invoker else 'false'}\n"
    return write_spec(root, {"schemadiff.yaml": "version: 1\n", "tables/care.yaml": TABLE,
                             "views/all_care.yaml": view})


@pytest.fixture
def care(pg, db):
    if pg.version < 150000:
        pytest.skip("security_invoker views need PostgreSQL 15")
    role = f"sd_reader_{db}"[:63]
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("CREATE TABLE public.care (id integer PRIMARY KEY, owner_name text)")
        conn.execute("ALTER TABLE public.care ENABLE ROW LEVEL SECURITY")
        conn.execute("CREATE POLICY own ON public.care USING (owner_name = current_user)")
        conn.execute(f"INSERT INTO public.care VALUES (1, '{role}'), (2, 'somebody else')")
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        conn.execute(f'CREATE ROLE "{role}"')
        conn.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"; GRANT SELECT ON public.care TO "{role}"')
    yield role
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')


@pytest.mark.parametrize("invoker", [None, False])
def test_a_view_that_would_bypass_rls_is_refused_and_not_created(pg, db, tmp_path, care, invoker):
    spec = _spec(tmp_path / "spec", invoker)
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 3 and "SD704" in plan.out and "security_invoker: true" in plan.out, plan
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 3, applied
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('public.all_care')").fetchone()[0] is None
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": "version: 1\n", "tables/care.yaml": TABLE})
    check = run_cli("check", str(spec), "--base", str(base))
    assert check.code == 3 and "SD704" in check.out, check


def test_the_safe_path_keeps_the_policies_for_each_reader(pg, db, tmp_path, care):
    spec = _spec(tmp_path / "spec", True)
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(f'GRANT SELECT ON public.all_care TO "{care}"')
        conn.execute(f'SET ROLE "{care}"')
        assert conn.execute("SELECT id FROM public.all_care ORDER BY id").fetchall() == [(1,)]
        conn.execute("RESET ROLE")
        # What SD704 prevents: the same view without security_invoker shows the reader every row.
        conn.execute("CREATE VIEW public.bypass AS SELECT c.id FROM public.care c")
        conn.execute(f'GRANT SELECT ON public.bypass TO "{care}"')
        conn.execute(f'SET ROLE "{care}"')
        assert conn.execute("SELECT id FROM public.bypass ORDER BY id").fetchall() == [(1,), (2,)]


# A view over another view. Observed on PostgreSQL 15.18 and 18.6 (reader granted only the outer
# view; table and views owned by one non-superuser role): the outer view v2 (no security_invoker)
# over a view v1 without security_invoker over the table shows the reader every row; v2 over a
# security_invoker v1 checks the table as the reader (permission denied without a grant on the
# table, the policies with one): a security_invoker view always reads as the current user, even
# inside another view. So SD704 follows the views without security_invoker, and stops at one with it.

def _chain_spec(root, v1_invoker: bool):
    v1 = "view: v1\nquery: SELECT c.id, c.owner_name FROM public.care c\n"
    if v1_invoker:
        v1 += "security_invoker: true\n"
    return write_spec(root, {"schemadiff.yaml": "version: 1\n", "tables/care.yaml": TABLE,
                             "views/v1.yaml": v1,
                             "views/v2.yaml": "view: v2\nquery: SELECT v.id FROM public.v1 v\n"})


def _v1_in_database(pg, db, invoker: bool):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        option = " WITH (security_invoker = true)" if invoker else ""
        conn.execute(f"CREATE VIEW public.v1{option} AS SELECT c.id, c.owner_name FROM public.care c")


def test_a_view_over_a_view_that_bypasses_rls_is_refused(pg, db, tmp_path, care):
    _v1_in_database(pg, db, invoker=False)
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        # What SD704 prevents: through v2 -> v1 -> care the reader sees every row; the table shows one.
        conn.execute("CREATE VIEW public.shown AS SELECT v.id FROM public.v1 v")
        conn.execute(f'GRANT SELECT ON public.shown TO "{care}"')
        conn.execute(f'SET ROLE "{care}"')
        assert conn.execute("SELECT id FROM public.care ORDER BY id").fetchall() == [(1,)]
        assert conn.execute("SELECT id FROM public.shown ORDER BY id").fetchall() == [(1,), (2,)]
        conn.execute("RESET ROLE")
        conn.execute("DROP VIEW public.shown")
    spec = _chain_spec(tmp_path / "spec", v1_invoker=False)
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 3 and "SD704" in plan.out and "public.v2 -> public.v1 -> public.care" in plan.out, plan
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 3, applied
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('public.v2')").fetchone()[0] is None
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": "version: 1\n", "tables/care.yaml": TABLE})
    check = run_cli("check", str(spec), "--base", str(base))
    assert check.code == 3 and "public.v2 -> public.v1 -> public.care" in check.out, check


def test_a_view_over_a_security_invoker_view_keeps_the_policies(pg, db, tmp_path, care):
    _v1_in_database(pg, db, invoker=True)
    spec = _chain_spec(tmp_path / "spec", v1_invoker=True)
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 0 and "SD704" not in plan.out, plan
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(f'GRANT SELECT ON public.v2 TO "{care}"')
        conn.execute(f'SET ROLE "{care}"')
        assert conn.execute("SELECT id FROM public.v2 ORDER BY id").fetchall() == [(1,)]
        conn.execute("RESET ROLE")
        conn.execute(f'REVOKE SELECT ON public.care FROM "{care}"')
        conn.execute(f'SET ROLE "{care}"')
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT id FROM public.v2")


def test_the_path_is_followed_through_views_and_stops_at_a_cycle():
    from types import SimpleNamespace

    from schemadiff.model import QualifiedName, View
    from schemadiff.rules.sd704_view_bypasses_rls import rls_tables_read

    care = SimpleNamespace(qualified=QualifiedName("public", "care"), rls_enabled=True)
    plain = SimpleNamespace(qualified=QualifiedName("public", "plain"), rls_enabled=False)
    v1 = View("public", "v1", "SELECT c.id FROM public.care c JOIN public.v2 w USING (id)")  # v1 <-> v2
    v2 = View("public", "v2", "SELECT v.id FROM public.v1 v")
    inv = View("public", "inv", "SELECT c.id FROM public.care c", security_invoker=True)
    v3 = View("public", "v3", "SELECT a.id FROM public.v2 a, public.inv b, public.plain p")
    ctx = SimpleNamespace(desired=SimpleNamespace(tables=(care, plain), views=(v2, inv, v3)),
                          current=SimpleNamespace(tables=(), views=(v1,)))
    assert rls_tables_read(v3, ctx) == ["public.v3 -> public.v2 -> public.v1 -> public.care"]
    assert rls_tables_read(v1, ctx) == ["public.care"]
    assert rls_tables_read(inv, ctx) == []
    assert rls_tables_read(View("public", "v4", "SELECT b.id FROM public.inv b"), ctx) == []
