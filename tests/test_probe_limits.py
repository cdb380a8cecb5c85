"""Plan's server probes compute as little as they can, and never for long
(review F7): a CHECK is probed NOT VALID (not evaluated: ``1/0`` is no plan
error), and every probe runs under a transaction-local ``statement_timeout``; a
probe that outlives it is a plan error naming the expression, not a crash."""

from __future__ import annotations

import time

import psycopg
import pytest

from schemadiff.introspect import sandbox

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"
# About a tenth of a second of work for the server (a 30 MB string hashed).
HEAVY = "pg_catalog.length(pg_catalog.md5(pg_catalog.repeat('x', 30000000)))"


def test_a_check_is_not_evaluated_at_plan(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml":
                                         "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"
                                         "checks:\n  - {name: c1, expression: \"id > 1/0\"}\n"})
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 0, result
    assert "division by zero" not in result.err + result.out


def test_a_probe_past_the_timeout_is_a_plan_error_naming_the_expression(pg, db, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "STATEMENT_TIMEOUT_MS", 20)
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml":
                                         "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"
                                         f"indexes:\n  ix: {{columns: [id], where: \"id > {HEAVY}\"}}\n"})
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 1, result
    assert "t.yaml:5: error: the predicate of index ix:" in result.err, result.err
    assert "statement_timeout" in result.err and "Traceback" not in result.err, result.err


def test_the_timeout_is_local_to_the_probes(pg, db, tmp_path):
    """The session keeps its own statement_timeout after plan's probes."""
    from schemadiff.introspect.connect import connect
    from schemadiff.spec import load_spec
    from schemadiff.planning import plan_with_connection

    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml":
                                         "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"
                                         "  n: {type: integer, default: \"1 + 1\", check: \"n > 0\"}\n"})
    with connect(pg.dsn(db)) as conn:
        before = conn.execute("SHOW statement_timeout").fetchone()[0]
        inside = []
        real = sandbox.pin

        def spy(c):
            real(c)
            inside.append(c.execute("SHOW statement_timeout").fetchone()[0])
        sandbox.pin = spy
        try:
            plan_with_connection(load_spec(spec).schema, conn)
        finally:
            sandbox.pin = real
        assert inside and all(v == "5s" for v in inside), inside
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == before
