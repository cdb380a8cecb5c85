"""``check --prove``: the planned migration, run for real, gives the head spec.

In a throwaway embedded PostgreSQL: database ``a`` gets the base spec's DDL,
then the steps the check approved, through the same runner ``apply`` uses;
database ``b`` gets the head spec's DDL from scratch. Both are introspected
and must not differ — proof that the migration is correct, not only allowed.

What the spec names as external (tables it references, roles its policies
grant to) does not exist in a new database: external tables are stubbed with
the referenced columns (typed like the referencing ones) under a unique key,
roles are created; ``setup`` SQL, when given, runs first in both databases
(for external functions and anything else a stub cannot guess).
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from psycopg.conninfo import make_conninfo

from .apply import ApplyError, ApplyOptions, Runner, StepView
from .compile import compile_schema
from .diff import diff
from .identifiers import quote_ident
from .introspect import introspect
from .model import QualifiedName, Schema
from .plan import Plan
from .planning import managed_schemas


class ProveError(Exception):
    pass


def _stubs(*schemas: Schema) -> list[str]:
    """SQL creating the external tables and roles the specs refer to."""
    columns: dict[QualifiedName, dict[str, str]] = {}
    keys: dict[QualifiedName, set[tuple[str, ...]]] = {}
    roles: set[str] = set()
    for schema in schemas:
        external = set(schema.external.tables)
        roles |= set(schema.external.roles)
        for t in schema.tables:
            types = {col.name: col.type for col in t.columns}
            for fk in t.foreign_keys:
                if fk.ref_table in external:
                    cols = columns.setdefault(fk.ref_table, {})
                    for mine, theirs in zip(fk.columns, fk.ref_columns):
                        cols.setdefault(theirs, types[mine])
                    keys.setdefault(fk.ref_table, set()).add(tuple(fk.ref_columns))
    out = [f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(r)}) THEN "
           f"CREATE ROLE {quote_ident(r)}; END IF; END $$" for r in sorted(roles)]
    for q in sorted(columns):
        out.append(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(q.schema)}")
        body = [f"{quote_ident(n)} {t}" for n, t in columns[q].items()]
        body += [f"UNIQUE ({', '.join(quote_ident(n) for n in key)})" for key in sorted(keys[q])]
        out.append(f"CREATE TABLE {quote_ident(q.schema)}.{quote_ident(q.name)} ({', '.join(body)})")
    return out


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _build(dsn: str, setup: list[str], schema: Schema | None) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for sql in setup:
            conn.execute(sql)
        if schema is not None:
            with conn.transaction():
                for stmt in compile_schema(schema):
                    conn.execute(stmt.sql)


def prove(base: Schema | None, head: Schema, plan: Plan, *, setup_sql: str | None = None,
          say: Callable[[str], None] = lambda text: None) -> str:
    """Raise ProveError unless base + plan == head in a real PostgreSQL; return a one-line account."""
    from .embedded import throwaway_database

    if plan.refused:
        raise ProveError("the plan is refused; there is nothing to prove")
    setup = ([setup_sql] if setup_sql else []) + _stubs(*(s for s in (base, head) if s is not None))
    scope = sorted(set(managed_schemas(head)) | set(managed_schemas(base or Schema())))
    say("prove: starting a throwaway embedded PostgreSQL")
    with throwaway_database() as admin:
        with psycopg.connect(admin, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
            conn.execute("CREATE DATABASE prove_a")
            conn.execute("CREATE DATABASE prove_b")
        dsn_a, dsn_b = make_conninfo(admin, dbname="prove_a"), make_conninfo(admin, dbname="prove_b")
        try:
            _build(dsn_a, setup, base)
            _build(dsn_b, setup, head)
        except psycopg.Error as exc:
            raise ProveError(f"building a spec from scratch failed: {exc}".strip()) from None
        steps = [StepView(s.phase, s.sql, f"{s.change.target()}: {s.detail or s.change.describe()}")
                 for s in plan.steps]
        say(f"prove: built the base; applying {len(steps)} planned statement(s)")
        with psycopg.connect(dsn_a, autocommit=True) as conn:
            try:
                Runner(conn, ApplyOptions(), lambda text: say(f"prove: {text.strip()}"), dsn=dsn_a).run(steps)
            except (ApplyError, psycopg.Error) as exc:
                raise ProveError(f"the planned migration failed on the base: {exc}") from None
            migrated = introspect(conn, scope, missing_ok=True).schema
        with psycopg.connect(dsn_b, autocommit=True) as conn:
            fresh = introspect(conn, scope, missing_ok=True).schema
    left = diff(migrated, fresh)
    if left:
        shown = "; ".join(f"{ch.target()}: {ch.describe()}" for ch in left[:10])
        raise ProveError(f"the migrated base differs from the head built fresh in {len(left)} way(s): {shown}")
    return (f"on PostgreSQL {version}, base + {len(steps)} planned statement(s) = the head spec built fresh "
            f"({len(head.tables)} tables, {len(head.enums)} enums compared)")

