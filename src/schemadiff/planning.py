"""``plan`` against a live database: introspect, converge, diff, judge, order."""

from __future__ import annotations

from dataclasses import dataclass

from . import changes as c
from .diff import diff
from .fkcheck import live_problems
from .introspect import introspect
from .introspect.column_facts import catalog_facts, missing_roles, rejected_defaults
from .introspect.connect import connect, target_of
from .introspect.prefetch import CatalogPrefetch
from .introspect.probe_access import require_probes
from .introspect.converge import converge, volatility
from .introspect.exprcheck import rejected
from .introspect.converge_views import converge_views
from .model import Schema
from .plan import Plan, build_plan
from .rules.names import signature_key
from .storage_versions import unknown_to_server


class TargetProblems(Exception):
    """What the database would reject (``fkcheck.live_problems``, ``exprcheck.rejected``):
    (the change, for its spec line; the message) each."""

    def __init__(self, problems):
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


@dataclass
class PlanResult:
    plan: Plan
    current: Schema
    server_version: str
    target: str = ""  # dbname=… host=… port=… user=… as libpq resolved them (connect.target_of)


def managed_schemas(desired: Schema) -> list[str]:
    names = {t.schema for t in desired.tables} | {e.schema for e in desired.enums} | set(desired.schemas)
    names |= {s.schema for s in desired.sequences}
    return sorted(names | {"public"})


def _index_sql(table, index) -> str:
    """The compiler's CREATE INDEX, for the probes: loaded only when an index is new."""
    from .compile.ddl import create_index

    return create_index(table, index).sql


def plan_against_database(desired: Schema, dsn: str, *, throwaway: bool = False,
                          prefetched: CatalogPrefetch | None = None) -> PlanResult:
    """``prefetched``: the connection and catalog read started while the spec loaded
    (``introspect.prefetch``); its read is used only if made for this spec's schemas."""
    with (prefetched.take() if prefetched is not None else connect(dsn)) as conn:
        return plan_with_connection(desired, conn, throwaway=throwaway, prefetched=prefetched)


def plan_with_connection(desired: Schema, conn, *, throwaway: bool = False,
                         prefetched: CatalogPrefetch | None = None) -> PlanResult:
    """Plan on an open autocommit connection (left idle, autocommit, as found).
    ``throwaway``: an empty embedded server of our own (plan without a database), which
    has none of the spec's external roles; they are not looked for there."""
    schemas = managed_schemas(desired)
    read = prefetched.read_for(schemas) if prefetched is not None else None
    version = prefetched.version if prefetched is not None else None
    if version is None:
        version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    if read is None:
        read = introspect(conn, schemas, missing_ok=True)
    current = _within_scope(read.schema, desired)
    require_probes(conn)  # a session that cannot run them: said now, never a phantom change
    desired = converge(desired, current, conn)
    desired = converge_views(desired, current, conn)
    # What PostgreSQL would reject at apply: said now, each at its spec line.
    problems = [(c.AddForeignKey(table, fk), message) for table, fk, message in live_problems(conn, desired, current)]
    problems += [(r.change, f"{r.what}: the server rejects it: {r.message}")
                 for r in rejected(conn, desired, current, _index_sql)]
    problems += unknown_to_server(desired, conn.info.server_version // 10000, version)
    problems += rejected_defaults(conn, desired, current)
    problems += [] if throwaway else missing_roles(conn, desired, current)
    if problems:
        raise TargetProblems(problems)
    changes = diff(current, desired)
    defaults = [ch.column.default for ch in changes if isinstance(ch, c.AddColumn) and ch.column.default is not None]
    volatile = volatility(conn, defaults) if defaults else {}
    from .introspect.relation_graph import relation_graph

    plan = build_plan(current, desired, mode="database", is_volatile=lambda e: volatile.get(e, False),
                      taken={**read.names, **functions_taken(conn, desired)},
                      catalog=catalog_facts(conn, desired, current), relations=relation_graph(conn),
                      changes=changes)
    return PlanResult(plan=plan, current=current, server_version=version, target=target_of(conn))


def functions_taken(conn, desired: Schema) -> dict[tuple[str, str], str]:
    """Every routine of the database with the name of a spec function, keyed by
    signature (``rules.names.signature_key``), whether schemadiff reads it or not:
    what SD901 holds a new function against."""
    wanted = sorted({(fn.schema, fn.name) for fn in desired.functions})
    if not wanted:
        return {}
    rows = conn.execute(
        "SELECT n.nspname, p.proname, ARRAY(SELECT pg_catalog.format_type(a.t, NULL) "
        "FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i) ORDER BY a.i), "
        "CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function' "
        "ELSE 'function' END "
        "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
        "WHERE (n.nspname, p.proname) IN (SELECT * FROM ROWS FROM (pg_catalog.unnest(%s::text[]), pg_catalog.unnest(%s::text[])))",
        ([s for s, _ in wanted], [n for _, n in wanted])).fetchall()
    return {(schema, signature_key(name, types)): f"{kind} {schema}.{signature_key(name, types)}"
            for schema, name, types, kind in rows}


def _within_scope(current: Schema, desired: Schema) -> Schema:
    """The database's schemas the spec names; extensions all (database-wide)."""
    from dataclasses import replace
    return replace(current, schemas=tuple(s for s in current.schemas if s in desired.schemas or s == "public"))
