"""The catalog queries, run one ahead of the client that reads their rows.

``each_result`` runs the queries one after another on one connection (one
transaction, one snapshot: the caller's), and hands over the rows of each, a
chunk at a time. While the caller turns the rows of query *n* into the model,
query *n+1* already runs on the server: a helper thread sent it, and waits for
its result without holding the interpreter. The server's time and the client's
overlap instead of adding up, and at most two results are in the client's
memory (libpq's, not Python objects): the one being read and the next. Of the
one being read, only one chunk of rows exists as Python objects at a time.

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


class _Ahead:
    """One query, executed by a helper thread started at once."""

    def __init__(self, conn: psycopg.Connection, text: str, row_factory: Callable):
        self._conn = conn
        self._text = text
        self._row_factory = row_factory
        self.cursor: psycopg.Cursor | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            cur = self._conn.cursor(row_factory=self._row_factory)
            cur.execute(self._text)
            self.cursor = cur
        except BaseException as exc:  # noqa: BLE001 — raised in the caller's thread by take()
            self.error = exc

    def take(self) -> psycopg.Cursor:
        self._thread.join()
        cur, self.cursor = self.cursor, None
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return cur

    def stop(self) -> None:
        """Cancel the query if it still runs, and wait for the thread."""
        if self._thread.is_alive():
            try:
                self._conn.cancel_safe(timeout=10)
            except Exception:  # noqa: BLE001 — the query then ends by itself (or by its timeout)
                pass
        self._thread.join()
        self.cursor = self.error = None


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
def each_result(conn: psycopg.Connection, queries: list[tuple[str, str, Callable]], chunk: int
                ) -> Iterator[Iterator[tuple[str, Iterator]]]:
    """(name, rows) of each of ``queries`` — (name, SQL text, psycopg row factory) —
    in order; ``rows`` gives the rows of ``chunk`` at a time, and must be read
    before the next (name, rows) is asked for."""
    pending: list[_Ahead] = []

    def results() -> Iterator[tuple[str, Iterator]]:
        pending.append(_Ahead(conn, queries[0][1], queries[0][2]))
        for i, (name, _, _) in enumerate(queries):
            cur = pending.pop().take()
            if i + 1 < len(queries):
                pending.append(_Ahead(conn, queries[i + 1][1], queries[i + 1][2]))
            rows = _rows(cur, chunk)
            del cur
            yield name, rows
            del rows

    try:
        yield results()
    finally:
        for ahead in pending:
            ahead.stop()
