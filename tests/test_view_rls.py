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
