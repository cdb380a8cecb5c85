"""Reading the catalog while the spec loads (``plan``).

``plan`` needs two things that do not depend on each other until the diff: the
spec, loaded and checked in this process (Python's work), and the catalog, read
by the server (the server's work, on another core, while psycopg waits without
holding the interpreter). Done one after the other, as before, the wall time is
their sum; here a thread connects and reads the catalog while the main thread
imports the planning code and loads the spec.

The read needs the list of schemas the spec manages, which is only known once
the spec is loaded. The thread reads a guess: ``public`` (always managed), and
each schema of the database that is neither the system's nor an extension's
(``queries/user_schemas.sql``) and whose name occurs in the bytes of a spec file
(a spec names every schema it manages; a name that occurs elsewhere, in a
comment, only makes the guess wrong). The guess is used only when it is exactly
the list the loaded spec manages (``planning.managed_schemas``); otherwise the
catalog is read again, after the load, exactly as without this module. The
guess decides nothing else: a wrong one costs a second read, never a different
plan. What is read, and
how, is the same query with the same argument either way, so the plan cannot
differ; only the moment of the read does (before or during the load instead of
after it: the catalog is read at some moment in both cases, and nothing is
locked or written by the read).

Nothing the thread meets is reported until the spec has loaded: a spec error is
reported as before (the connection, and any error of the thread, is dropped),
and an unreachable database gives the same ``ConnectError`` as before, raised
in the main thread when the plan asks for the connection. A thread abandoned
by a spec error closes its own connection when it finishes; it is a daemon, so
an exiting process never waits for it.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from .connect import connect
from .read import Introspection, introspect, user_schemas


class CatalogPrefetch:
    """Connect to ``dsn`` and read the catalog in a thread, started at once."""

    def __init__(self, dsn: str, spec_dir: str | Path, hold=None):
        self._dsn = dsn
        self._spec_dir = Path(spec_dir)
        self._hold = hold  # called once connected, before the read (spec/forkload.py's wait_ready)
        self._lock = threading.Lock()
        self._abandoned = False
        self.conn = None
        self.version: str | None = None
        self.schemas: list[str] | None = None
        self.read: Introspection | None = None
        self.error: BaseException | None = None
        self._finished = False
        self._thread = threading.Thread(target=self._run, name="schemadiff-catalog-read", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.conn = connect(self._dsn)
            self.version = self.conn.execute("SHOW server_version").fetchone()[0].split()[0]
            self.schemas = _guess(user_schemas(self.conn), self._spec_dir)
            if self._hold is not None:
                self._hold()
            self.read = introspect(self.conn, self.schemas, missing_ok=True)
        except BaseException as exc:  # noqa: BLE001 — handed to the main thread by take()
            self.error = exc
        finally:
            with self._lock:
                self._finished = True
                if self._abandoned:
                    self._close()

    def take(self):
        """The open connection, once the thread is done; its error, if it had one,
        raised here (a connection it made is closed first)."""
        self._thread.join()
        if self.error is not None:
            self._close()
            raise self.error
        return self.conn

    def read_for(self, schemas: list[str]) -> Introspection | None:
        """The read, when it was made for exactly ``schemas``; else None (read again)."""
        return self.read if self.schemas == list(schemas) else None

    def abandon(self) -> None:
        """The plan will not be made (the spec did not load): drop the connection,
        now if the thread is done, else when it is."""
        with self._lock:
            self._abandoned = True
            if self._finished:
                self._close()

    def _close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 — closing a connection the plan will not use
                pass


def _guess(user: list[str], spec_dir: Path) -> list[str]:
    """``public``, and the database's user schemas named somewhere in the spec's files."""
    names = {name: name.encode() for name in user if name != "public"}
    found = {"public"}
    base = spec_dir if spec_dir.is_dir() else spec_dir.parent
    try:
        _scan(base, names, found)
    except OSError:
        pass  # an unreadable directory: the load reports it; a guess is only a guess
    return sorted(found)


def _scan(base: Path, names: dict[str, bytes], found: set[str]) -> None:
    for path in base.rglob("*"):
        if not names:
            break
        if path.suffix not in (".yaml", ".yml") or any(p.startswith(".") for p in path.relative_to(base).parts):
            continue
        try:
            # Opened without waiting (a FIFO would block a read forever), read only if a regular file.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        with os.fdopen(fd, "rb") as f:
            try:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    continue
                data = f.read()
            except OSError:
                continue
        for name in [n for n, raw in names.items() if raw in data]:
            found.add(name)
            del names[name]
