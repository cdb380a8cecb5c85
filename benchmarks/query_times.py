"""Every statement one schemadiff command sends, with the wall time it took, in one process.

    .venv/bin/python benchmarks/query_times.py plan SPEC_DIR --db DSN

Wraps psycopg's ``execute`` (connection and cursor) and ``fetchall`` so each
statement is timed from the call to its last row, then runs the command as
``schemadiff`` would (its output thrown away) and prints to stderr one line per
statement, by the function that sent it: calls, total ms, and the statement's
first line. The wall time of a catalog query is mostly the server's: compare it
with ``catalog_explain.py``'s execution times.
"""

from __future__ import annotations

import collections
import io
import sys
import time

SPENT: dict[tuple[str, str], list[float]] = collections.defaultdict(list)


def _caller() -> str:
    frame = sys._getframe(2)
    while frame and ("psycopg" in frame.f_code.co_filename or frame.f_code.co_filename == __file__):
        frame = frame.f_back
    return f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_name}" if frame else "?"


def _label(query) -> str:
    text = query if isinstance(query, str) else repr(query)
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("--")]
    return (lines[0] if lines else "")[:70]


def main(argv: list[str]) -> int:
    import gc

    import psycopg

    gc.disable()  # as the console script does (``cli.run``)
    import schemadiff.cli as cli

    def wrap(cls):
        execute = cls.execute
        fetchall = cls.fetchall if hasattr(cls, "fetchall") else None

        def timed_execute(self, query, *args, **kwargs):
            start = time.perf_counter()
            out = execute(self, query, *args, **kwargs)
            SPENT[(_caller(), _label(query))].append(time.perf_counter() - start)
            return out

        cls.execute = timed_execute
        if fetchall is not None:
            def timed_fetchall(self):
                start = time.perf_counter()
                out = fetchall(self)
                SPENT[(_caller(), "  (fetchall)")].append(time.perf_counter() - start)
                return out
            cls.fetchall = timed_fetchall

    wrap(psycopg.Connection)
    wrap(psycopg.Cursor)
    start = time.perf_counter()
    code = cli.main(argv, io.StringIO(), io.StringIO())
    total = time.perf_counter() - start
    print(f"exit {code}; wall {total * 1000:.0f} ms", file=sys.stderr)
    for (caller, label), times in sorted(SPENT.items(), key=lambda kv: -sum(kv[1])):
        print(f"{sum(times) * 1000:9.1f} ms {len(times):4d}x  {caller}: {label}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
