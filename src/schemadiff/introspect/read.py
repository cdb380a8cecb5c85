"""Run the catalog queries and assemble the model.

The queries run one ahead of the client (``readahead``): while the rows of one
are turned into the model (``assemble.Assembly``), a chunk at a time, the next
already runs on the server. No query's rows are held whole.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from importlib import resources

import psycopg
from psycopg.rows import dict_row

from ..gcpause import paused_gc
from .assemble import Assembly, _expr  # noqa: F401 — _expr: converge_matviews reads it here
from .readahead import each_result
from .result import Introspection, IntrospectError, OutOfScope  # noqa: F401 — their home before
from .rows import compact_row

# In the order they run and are assembled: a query's rows may need those of the
# queries before it (a column its table and the sequence it owns), never after.
# The queries of a group are sent together (``readahead``): the small ones.
QUERY_GROUPS = (("extensions", "enums", "tables", "sequences"), ("columns",), ("constraints",), ("indexes",),
                ("policies",), ("relation_names",), ("functions", "triggers", "views", "view_indexes", "out_of_scope"))
QUERY_NAMES = tuple(name for group in QUERY_GROUPS for name in group)

# Rows turned into Python objects at a time, per query (psycopg's fetchmany).
CHUNK_ROWS = 2000


# The settings of the catalog read, local to its transaction: names print qualified
# (search_path), the queries find the schemas to read, and no query is JIT-compiled.
# The catalog queries are estimated costly enough for JIT (PostgreSQL 15's default
# jit_above_cost is 100000) and compiling them took longer than running them
# (docs/performance.md, round 4).
SESSION_SQL = ("SELECT pg_catalog.set_config('search_path', 'pg_catalog', true), "
               "pg_catalog.set_config('schemadiff.schemas', %s, true), "
               "pg_catalog.set_config('jit', 'off', true)")


def load_query(name: str) -> str:
    return resources.files(__package__).joinpath("queries", f"{name}.sql").read_text(encoding="utf-8")


# The queries with rows per column, constraint or index: read only by ``Assembly``, by
# attribute (``rows.compact_row``: a named tuple per row); the others by key, as dicts.
_COMPACT = frozenset({"columns", "constraints", "indexes"})


def user_schemas(conn: psycopg.Connection) -> list[str]:
    """Every schema of the database that is neither the system's nor an
    extension's (``queries/user_schemas.sql``), sorted by name."""
    return [r[0] for r in conn.execute(load_query("user_schemas")).fetchall()]


def introspect(conn: psycopg.Connection, schemas: list[str], default_schema: str = "public",
               *, missing_ok: bool = False) -> Introspection:
    """Read ``schemas`` of the database behind ``conn``; the connection is left
    as it was found (the read runs in its own transaction, rolled back)."""
    with paused_gc():  # many small long-lived objects: see gcpause
        return _introspect(conn, schemas, default_schema, missing_ok)


def _introspect(conn: psycopg.Connection, schemas: list[str], default_schema: str,
                missing_ok: bool) -> Introspection:
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise IntrospectError(["introspect needs a connection that is not inside a transaction"])
    groups = [[(name, load_query(name), compact_row if name in _COMPACT else dict_row) for name in group]
              for group in QUERY_GROUPS]
    previous_autocommit = conn.autocommit
    conn.autocommit = False
    try:
        with conn.pipeline() if psycopg.Pipeline.is_supported() else nullcontext():  # one round trip
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            conn.execute(SESSION_SQL, (json.dumps(list(schemas)),))
            found = conn.execute("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(%s)",
                                 (list(schemas),))
        existing = {r[0] for r in found.fetchall()}
        missing = [s for s in schemas if s not in existing]
        if missing and not missing_ok:
            raise IntrospectError([f"schema {s!r} does not exist in the database" for s in missing])
        assembly = Assembly([s for s in schemas if s in existing], default_schema)
        with each_result(conn, groups, CHUNK_ROWS) as results:
            for name, rows in results:
                assembly.add(name, rows)
    finally:
        conn.rollback()
        conn.autocommit = previous_autocommit
    result = assembly.finish()
    result.queries = len(QUERY_NAMES) + 2
    return result
