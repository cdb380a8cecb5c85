"""Apply's last word on new views over row level security, inside the transaction
that creates them.

SD704 and SD705 judge at plan time. Someone may enable row level security on a table
between plan and apply; the view would then show rows past the policies. So, after
the CREATE VIEW / CREATE MATERIALIZED VIEW statements of a transaction ran and before
it commits, apply reads (bound parameters only) every relation the new view reaches:
a materialized view through any chain of views, a view without ``security_invoker``
through views without it. It takes ACCESS SHARE on each of them, which waits for (and
then blocks until our commit) an ``ALTER TABLE ... ENABLE ROW LEVEL SECURITY`` or a
``CREATE OR REPLACE VIEW`` / ``ALTER VIEW ... SET`` on them (all take ACCESS
EXCLUSIVE), then reads the reach again under those locks until it is stable. A table
with ``relrowsecurity`` in it refuses the whole transaction (rolled back, exit 3)."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from .identifiers import quote_qualified

MAX_ROUNDS = 8
LOCKABLE = frozenset("rpvf")  # LOCK TABLE takes these; a matview (never followed), sequence or type is left

# The relations a new view or materialized view reads, through views: the start is
# always followed; a view further on is followed for a materialized view always, for a
# view only while it is not security_invoker.
_REACH = """
WITH RECURSIVE reach(oid) AS (
    SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relname = %(name)s
  UNION
    SELECT d.refobjid FROM reach r
    JOIN pg_catalog.pg_class rc ON rc.oid = r.oid
    JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = r.oid
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
         AND d.objid = rw.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
         AND d.refobjid <> r.oid
    WHERE r.oid = (SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n
                   ON n.oid = c.relnamespace WHERE n.nspname = %(schema)s AND c.relname = %(name)s)
       OR (rc.relkind = 'v' AND (%(matview)s OR NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_options_to_table(rc.reloptions) o
            WHERE o.option_name = 'security_invoker'
              AND pg_catalog.lower(o.option_value) IN ('true', 'on', '1', 'yes', 't', 'y', 'tr', 'tru', 'ye'))))
)
SELECT n.nspname, c.relname, c.relkind::text, c.relrowsecurity
FROM reach r JOIN pg_catalog.pg_class c ON c.oid = r.oid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
ORDER BY c.oid
"""

_START = """
SELECT c.relkind::text, EXISTS (
    SELECT 1 FROM pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = 'security_invoker'
      AND pg_catalog.lower(o.option_value) IN ('true', 'on', '1', 'yes', 't', 'y', 'tr', 'tru', 'ye'))
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s
"""


def created_views(sql: str) -> list[tuple[str, str]]:
    """The (schema, name) of each view or materialized view a statement creates."""
    import pglast

    found = []
    for raw in pglast.parse_sql(sql):
        node = raw.stmt
        kind = type(node).__name__
        if kind == "ViewStmt":
            rel = node.view
        elif kind == "CreateTableAsStmt" and getattr(node.objtype, "name", "") == "OBJECT_MATVIEW":
            rel = node.into.rel
        else:
            continue
        found.append((rel.schemaname or "public", rel.relname))
    return found


def problem(conn: psycopg.Connection, schema: str, name: str) -> str | None:
    """Inside the creating transaction: why the new view must not commit, or None."""
    start = conn.execute(_START, (schema, name)).fetchone()
    if start is None:
        return None
    relkind, invoker = start
    if relkind == "v" and invoker:
        return None  # the policies apply to each reader
    matview = relkind == "m"
    locked: set[tuple[str, str]] = set()
    for _ in range(MAX_ROUNDS):
        rows = conn.execute(_REACH, {"schema": schema, "name": name, "matview": matview}).fetchall()
        reach = {(s, r) for s, r, k, _ in rows if (s, r) != (schema, name) and k in LOCKABLE}
        if reach <= locked:
            secured = [f"{s}.{r}" for s, r, k, rls in rows if rls and k in ("r", "p")]
            if not secured:
                return None
            what = "materialized view" if matview else "view without security_invoker"
            return (f"{what} {schema}.{name} reads {', '.join(secured)}, which has row level security "
                    f"(enabled after the plan was made): it would show rows past the policies (SD70"
                    f"{'5' if matview else '4'}); nothing of this transaction is committed")
        for s, r in sorted(reach - locked):
            conn.execute(f"LOCK TABLE {quote_qualified(s, r)} IN ACCESS SHARE MODE")
            locked.add((s, r))
    return f"the relations {schema}.{name} reads kept changing while apply locked them; refused"


def check(conn: psycopg.Connection, statements: Sequence[str]) -> list[tuple[int, str]]:
    """(index in ``statements``, reason) for each CREATE VIEW / MATERIALIZED VIEW that
    would read a table with row level security past its policies."""
    out = []
    for i, sql in enumerate(statements):
        if "VIEW" not in sql.upper():
            continue
        for schema, name in created_views(sql):
            reason = problem(conn, schema, name)
            if reason:
                out.append((i, reason))
    return out
