"""The catalog queries, run one ahead of the client that reads their rows.

``each_result`` runs groups of queries one after another on one connection
(one transaction, one snapshot: the caller's), and hands over the rows of each
query, a chunk at a time. While the caller turns the rows of group *n* into the
model, group *n+1* already runs on the server: a helper thread sent it, and
waits for its result without holding the interpreter; one thread for the whole
read, which sends each group as soon as the memory bound allows. The server's time and
the client's overlap instead of adding up, and at most two groups' results are
in the client's memory (libpq's, not Python objects): the one being read and
the next. Of the query being read, only one chunk of rows exists as Python
objects at a time. The queries of a group are sent in one pipeline (one round
trip for several small queries: each round trip of a thread can wait for the
interpreter as long as ``sys.getswitchinterval()`` while another thread works).

Only the helper thread uses the connection while the rows are read (the rows of
a result are the cursor's, not the connection's). An error of a query is raised
in the caller's thread, as psycopg raised it, when the caller comes to that
query. When the caller stops early (an error of its own, an interrupt), the
query in flight is cancelled and waited for, so the connection is idle, with
nothing left running, when ``each_result`` is done; the caller then rolls the
transaction back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

THREAD_NAME = "schemadiff-catalog-query"


def _execute(conn: psycopg.Connection, group: list[tuple[str, str, Callable]]) -> list[psycopg.Cursor]:
    """Run one group: one query alone, several in one pipeline (sent together, one
    round trip), when libpq can."""
    cursors = [conn.cursor(row_factory=factory) for _, _, factory in group]
    if len(cursors) > 1 and psycopg.Pipeline.is_supported():
        with conn.pipeline():
            for cur, (_, text, _) in zip(cursors, group):
                cur.execute(text)
    else:
        for cur, (_, text, _) in zip(cursors, group):
            cur.execute(text)
    return cursors


class _Reader:
    """One helper thread that runs the groups in order. Group *i* is sent once the
    caller has finished reading group *i-2* (at most two groups' results exist: one
    being read, one ready or running), by the helper itself as soon as it may: when
    the caller already waits, the next query leaves without the caller's thread
    having to be scheduled first."""

    def __init__(self, conn: psycopg.Connection, groups: list[list[tuple[str, str, Callable]]]):
        self._conn = conn
        self._groups = groups
        self._cond = threading.Condition()
        self._results: dict[int, list | BaseException] = {}
        self._finished_reading = -1  # the last group the caller has read to the end
        self._stopping = False
        self._running = False  # a group is on the server
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        cond = self._cond
        for i, group in enumerate(self._groups):
            with cond:
                while not self._stopping and self._finished_reading < i - 2:
                    cond.wait()
                if self._stopping:
                    return
                self._running = True
            try:
                result: list | BaseException = _execute(self._conn, group)
            except BaseException as exc:  # noqa: BLE001 — raised in the caller's thread by take()
                result = exc
            with cond:
                self._running = False
                self._results[i] = result
                cond.notify_all()
            if isinstance(result, BaseException):
                return

    def take(self, i: int) -> list[psycopg.Cursor]:
        """The cursors of group ``i`` (the caller has read every group before it)."""
        cond = self._cond
        with cond:
            self._finished_reading = i - 1
            cond.notify_all()
            while i not in self._results:
                if not self._thread.is_alive():  # never: every end of _run leaves a result or was asked to stop
                    raise RuntimeError("the catalog read's helper thread stopped without a result")
                cond.wait(0.5)
            result = self._results.pop(i)
        if isinstance(result, BaseException):
            raise result
        return result

    def stop(self) -> None:
        """Cancel the group on the server, if one is, and wait for the thread."""
        with self._cond:
            self._stopping = True
            running = self._running
            self._cond.notify_all()
        while running and self._thread.is_alive():  # again if the cancel came before the query
            try:
                cancel_safe = getattr(self._conn, "cancel_safe", None)  # psycopg 3.2 and later
                if cancel_safe is not None:
                    cancel_safe(timeout=10)
                else:
                    self._conn.cancel()  # psycopg 3.1, which pyproject.toml allows
            except Exception:  # noqa: BLE001 — the query then ends by itself (or by its timeout)
                break
            self._thread.join(1.0)
        self._thread.join()
        self._results.clear()


def _rows(cur: psycopg.Cursor, chunk: int) -> Iterator:
    try:
        while True:
            rows = cur.fetchmany(chunk)
            if not rows:
                return
            yield from rows
            del rows
    finally:
        cur.close()


@contextmanager
def each_result(conn: psycopg.Connection, groups: list[list[tuple[str, str, Callable]]], chunk: int
                ) -> Iterator[Iterator[tuple[str, Iterator]]]:
    """(name, rows) of each query of ``groups`` — lists of (name, SQL text, psycopg
    row factory), the queries of a group sent together — in order; ``rows`` gives
    the rows ``chunk`` at a time, and must be read before the next (name, rows) is
    asked for. The next group runs while the rows of one are read."""
    reader = _Reader(conn, groups)

    def results() -> Iterator[tuple[str, Iterator]]:
        for i, group in enumerate(groups):
            cursors = reader.take(i)
            for (name, _, _) in group:
                rows = _rows(cursors.pop(0), chunk)
                yield name, rows
                del rows
            del cursors

    try:
        yield results()
    finally:
        reader.stop()
