"""The catalog queries, run one ahead of the client that reads their rows.

``each_result`` runs groups of queries one after another on one connection
(one transaction, one snapshot: the caller's), and hands over the rows of each
query, a chunk at a time. While the caller turns the rows of group *n* into the
model, group *n+1* already runs on the server: a helper thread sent it, and
waits for its result without holding the interpreter. The server's time and
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


class _Ahead:
    """A group of queries, executed by a helper thread started at once: one query
    alone, several in one pipeline (sent together, one round trip), when libpq
    can."""

    def __init__(self, conn: psycopg.Connection, group: list[tuple[str, str, Callable]]):
        self._conn = conn
        self._group = group
        self.cursors: list[psycopg.Cursor] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            cursors = [self._conn.cursor(row_factory=factory) for _, _, factory in self._group]
            if len(cursors) > 1 and psycopg.Pipeline.is_supported():
                with self._conn.pipeline():
                    for cur, (_, text, _) in zip(cursors, self._group):
                        cur.execute(text)
            else:
                for cur, (_, text, _) in zip(cursors, self._group):
                    cur.execute(text)
            self.cursors = cursors
        except BaseException as exc:  # noqa: BLE001 — raised in the caller's thread by take()
            self.error = exc

    def take(self) -> list[psycopg.Cursor]:
        self._thread.join()
        cursors, self.cursors = self.cursors, []
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return cursors

    def stop(self) -> None:
        """Cancel the query if it still runs, and wait for the thread."""
        if self._thread.is_alive():
            try:
                self._conn.cancel_safe(timeout=10)
            except Exception:  # noqa: BLE001 — the query then ends by itself (or by its timeout)
                pass
        self._thread.join()
        self.cursors, self.error = [], None


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
    pending: list[_Ahead] = []

    def results() -> Iterator[tuple[str, Iterator]]:
        pending.append(_Ahead(conn, groups[0]))
        for i, group in enumerate(groups):
            cursors = pending[-1].take()  # still pending while waited for: an interrupt here stops it
            pending.pop()
            if i + 1 < len(groups):
                pending.append(_Ahead(conn, groups[i + 1]))
            for (name, _, _) in group:
                rows = _rows(cursors.pop(0), chunk)
                yield name, rows
                del rows
            del cursors

    try:
        yield results()
    finally:
        for ahead in pending:
            ahead.stop()
