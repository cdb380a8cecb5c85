"""A new index on an existing materialized view, end to end on a real server: built
CONCURRENTLY in the concurrent phase (SD107), a second plan empty (predicate and
expression indexes included), a hostile index name, rows that survive with
standard_conforming_strings on and off, a unique index over duplicate rows left
INVALID and rebuilt through SD111, and a changed or removed index refused or drift."""

from __future__ import annotations

import psycopg
import psycopg.sql
import pytest

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"
TABLE = """\
table: orders
columns:
  id: {type: integer, primary_key: true}
  customer: {type: text, nullable: false}
  total: {type: numeric, nullable: false}
"""
VIEW = """\
view: per_order
materialized: true
query: SELECT o.customer, o.total FROM public.orders o
indexes:
  per_order_customer: {columns: [customer]}
"""
HOSTILE = 'x"; DROP TABLE public.orders; --'
NEW_INDEXES = f"""\
  per_order_big: {{columns: [total], where: total > 100}}
  per_order_lower: {{columns: [{{expression: lower(customer)}}]}}
  '{HOSTILE.replace("'", "''")}': {{columns: [total]}}
"""


def _rows(pg, db, sql, *args):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        return conn.execute(sql, args).fetchall()


def _setup(pg, db, tmp_path, scs):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/orders.yaml": TABLE,
                                          "views/per_order.yaml": VIEW})
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        dbname = conn.info.dbname
        conn.execute(psycopg.sql.SQL("ALTER DATABASE {} SET standard_conforming_strings = " + scs).format(
            psycopg.sql.Identifier(dbname)))
        conn.execute("INSERT INTO public.orders SELECT g, 'C' || (g % 7), g * 10 FROM generate_series(1, 50) g")
        conn.execute("REFRESH MATERIALIZED VIEW public.per_order")
    return spec


@pytest.mark.parametrize("scs", ["on", "off"])
def test_a_new_index_is_built_concurrently_and_the_second_plan_is_empty(pg, db, tmp_path, scs):
    _setup(pg, db, tmp_path, scs)
    spec = write_spec(tmp_path / "new", {"schemadiff.yaml": ROOT, "tables/orders.yaml": TABLE,
                                         "views/per_order.yaml": VIEW + NEW_INDEXES})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "sql")
    assert plan.code == 0, plan
    assert "SD415" not in plan.out
    assert plan.out.count("CREATE INDEX CONCURRENTLY") == 3, plan.out
    text = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert text.out.count("[SD107 add-index]") == 3 and "SHARE UPDATE EXCLUSIVE" in text.out, text.out
    assert "materialized view public.per_order: add index per_order_big" in text.out, text.out
    assert "table public.per_order" not in text.out, text.out
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    assert _rows(pg, db, "SELECT count(*) FROM public.orders") == [(50,)]  # the canary's rows survive
    assert _rows(pg, db, "SELECT count(*) FROM public.per_order") == [(50,)]
    names = {r[0] for r in _rows(pg, db, "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                         "WHERE i.indrelid = 'public.per_order'::regclass AND i.indisvalid")}
    assert names == {"per_order_customer", "per_order_big", "per_order_lower", HOSTILE}
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again


def test_a_changed_index_is_refused_sd404_and_a_removed_one_is_drift(pg, db, tmp_path):
    _setup(pg, db, tmp_path, "on")
    changed = write_spec(tmp_path / "changed", {"schemadiff.yaml": ROOT, "tables/orders.yaml": TABLE,
                                                "views/per_order.yaml": VIEW.replace("[customer]", "[total]")})
    result = run_cli("plan", str(changed), "--db", pg.dsn(db))
    assert result.code == 3 and "SD404" in result.out and "per_order_customer" in result.out, result
    assert "SD415" not in result.out
    removed = write_spec(tmp_path / "removed", {"schemadiff.yaml": ROOT, "tables/orders.yaml": TABLE,
                                                "views/per_order.yaml": VIEW.split("indexes:")[0]})
    drift = run_cli("plan", str(removed), "--db", pg.dsn(db), "--detailed-exitcode")
    assert drift.code == 0 and "SD404" in drift.out and "kept" in drift.out, drift


def test_a_unique_index_over_duplicate_rows_fails_invalid_and_is_rebuilt_sd111(pg, db, tmp_path):
    _setup(pg, db, tmp_path, "on")
    unique = write_spec(tmp_path / "unique", {"schemadiff.yaml": ROOT, "tables/orders.yaml": TABLE,
                                              "views/per_order.yaml": VIEW + "  per_order_one: {columns: [customer], "
                                                                             "unique: true}\n"})
    plan = run_cli("plan", str(unique), "--db", pg.dsn(db))
    assert plan.code == 0 and "[SD107 add-index]" in plan.out and "SD505" not in plan.out, plan
    document = run_cli("plan", str(unique), "--db", pg.dsn(db), "--format", "json")
    assert "a unique index fails on duplicate rows, leaving it INVALID (SD111)" in document.out, document
    failed = run_cli("apply", str(unique), "--db", pg.dsn(db), "--yes")
    assert failed.code != 0, failed
    report = failed.out + failed.err
    assert "add unique index per_order_one" in report and "could not create unique index" in report, failed
    assert "dropped the INVALID index per_order_one the failed build left" in report, failed
    assert _rows(pg, db, "SELECT count(*) FROM pg_class WHERE relname = 'per_order_one'") == [(0,)]
    assert _rows(pg, db, "SELECT count(*) FROM public.orders") == [(50,)]
    # a build that died without apply's clean-up (a killed session) leaves the index INVALID: SD111 rebuilds it
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("CREATE UNIQUE INDEX CONCURRENTLY per_order_one ON public.per_order (customer)")
    assert _rows(pg, db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.per_order_one'::regclass") \
        == [(False,)]
    rebuild = run_cli("plan", str(unique), "--db", pg.dsn(db))
    assert rebuild.code == 0 and "SD111" in rebuild.out, rebuild
    assert "materialized view public.per_order: rebuild invalid index per_order_one" in rebuild.out, rebuild
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("UPDATE public.orders SET customer = customer || id")
        conn.execute("REFRESH MATERIALIZED VIEW public.per_order")
    assert run_cli("apply", str(unique), "--db", pg.dsn(db), "--yes").code == 0
    assert _rows(pg, db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.per_order_one'::regclass") \
        == [(True,)]
    assert run_cli("plan", str(unique), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


def test_migration_files_validate_and_roll_back_the_new_index(pg, db, tmp_path):
    from schemadiff.introspect.connect import connect
    from schemadiff.planning import plan_with_connection
    from schemadiff.spec import load_spec

    from .test_migration_files import roundtrip

    _setup(pg, db, tmp_path, "on")
    desired = load_spec(write_spec(tmp_path / "new", {"schemadiff.yaml": ROOT, "tables/orders.yaml": TABLE,
                                                      "views/per_order.yaml": VIEW + NEW_INDEXES})).schema
    with connect(pg.dsn(db)) as conn:
        plan = plan_with_connection(desired, conn).plan
    w = roundtrip(pg, db, plan, desired, tmp_path / "migrations")
    assert w.migration.read_text().count("CREATE INDEX CONCURRENTLY") == 3
    rollback = w.rollback.read_text()
    assert "DROP INDEX CONCURRENTLY IF EXISTS public.per_order_big" in rollback
    assert "DROP MATERIALIZED VIEW" not in rollback
    assert "per_order_lower" in w.validation.read_text()
    assert _rows(pg, db, "SELECT count(*) FROM public.per_order") == [(50,)]


def test_the_guard_takes_a_concurrent_index_on_an_existing_matview_only_in_that_shape():
    from schemadiff.compile.changes import CONCURRENT
    from schemadiff.guard import Catalog, check_statements

    good = 'CREATE INDEX CONCURRENTLY "x""; DROP" ON public.per_order (total) WHERE (total > (100)::numeric)'
    assert check_statements([good], Catalog(), phase=CONCURRENT) == []
    plain = check_statements(["CREATE INDEX i ON public.per_order (total)"], Catalog())
    assert plain and "CONCURRENTLY" in plain[0].reason
    outside = check_statements(["CREATE INDEX CONCURRENTLY i ON public.per_order (total)"], Catalog())
    assert outside and "concurrent phase" in outside[0].reason
    both = check_statements(["CREATE INDEX CONCURRENTLY i ON public.per_order (total); DROP TABLE public.orders"],
                            Catalog(), phase=CONCURRENT)
    assert both
