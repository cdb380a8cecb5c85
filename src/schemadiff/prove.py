"""``check --prove``: the planned migration, run for real, gives the head spec.

In a throwaway embedded PostgreSQL: database ``prove_a`` gets the base spec's
DDL, then the steps the check approved, through the same guard and runner
``apply`` uses; database ``prove_b`` gets the head spec's DDL from scratch.
Both are introspected and must not differ — proof that the migration is
correct, not only allowed — and nothing the base had may be gone or changed
in a way the rules refuse.

The head spec comes from a pull request: everything it leads to runs in a
**sandbox** (docs/ci.md, "Trust model"). The superuser of the throwaway
server only creates a role for the proof (LOGIN with a generated password,
sent as a SCRAM-SHA-256 verifier computed on the client, never in clear; no
attribute, member of nothing), the proof databases owned by it, and the
external roles the specs name (plain NOLOGIN roles); it never opens a session
in a proof database. Everything else — ``--prove-setup`` SQL, the stubs, the
base and head DDL, the planned steps, the introspection — runs in sessions
of that role, and every statement derived from a spec passes the final guard
of ``apply`` first. A statement that slips past the guard still cannot run a
program, read or write a server file, or leave its database.

What the spec names as external (tables it references, roles its policies
grant to) does not exist in a new database: external tables are stubbed with
the referenced columns (typed like the referencing ones) under a unique key,
compiled with the spec's own tables (so the guard judges them too), roles are
created; ``setup`` SQL, when given, runs first in both databases
(for external functions and anything else a stub cannot guess).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from .apply import ApplyError, ApplyOptions, GuardError, Runner, StepView, guard
from .check import offline_volatile
from .compile import compile_schema
from .compile.changes import TRANSACTIONAL
from .diff import diff
from .identifiers import choose_name, column_names_part
from .introspect import IntrospectError, introspect
from .introspect.connect import scrub
from .model import Column, QualifiedName, Schema, Table, UniqueConstraint
from .oneline import one_line
from .plan import Plan, build_plan
from .planning import managed_schemas

SANDBOX_ROLE = "schemadiff_prove"
DATABASES = ("prove_a", "prove_b")


class ProveError(Exception):
    """Not proved. ``refused``: the migration is not additive (exit 3), else it is wrong or could not run (exit 1)."""

    def __init__(self, message: str, *, refused: bool = False):
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True)
class Sandbox:
    """The proof's unprivileged role and a conninfo per proof database, as that role."""

    role: str
    dsns: dict[str, str] = field(repr=False)  # they hold the role's password: never in a repr or a traceback

    def connect(self, database: str) -> psycopg.Connection:
        return psycopg.connect(self.dsns[database], autocommit=True, connect_timeout=10)


def open_sandbox(admin_dsn: str, databases: Iterable[str] = DATABASES, roles: Iterable[str] = ()) -> Sandbox:
    """As the server's superuser: a new role owning new ``databases`` and nothing
    else, and the plain NOLOGIN ``roles`` a spec names. The superuser session
    ends here and never enters a proof database."""
    password = secrets.token_urlsafe(32)
    role = sql.Identifier(SANDBOX_ROLE)
    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=10) as conn:
        # Before PostgreSQL 16 a NOINHERIT role cannot use what the implicit pg_database_owner
        # holds (CREATE on schema public of its own databases): INHERIT there, where the role
        # is a member of no role at all, brings that and nothing else.
        inherit = "INHERIT" if conn.info.server_version < 160000 else "NOINHERIT"
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                             "NOBYPASSRLS " + inherit).format(role, sql.Literal(scram_verifier(conn, password))))
        existing = {r for (r,) in conn.execute("SELECT rolname FROM pg_catalog.pg_roles")}
        for name in sorted(set(roles) - existing):
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN NOINHERIT").format(sql.Identifier(name)))
        for name in ("postgres", "template1"):  # the role may open sessions in its own databases only
            conn.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
        dsns = {}
        for name in databases:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0").format(sql.Identifier(name), role))
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
            dsns[name] = make_conninfo(admin_dsn, dbname=name, user=SANDBOX_ROLE, password=password)
    return Sandbox(SANDBOX_ROLE, dsns)


def scram_verifier(conn: psycopg.Connection, password: str) -> str:
    """The SCRAM-SHA-256 verifier of ``password`` for the sandbox role, computed here
    by libpq (``PQencryptPasswordConn``): ``CREATE ROLE … PASSWORD`` then carries
    only the salted verifier, never the password itself, so a server that logs DDL
    (``log_statement = ddl``), or an error, writes no secret to its log. The
    server stores a verifier as it is, whatever its ``password_encryption``."""
    verifier = conn.pgconn.encrypt_password(password.encode(), SANDBOX_ROLE.encode(), b"scram-sha-256").decode()
    if not verifier.startswith("SCRAM-SHA-256$") or password in verifier:
        raise ProveError("libpq did not compute a SCRAM-SHA-256 verifier for the proof's role")
    return verifier


@contextlib.contextmanager
def throwaway_sandbox(databases: Iterable[str] = DATABASES, roles: Iterable[str] = (),
                      timeout: float | None = None, server_dsn: str | None = None
                      ) -> Iterator[tuple[Sandbox, str, Watchdog]]:
    """(sandbox, server version, watchdog) on a new embedded PostgreSQL, deleted after;
    or, with ``server_dsn`` (a superuser's DSN of a throwaway server the user runs, e.g. a
    CI service container of the production major version), on that server, where what the
    proof created is dropped after (``server_sandbox``).
    After ``timeout`` seconds the watchdog ends every session of the sandbox role."""
    from .embedded import throwaway_database

    server = server_sandbox(server_dsn, databases, roles) if server_dsn else None
    with (throwaway_database() if server is None else contextlib.nullcontext(server_dsn)) as admin:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
        with (server if server is not None else contextlib.nullcontext(open_sandbox(admin, databases, roles))) as box:
            watchdog = Watchdog(admin, box.role, timeout)
            try:
                yield box, version, watchdog
            finally:
                watchdog.cancel()


@contextlib.contextmanager
def server_sandbox(admin_dsn: str, databases: Iterable[str], roles: Iterable[str]) -> Iterator[Sandbox]:
    """The sandbox on a server the user runs (``check --prove-dsn``), left as found: it must
    hold none of the proof's databases and not its role (else ProveError, nothing touched);
    afterwards the proof databases, the sandbox role and the roles the proof created are
    dropped, and the CONNECT and TEMPORARY grants to PUBLIC it revoked are given back."""
    databases, roles = list(databases), list(roles)
    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=10) as conn:
        superuser = conn.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user").fetchone()
        if not (superuser and superuser[0]):
            raise ProveError("--prove-dsn must name a superuser of the server (it creates the proof's role and "
                             "databases)")
        taken = [d for (d,) in conn.execute("SELECT datname FROM pg_catalog.pg_database WHERE datname = ANY(%s)",
                                            (databases,))]
        if conn.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", (SANDBOX_ROLE,)).fetchone():
            taken.append(f"role {SANDBOX_ROLE}")
        if taken:
            raise ProveError(f"the server of --prove-dsn already holds {', '.join(taken)}: the proof needs a server "
                             "without them (a throwaway one); nothing was changed")
        existing = {r for (r,) in conn.execute("SELECT rolname FROM pg_catalog.pg_roles")}
        granted = {name: conn.execute(
            "SELECT pg_catalog.has_database_privilege('public', %s, 'CONNECT'), "
            "pg_catalog.has_database_privilege('public', %s, 'TEMPORARY')", (name, name)).fetchone()
            for name in ("postgres", "template1")}
    try:
        yield open_sandbox(admin_dsn, databases, roles)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=10) as conn:
            conn.execute("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
                         "WHERE usename = %s", (SANDBOX_ROLE,))
            for name in databases:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            for name in [SANDBOX_ROLE, *sorted(set(roles) - existing)]:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
            for name, (can_connect, can_temp) in granted.items():
                for ok, privilege in ((can_connect, "CONNECT"), (can_temp, "TEMPORARY")):
                    if ok:
                        conn.execute(sql.SQL("GRANT {} ON DATABASE {} TO PUBLIC").format(
                            sql.SQL(privilege), sql.Identifier(name)))


class Watchdog:
    """Ends the sandbox role's sessions (from the superuser's session in database
    ``postgres``, never a proof database) once the proof has run ``timeout``
    seconds: SQL from a pull request cannot hold the CI job, whatever it sets."""

    def __init__(self, admin_dsn: str, role: str, timeout: float | None):
        self.admin_dsn, self.role, self.timeout = admin_dsn, role, timeout
        self.fired = threading.Event()
        self._timer = threading.Timer(timeout, self._fire) if timeout else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        self.fired.set()
        try:
            with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=10) as conn:
                conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(self.role)))
                conn.execute("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
                             "WHERE usename = %s", (self.role,))
        except psycopg.Error:
            pass  # the server is going away already

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _stubs(*schemas: Schema) -> list[Table]:
    """The external tables the specs refer to, as tables of the model: the
    referenced columns, typed like the referencing ones, under a unique key."""
    columns: dict[QualifiedName, dict[str, str]] = {}
    keys: dict[QualifiedName, set[tuple[str, ...]]] = {}
    for schema in schemas:
        external = set(schema.external.tables)
        for t in schema.tables:
            types = {col.name: col.type for col in t.columns}
            for fk in t.foreign_keys:
                if fk.ref_table in external:
                    cols = columns.setdefault(fk.ref_table, {})
                    for mine, theirs in zip(fk.columns, fk.ref_columns):
                        cols.setdefault(theirs, types[mine])
                    keys.setdefault(fk.ref_table, set()).add(tuple(fk.ref_columns))
    out = []
    for q in sorted(columns):
        taken: set[str] = set()
        uniques = []
        for key in sorted(keys[q]):
            name = choose_name(q.name, column_names_part(key), "key", taken)
            taken.add(name)
            uniques.append(UniqueConstraint(name, key))
        out.append(Table(q.schema, q.name, tuple(Column(n, t) for n, t in columns[q].items()),
                         uniques=tuple(uniques)))
    return out


def _with_stubs(schema: Schema | None, stubs: list[Table]) -> Schema:
    """``schema`` (or an empty one) with the stub tables, and their schemas, as if
    it managed them: they are compiled, ordered and guarded like its own."""
    schema = schema or Schema()
    if not stubs:
        return schema
    names = sorted({t.schema for t in stubs} - {"public"} - set(schema.schemas))
    return replace(schema, schemas=tuple(sorted(set(schema.schemas) | set(names))),
                   tables=tuple(sorted(schema.tables + tuple(stubs), key=lambda t: t.qualified)))


def _roles(*schemas: Schema) -> set[str]:
    return {r for s in schemas for r in s.external.roles}


def run_guarded(conn: psycopg.Connection, steps: list[StepView], say: Callable[[str], None] = lambda text: None,
                dsn: str | None = None) -> int:
    """Run ``steps`` on ``conn`` as ``apply`` would: the final guard refuses the
    whole list (ProveError, refused) before the first statement, else the runner
    runs it by phases. Returns the number of statements run."""
    try:
        guard(conn, steps)
    except GuardError as exc:
        shown = "; ".join(one_line(str(p)) for p in exc.problems[:5])
        raise ProveError(f"refused by the final guard, as apply would refuse it; nothing of it ran: {shown}",
                         refused=True) from None
    try:
        return Runner(conn, ApplyOptions(), say, dsn=dsn).run(steps).statements
    except ApplyError as exc:
        raise ProveError(str(exc)) from None


def _build(box: Sandbox, database: str, setup: str | None, stubs: list[Table], schema: Schema | None,
           what: str) -> None:
    """Setup SQL, then a spec's DDL with the stubs, in one proof database, as the sandbox role."""
    with box.connect(database) as conn:
        if setup:
            try:
                conn.execute(setup)
            except psycopg.Error as exc:
                raise ProveError(f"the --prove-setup SQL failed in the proof's sandbox (it runs as an unprivileged "
                                 f"role that owns the proof database): {_first_line(exc)}") from None
        steps = [StepView(TRANSACTIONAL, s.sql, what) for s in compile_schema(_with_stubs(schema, stubs))]
        try:
            run_guarded(conn, steps)
        except ProveError as exc:
            raise ProveError(f"building {what} from scratch: {exc}", refused=exc.refused) from None


def prove(base: Schema | None, head: Schema, plan: Plan, *, setup_sql: str | None = None,
          say: Callable[[str], None] = lambda text: None, timeout: float | None = None,
          server_dsn: str | None = None) -> str:
    """Raise ProveError unless base + plan == head in a sandboxed PostgreSQL; return a one-line account.
    ``timeout``: seconds the SQL of the proof may run in all, after which it is stopped (not proved)."""
    if plan.refused:
        raise ProveError("the plan is refused; there is nothing to prove", refused=True)
    schemas = [s for s in (base, head) if s is not None]
    stubs = _stubs(*schemas)
    scope = sorted(set(managed_schemas(head)) | set(managed_schemas(base or Schema())))
    steps = [StepView(s.phase, s.sql, f"{s.change.target()}: {s.detail or s.change.describe()}")
             for s in plan.steps]
    if server_dsn:
        say("prove: on the server of --prove-dsn (the proof runs as an unprivileged role; what it creates there "
            "is dropped after)")
    else:
        say("prove: starting a throwaway embedded PostgreSQL (the proof runs as an unprivileged role)")
    watchdog = None
    try:
        with throwaway_sandbox(DATABASES, _roles(*schemas), timeout, server_dsn) as (box, version, watchdog):
            _build(box, "prove_a", setup_sql, stubs, base, "the base spec")
            _build(box, "prove_b", setup_sql, stubs, head, "the head spec")
            say(f"prove: built the base; applying {len(steps)} planned statement(s)")
            with box.connect("prove_a") as conn:
                before = introspect(conn, scope, missing_ok=True).schema
                run_guarded(conn, steps, lambda text: say(f"prove: {text.strip()}"), dsn=box.dsns["prove_a"])
                migrated = introspect(conn, scope, missing_ok=True).schema
            with box.connect("prove_b") as conn:
                fresh = introspect(conn, scope, missing_ok=True).schema
    except (psycopg.Error, ProveError) as exc:
        if watchdog is not None and watchdog.fired.is_set():
            raise ProveError(f"the proof ran longer than its timeout ({timeout:g}s) and was stopped") from None
        if isinstance(exc, ProveError):
            raise
        raise ProveError(f"the proof could not run: {_first_line(exc)}") from None
    except IntrospectError as exc:
        raise ProveError(f"the proof databases hold what the spec language cannot express: "
                         f"{'; '.join(exc.problems[:5])}") from None
    harmed = destroyed(before, migrated)
    if harmed:
        raise ProveError(f"the planned migration changed what the base had in {len(harmed)} way(s) the rules refuse: "
                         + "; ".join(harmed[:10]), refused=True)
    left = diff(migrated, fresh)
    if left:
        shown = "; ".join(f"{ch.target()}: {ch.describe()}" for ch in left[:10])
        raise ProveError(f"the migrated base differs from the head built fresh in {len(left)} way(s): {shown}")
    return (f"on PostgreSQL {version}, base + {len(steps)} planned statement(s) = the head spec built fresh "
            f"({len(head.tables)} tables, {len(head.enums)} enums"
            + (f", {len(head.sequences)} sequences" if head.sequences else "") + " compared), as an unprivileged role, "
            "nothing of the base dropped or changed")


def destroyed(before: Schema, after: Schema) -> list[str]:
    """What really happened to a database, judged by the same rules as the plan:
    every refused change (a table, column, index, constraint, policy, enum value
    of ``before`` gone or narrowed in ``after``), one line each."""
    realized = build_plan(before, after, mode="spec", is_volatile=offline_volatile, steps_when_refused=False)
    out = []
    for i in realized.refused:
        ch = realized.changes[i]
        codes = ", ".join(f.code for f in realized.findings[i] if f.verdict.name == "REFUSE")
        out.append(one_line(f"{ch.target()}: {ch.describe()} [{codes}]"))
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return scrub(one_line(text.splitlines()[0] if text else type(exc).__name__))
