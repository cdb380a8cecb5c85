"""A sequence's persistence is a property the spec language does not hold: an
UNLOGGED sequence (PostgreSQL 15+), or a serial column's sequence that is not as
logged as its table, is listed by ``import`` by name, never dropped quietly; the
spec loads and plans to nothing against the database it came from."""

from __future__ import annotations

import psycopg

from schemadiff.spec import load_spec

from .conftest import run_cli

DDL = """
CREATE UNLOGGED TABLE cache (id serial, hits integer);
CREATE UNLOGGED SEQUENCE ticket;
CREATE SEQUENCE cache_hits_seq OWNED BY cache.hits;
CREATE UNLOGGED TABLE scratch (id serial);
ALTER SEQUENCE scratch_id_seq SET LOGGED;
CREATE TABLE account (id bigserial);
ALTER SEQUENCE account_id_seq SET UNLOGGED;
"""


def test_unlogged_sequences_are_listed_not_dropped(pg, db, tmp_path):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(DDL)
    out = tmp_path / "spec"
    imported = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert imported.code == 0, imported
    listed = [line.strip() for line in imported.err.splitlines() if line.startswith("  sequence ")]
    assert listed == ["sequence public.account_id_seq: UNLOGGED (its table is not)",
                      "sequence public.scratch_id_seq: LOGGED (its table is not)",
                      "sequence public.ticket: UNLOGGED"], imported.err
    # cache's own serial sequence is UNLOGGED like its table: exactly serial's, nothing to list
    assert "cache_id_seq" not in imported.err
    spec = load_spec(out).schema
    assert {s.name for s in spec.sequences} == {"ticket", "cache_hits_seq"}
    assert "{id: serial," in (out / "tables" / "cache.yaml").read_text(encoding="utf-8")
    again = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again
