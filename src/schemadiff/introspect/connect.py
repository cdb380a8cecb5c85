"""Which database, and connecting to it without ever printing a password.

The database comes from ``--db``, else ``DATABASE_URL``, else libpq's own
environment (``PGHOST``, ``PGDATABASE``, ``PGSERVICE``…).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

LIBPQ_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGSERVICEFILE")


class ConnectError(Exception):
    pass


def resolve_dsn(arg: str | None, environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(dsn, where it came from), or None when nothing names a database."""
    environ = os.environ if environ is None else environ
    if arg:
        return arg, "--db"
    if environ.get("DATABASE_URL"):
        return environ["DATABASE_URL"], "DATABASE_URL"
    if any(environ.get(v) for v in LIBPQ_VARIABLES):
        return "", "the PG* environment variables"
    return None


def redact(dsn: str) -> str:
    """The DSN with any password replaced by ***; unparseable text is hidden whole."""
    if not dsn:
        return "(libpq environment)"
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(unparseable connection string)"
    if "password" in params:
        params["password"] = "***"
    return make_conninfo(**params)


def connect(dsn: str, *, application_name: str = "schemadiff") -> psycopg.Connection:
    try:
        return psycopg.connect(dsn, autocommit=True, application_name=application_name, connect_timeout=10)
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if dsn:
            try:
                password = conninfo_to_dict(dsn).get("password")
            except psycopg.ProgrammingError:
                password = None
            if password:
                message = message.replace(str(password), "***")
        raise ConnectError(f"cannot connect to {redact(dsn)}: {message}") from None
