"""``plan`` reads the catalog while the spec loads (``introspect.prefetch``).

The read made early is the one the plan would have made after the load (same
query, same schema list), or it is not used: a database with a schema the spec
does not manage is read again, for exactly the spec's schemas. Nothing the early
read meets (an unreachable database, a spec that does not load) changes what the
user sees, and no connection is left behind.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg

import schemadiff.planning as planning
from schemadiff.introspect import read as introspect_read

from .conftest import run_cli, write_spec

SPEC = {
    "schemadiff.yaml": "version: 1\n",
    "tables/item.yaml": "table: item\ncolumns:\n  id: {type: bigint, primary_key: true}\n  name: text\n",
}


def _reads(monkeypatch) -> list[tuple[bool, list[str]]]:
    """Every catalog read of the run, in order: (made by the main thread, its schema list).
    The read itself runs."""
    seen: list[tuple[bool, list[str]]] = []
    real = introspect_read.introspect

    def counted(conn, schemas, *args, **kwargs):
        seen.append((threading.current_thread() is threading.main_thread(), list(schemas)))
        return real(conn, schemas, *args, **kwargs)

    monkeypatch.setattr(introspect_read, "introspect", counted)
    monkeypatch.setattr(planning, "introspect", counted)
    import schemadiff.introspect.prefetch as prefetch

    monkeypatch.setattr(prefetch, "introspect", counted)
    return seen


def _sessions(pg, db) -> int:
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                            "pg_backend_pid()", (db,)).fetchone()[0]


def _settled(pg, db, want: int) -> int:
    for _ in range(100):
        n = _sessions(pg, db)
        if n == want:
            return n
        time.sleep(0.05)
    return n


def test_the_early_read_is_used_when_it_is_the_spec_schemas(pg, db, tmp_path: Path, monkeypatch):
    spec = write_spec(tmp_path / "spec", SPEC)
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    seen = _reads(monkeypatch)
    r = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert r.code == 0 and "No changes" in r.out, r
    assert seen == [(False, ["public"])]  # one read, made while the spec loaded
    assert _settled(pg, db, 0) == 0


def test_a_wrong_guess_means_a_second_exact_read(pg, db, tmp_path: Path, monkeypatch):
    spec = write_spec(tmp_path / "spec", SPEC)
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    # Not managed by the spec: a table in it must not appear in the plan (as drift or anything).
    assert pg.run_psql(db, sql="CREATE SCHEMA other; CREATE TABLE other.canary (id int); "
                               "INSERT INTO other.canary VALUES (1), (2);").returncode == 0
    seen = _reads(monkeypatch)
    r = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert r.code == 0 and "No changes" in r.out and "canary" not in r.out + r.err, r
    assert seen == [(False, ["public"])]  # "other" is named in no spec file: not guessed
    # Named in a comment only: guessed, wrongly; the catalog is read again for the spec's schemas.
    (spec / "tables" / "item.yaml").write_text(SPEC["tables/item.yaml"] + "# other\n", encoding="utf-8")
    seen.clear()
    r = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert r.code == 0 and "No changes" in r.out and "canary" not in r.out + r.err, r
    assert seen == [(False, ["other", "public"]), (True, ["public"])]
    # And a spec that manages it uses the early read: the table there is planned against.
    managed = write_spec(tmp_path / "managed", {
        **SPEC, "tables/canary.yaml": "table: canary\nschema: other\ncolumns:\n  id: integer\n  note: text\n"})
    seen.clear()
    r = run_cli("plan", str(managed), "--db", pg.dsn(db))
    assert r.code == 0 and "add column note" in r.out.replace('"', ""), r
    assert seen == [(False, ["other", "public"])]
    with psycopg.connect(pg.dsn(db)) as conn:
        assert conn.execute("SELECT count(*) FROM other.canary").fetchone()[0] == 2


def test_a_spec_that_does_not_load_is_reported_and_the_connection_closed(pg, db, tmp_path: Path):
    spec = write_spec(tmp_path / "spec", {**SPEC, "tables/bad.yaml": "table: bad\ncolumns:\n  id: {type: nosuchtype\n"})
    r = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert r.code == 1 and "bad.yaml" in r.err, r
    assert _settled(pg, db, 0) == 0  # the early read's session is gone


def test_an_unreachable_database_and_a_broken_spec_report_the_spec(tmp_path: Path):
    spec = write_spec(tmp_path / "spec", {**SPEC, "tables/bad.yaml": "table: bad\ncolumns: [\n"})
    started = time.monotonic()
    r = run_cli("plan", str(spec), "--db", "host=10.255.255.1 port=5432 connect_timeout=8 password=PrefetchSecret9")
    assert r.code == 1 and "bad.yaml" in r.err and "cannot connect" not in r.err, r
    assert "PrefetchSecret9" not in r.out + r.err
    assert time.monotonic() - started < 4  # never waits for the connection it will not use


def test_an_unreachable_database_is_reported_as_before(tmp_path: Path):
    spec = write_spec(tmp_path / "spec", SPEC)
    r = run_cli("plan", str(spec), "--db", "host=127.0.0.1 port=1 connect_timeout=2 password=PrefetchSecret10")
    assert r.code == 1 and "cannot connect to" in r.err and "password=***" in r.err, r
    assert "PrefetchSecret10" not in r.out + r.err


def test_a_fifo_in_the_spec_never_blocks_the_early_read(pg, db, tmp_path: Path):
    import os

    spec = write_spec(tmp_path / "spec", SPEC)
    os.mkfifo(spec / "tables" / "pipe.yaml")
    started = time.monotonic()
    r = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert r.code == 1 and "pipe.yaml is not a regular file" in r.err, r
    assert time.monotonic() - started < 10
    assert _settled(pg, db, 0) == 0
