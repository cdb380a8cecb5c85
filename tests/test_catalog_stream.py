"""The catalog read is streamed and read ahead (``introspect.readahead``), on a real server.

- The model is built from each query's rows a chunk at a time: at most one chunk
  of rows is alive, never a whole query's (memory at 10,000 tables).
- The next query is already running on the server while the rows of the one
  before are turned into the model (the server's time and the client's overlap).
- An error in the middle of the read (a statement timeout, a dropped
  connection, a failure while the rows are assembled) gives the same clear
  error as before, with the DSN's password redacted, and leaves no transaction,
  no query and no thread behind.

To stop the read in the middle, ``policies.sql`` (after the tables, columns,
constraints and indexes) is made to wait, row by row, for an advisory lock that
another session holds (a transaction-scoped one: the read's rollback frees it).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import namedtuple_row

from schemadiff.introspect import read

from .conftest import ROOT, run_cli, write_spec
from .test_catalog_read_same import _hostile_sql, _psql

SPEC = {"schemadiff.yaml": "version: 1\n",
        "tables/t.yaml": "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n"}


def _synthetic(pg, db, n: int = 30) -> None:
    sql = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "synth.py"), str(n)], capture_output=True,
                         text=True, check=True).stdout
    _psql(pg, db, sql)


def _reader_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("schemadiff-catalog-query")]


class _Counted:
    """A row as an object that counts how many rows are alive."""

    alive = 0
    most = 0

    def __init__(self, values: dict):
        self.__dict__.update(values)
        type(self).alive += 1
        type(self).most = max(type(self).most, type(self).alive)

    def __del__(self):
        type(self).alive -= 1


def _counted_rows(cursor):
    names = [c.name for c in cursor.description]
    return lambda values: _Counted(dict(zip(names, values)))


@pytest.mark.parametrize("chunk", [1, 7, 50])
def test_rows_are_turned_into_the_model_a_chunk_at_a_time(pg, db, monkeypatch, chunk):
    _synthetic(pg, db)
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        whole = read.introspect(conn, ["public"])
        monkeypatch.setattr(read, "compact_row", _counted_rows)
        monkeypatch.setattr(read, "CHUNK_ROWS", chunk)
        _Counted.alive = _Counted.most = 0
        streamed = read.introspect(conn, ["public"])
    assert streamed == whole  # the same model, notes, names and query count
    assert sum(len(t.columns) for t in whole.schema.tables) > 4 * 50  # many rows went through
    assert _Counted.alive == 0
    assert 1 <= _Counted.most <= chunk + 1, _Counted.most  # one chunk, and the row in hand of the one before


_GATE = 4242


def _gated(monkeypatch) -> None:
    """policies.sql, each of its rows waiting for the advisory lock ``_GATE``."""
    real = read.load_query

    def load(name: str) -> str:
        text = real(name)
        if name != "policies":
            return text
        return (f"SELECT q.* FROM ({text.rstrip().rstrip(';')}) q "
                f"WHERE pg_catalog.pg_advisory_xact_lock_shared({_GATE}) IS NOT NULL")

    monkeypatch.setattr(read, "load_query", load)


def _lock_policies(pg, db, monkeypatch) -> psycopg.Connection:
    _gated(monkeypatch)
    locker = psycopg.connect(pg.dsn(db), autocommit=True)
    locker.execute("SELECT pg_advisory_lock(%s)", (_GATE,))
    return locker


def _waiting_on_policies(watch: psycopg.Connection, db: str) -> list[int]:
    """Sessions of ``db`` waiting for the gate of policies.sql."""
    return [r[0] for r in watch.execute(
        "SELECT l.pid FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a USING (pid) "
        "WHERE NOT l.granted AND l.locktype = 'advisory' AND l.objid = %s AND a.datname = %s",
        (_GATE, db)).fetchall()]


def _until(check, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    return check()


def test_the_next_query_runs_while_the_rows_before_it_are_read(pg, db, monkeypatch):
    """While the first rows of indexes.sql are turned into the model, policies.sql is
    already on the server (here: waiting for the lock on pg_policy)."""
    _synthetic(pg, db, 5)
    locker = _lock_policies(pg, db, monkeypatch)
    seen: list[list[int]] = []

    def watching(cursor):
        make = namedtuple_row(cursor)
        names = [c.name for c in cursor.description]

        def row(values):
            if "is_unique" in names and not seen:  # the first row of indexes.sql
                with psycopg.connect(pg.dsn(db), autocommit=True) as watch:
                    seen.append(_until(lambda: _waiting_on_policies(watch, db), 5.0))
                locker.execute("SELECT pg_advisory_unlock(%s)", (_GATE,))  # and let it run
            return make(values)
        return row

    monkeypatch.setattr(read, "compact_row", watching)
    try:
        with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
            conn.execute("SET statement_timeout = '20s'")
            got = read.introspect(conn, ["public"])
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    finally:
        locker.close()
    assert seen and seen[0], "policies.sql was not sent before the rows of indexes.sql were read"
    assert len(got.schema.tables) == 5 and all(t.policies for t in got.schema.tables)
    assert _reader_threads() == []


def test_a_failure_while_the_rows_are_read_cancels_the_query_in_flight(pg, db, monkeypatch):
    _synthetic(pg, db, 5)
    locker = _lock_policies(pg, db, monkeypatch)

    def failing(cursor):
        make = namedtuple_row(cursor)
        names = [c.name for c in cursor.description]

        def row(values):
            if "is_unique" in names:
                with psycopg.connect(pg.dsn(db), autocommit=True) as watch:
                    assert _until(lambda: _waiting_on_policies(watch, db), 5.0)
                raise RuntimeError("an assembly failure")
            return make(values)
        return row

    monkeypatch.setattr(read, "compact_row", failing)
    started = time.monotonic()
    try:
        with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
            conn.execute("SET statement_timeout = '60s'")
            with pytest.raises(RuntimeError, match="an assembly failure"):
                read.introspect(conn, ["public"])
            # cancelled, not waited for: the lock is still held
            assert time.monotonic() - started < 30
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            assert conn.execute("SELECT 1").fetchone() == (1,)
            with psycopg.connect(pg.dsn(db), autocommit=True) as watch:
                assert _waiting_on_policies(watch, db) == []
    finally:
        locker.close()
    assert _reader_threads() == []


def test_a_statement_timeout_in_the_middle_of_the_read(pg, db, tmp_path: Path, monkeypatch):
    spec = write_spec(tmp_path / "spec", SPEC)
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    _synthetic(pg, db, 5)
    dsn = pg.dsn(db) + " password=StreamSecret1 options='-c statement_timeout=1500'"
    locker = _lock_policies(pg, db, monkeypatch)
    try:
        r = run_cli("plan", str(spec), "--db", dsn)
    finally:
        locker.close()
    assert r.code == 1, r
    assert "reading the catalogs was cancelled by the server's statement_timeout" in r.err, r
    assert "StreamSecret1" not in r.out + r.err and "Traceback" not in r.err
    assert _reader_threads() == []
    with psycopg.connect(pg.dsn(db), autocommit=True) as watch:
        assert _until(lambda: watch.execute("SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = %s "
                                            "AND pid <> pg_backend_pid()", (db,)).fetchone()[0])


def test_a_connection_dropped_in_the_middle_of_the_read(pg, db, tmp_path: Path, monkeypatch):
    spec = write_spec(tmp_path / "spec", SPEC)
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    _synthetic(pg, db, 5)
    dsn = pg.dsn(db) + " password=StreamSecret2"
    locker = _lock_policies(pg, db, monkeypatch)
    killed: list[bool] = []

    def kill():
        with psycopg.connect(pg.dsn(db), autocommit=True) as watch:
            pids = _until(lambda: _waiting_on_policies(watch, db), 20.0)
            killed.extend(watch.execute("SELECT pg_terminate_backend(%s)", (p,)).fetchone()[0] for p in pids)

    killer = threading.Thread(target=kill)
    killer.start()
    try:
        r = run_cli("plan", str(spec), "--db", dsn)
    finally:
        killer.join()
        locker.close()
    assert killed == [True]
    assert r.code == 1, r
    assert "the database failed while reading the catalogs" in r.err and "no plan" in r.err, r
    assert "StreamSecret2" not in r.out + r.err and "Traceback" not in r.err
    assert _reader_threads() == []


@pytest.mark.parametrize("standard_strings", ["on", "off"])
def test_hostile_catalog_streamed_in_small_chunks(pg, db, monkeypatch, standard_strings):
    """Names and comments with quotes, newlines, ``$$``, backslashes, control characters:
    read a row at a time, the same model as read a whole query at a time."""
    _psql(pg, db, f"SET standard_conforming_strings = {standard_strings};\n" + _hostile_sql())
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        schemas = read.user_schemas(conn)
        whole = read.introspect(conn, schemas, missing_ok=True)
        monkeypatch.setattr(read, "CHUNK_ROWS", 1)
        assert read.introspect(conn, schemas, missing_ok=True) == whole
    assert len(whole.schema.tables) > 10


def test_refused_shapes_streamed_report_the_same_problems(pg, db, monkeypatch):
    _psql(pg, db, """
        CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
        CREATE TABLE c (a int, b int, FOREIGN KEY (a, b) REFERENCES p MATCH FULL);
        CREATE TABLE d (a int, b int, FOREIGN KEY (a, b) REFERENCES p MATCH FULL);""")
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        with pytest.raises(read.IntrospectError) as whole:
            read.introspect(conn, ["public"])
        monkeypatch.setattr(read, "CHUNK_ROWS", 1)
        with pytest.raises(read.IntrospectError) as streamed:
            read.introspect(conn, ["public"])
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert streamed.value.problems == whole.value.problems and len(whole.value.problems) == 2
    assert _reader_threads() == []


def test_a_libpq_without_pipeline_mode_reads_the_same(pg, db, monkeypatch):
    """Groups of queries are pipelined where libpq can (14 and later); else sent one by one."""
    _synthetic(pg, db, 8)
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        piped = read.introspect(conn, ["public"])
        monkeypatch.setattr(psycopg.Pipeline, "is_supported", classmethod(lambda cls: False))
        entered: list[bool] = []
        real = psycopg.Connection.pipeline
        monkeypatch.setattr(psycopg.Connection, "pipeline", lambda self: entered.append(True) or real(self))
        assert read.introspect(conn, ["public"]) == piped
    assert entered == [] and len(piped.schema.tables) == 8


@pytest.mark.parametrize("api", ["cancel_safe", "cancel (psycopg 3.1)"])
def test_an_interrupt_while_waiting_for_a_query_cancels_it(pg, db, monkeypatch, api):
    """Ctrl-C while the caller waits for the query in flight (here: policies.sql, held by
    the gate): the query is cancelled, not waited for, and the read rolled back. With the
    psycopg 3.1 that pyproject.toml allows (no ``cancel_safe``) too."""
    from schemadiff.introspect import readahead

    if api != "cancel_safe":
        monkeypatch.delattr(psycopg.Connection, "cancel_safe")
    _synthetic(pg, db, 5)
    locker = _lock_policies(pg, db, monkeypatch)
    real_take = readahead._Reader.take
    policies = next(i for i, group in enumerate(read.QUERY_GROUPS) if "policies" in group)

    def interrupted(self, i):
        if i == policies:
            with psycopg.connect(pg.dsn(db), autocommit=True) as watch:
                assert _until(lambda: _waiting_on_policies(watch, db), 5.0)
            raise KeyboardInterrupt
        return real_take(self, i)

    monkeypatch.setattr(readahead._Reader, "take", interrupted)
    started = time.monotonic()
    try:
        with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
            conn.execute("SET statement_timeout = '20s'")
            with pytest.raises(KeyboardInterrupt):
                read.introspect(conn, ["public"])
            assert time.monotonic() - started < 15  # cancelled, not run out to its timeout
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        locker.close()
    assert _reader_threads() == []
