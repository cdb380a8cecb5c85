"""Whether this session can run plan's probes, asked once before any of them.

``converge``, ``converge_views``, ``exprcheck`` and ``column_facts`` hand spec
expressions and view queries to the server on temporary tables, in transactions
that are always rolled back. A session that cannot create a temporary table (a
read-only session: ``default_transaction_read_only = on`` for the role or the
database, or a standby; or a role without the TEMPORARY privilege on the
database) made every probe fail, and a failed probe read as "the server spells it
differently": a phantom SD415 on a view whose query is unchanged, or a column
"the server rejects". So ``plan`` (and ``apply``, which plans first) asks once,
up front, and stops with the reason and the fix (exit 1, nothing changed), never
a phantom refusal and never a silent "no change". Overriding a read-only setting
ourselves would defeat what the database's owner set, so we don't.
"""

from __future__ import annotations

import psycopg

from . import sandbox
from .connect import ConnectError

READ_ONLY = "25006"  # read_only_sql_transaction (a read-only session, or a standby)
NO_PRIVILEGE = "42501"  # insufficient_privilege: no TEMPORARY on the database


class ProbesUnavailable(ConnectError):
    """This session cannot run plan's probes (a ``ConnectError``: the commands report
    it as they report a connection they cannot use, exit 1, nothing changed)."""


def require_probes(conn: psycopg.Connection) -> None:
    """Raise ``ProbesUnavailable`` unless a temporary table can be created (and is, in a
    transaction rolled back at once). ``conn``: autocommit, idle; left so."""
    conn.autocommit = False
    try:
        sandbox.pin(conn)
        conn.execute("CREATE TEMP TABLE schemadiff_probe_access ()")
    except psycopg.Error as exc:
        if exc.sqlstate not in (READ_ONLY, NO_PRIVILEGE):
            raise
        conn.rollback()
        raise ProbesUnavailable(_explain(conn, exc)) from None
    finally:
        conn.rollback()
        conn.autocommit = True


def _explain(conn: psycopg.Connection, exc: psycopg.Error) -> str:
    said = (exc.diag.message_primary or "").replace("\n", " ")
    head = ("plan compares the spec's expressions and view queries with the database's by letting the server "
            f"take them on temporary tables (rolled back), and this session cannot create one ({said})")
    if exc.sqlstate == NO_PRIVILEGE:
        fix = ("grant it: GRANT TEMPORARY ON DATABASE <database> TO <role> (or connect as a role that has it)")
    elif conn.execute("SELECT pg_catalog.pg_is_in_recovery()").fetchone()[0]:
        fix = "this server is a standby: plan against the primary"
    else:
        fix = ("the session is read-only (default_transaction_read_only is on for this role or database): "
               "plan with a role or database where it is off, or turn it off for schemadiff's session only "
               "(in the DSN: options='-c default_transaction_read_only=off') if that is allowed here")
    return f"{head}; {fix}; nothing was planned or changed"
