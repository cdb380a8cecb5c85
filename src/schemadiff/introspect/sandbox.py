"""The settings of plan's rolled-back probes (``converge``, ``converge_views``,
``exprcheck``, ``humane``).

Each probe hands the server a spec expression on a temporary copy of a table.
Creating a default, a policy or a NOT VALID check stores it without computing
it; an index predicate or expression and a stored generated column do compute
their constant parts (PostgreSQL folds constants when it takes them). So every
probe transaction runs with a ``statement_timeout`` of its own
(``STATEMENT_TIMEOUT_MS``, local to the transaction, which is always rolled
back): a probe that outlives it is canceled (SQLSTATE 57014) and reported as a
plan error for that expression, never left running on the target.

The timeout is served where the backend checks for interrupts: between rows,
and inside the loops of the costly built-ins (``repeat``, ``generate_series``,
the regular-expression engine, ``pg_sleep``…). A single built-in call that does
not check (a hash such as ``md5`` or ``sha512`` of one long value) is canceled
only when it returns. Nothing more is needed, nor possible from the client: a
cancel request (``conn.cancel()``) and ``pg_terminate_backend`` are served at the
same checks, so no watchdog would stop it sooner. Such a call is bounded by its
input, which is at most 1 GB (the largest value PostgreSQL holds), and building that
input is itself interruptible: with a 500 ms timeout,
``md5(repeat('x…' (100 characters), 10000000)) IS NULL`` (a 1 GB value) is canceled
after 0.56 s, and the whole computation, untimed, takes 4.5 s on a loaded 2-core
machine. The probes hold locks on their own temporary tables, and ACCESS SHARE
on the tables a policy's subquery, a view or a materialized view's copy (``LIKE``)
names, until the probe transaction rolls back (at most the timeout). ACCESS SHARE
conflicts with no reader or writer, but another session's ``ALTER TABLE`` on such
a table waits for it, and every reader and writer that comes after that ALTER
waits behind it: the same queueing as any read query of that length. Run
``plan`` against a database where such DDL is running with that in mind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # check (offline) imports this module and loads no psycopg
    import psycopg

STATEMENT_TIMEOUT_MS = 5000
CANCELED = "57014"  # query_canceled: the timeout (or an operator's cancel)


def pin(conn: psycopg.Connection) -> None:
    """In the open transaction of ``conn``: search_path ``pg_catalog, pg_temp``,
    standard_conforming_strings on, and the probes' statement_timeout; all local
    to the transaction (schema-qualified, so a hostile search_path cannot stand in
    for set_config; every value a bound parameter)."""
    conn.execute("SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true), "
                 "pg_catalog.set_config('standard_conforming_strings', 'on', true), "
                 "pg_catalog.set_config('statement_timeout', %s, true), "
                 + _NO_EVENT_TRIGGERS, (f"{int(STATEMENT_TIMEOUT_MS)}ms",))


# Every probe is DDL on temporary objects, and the database's event triggers fire on DDL:
# their functions would run at plan time, with effects a rollback may not undo. A
# superuser's session turns them off for the probe's transaction: event_triggers = off
# (PostgreSQL 17+: all of them) and session_replication_role = replica (those enabled
# for the origin, the default). Other roles may set neither: their probes still fire them.
_SUPER = "pg_catalog.current_setting('is_superuser') OPERATOR(pg_catalog.=) 'on'"
_NO_EVENT_TRIGGERS = (
    f"CASE WHEN {_SUPER} THEN pg_catalog.set_config('session_replication_role', 'replica', true) END, "
    f"CASE WHEN {_SUPER} AND pg_catalog.current_setting('event_triggers', true) IS NOT NULL "
    "THEN pg_catalog.set_config('event_triggers', 'off', true) END")


def timeout_text() -> str:
    ms = int(STATEMENT_TIMEOUT_MS)
    return f"{ms // 1000} s" if ms % 1000 == 0 else f"{ms} ms"


def timed_out_message() -> str:
    return (f"the server did not finish taking it within the probes' statement_timeout ({timeout_text()}): "
            "PostgreSQL computes an expression's constant parts when it takes it; write it without the "
            "costly constant computation")
