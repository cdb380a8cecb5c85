"""Executing a plan against a live database.

Promises (see docs/apply.md): the session pins its settings (``pin_session``:
``search_path``, ``standard_conforming_strings``, integer-millisecond timeouts
within bounds, each read back) and the final guard runs before anything; one apply at a
time per database (advisory lock, bounded wait); the transactional phases commit
all or nothing; concurrent index builds run outside transactions; every step has
``lock_timeout`` and ``statement_timeout`` set first; a step that hits the lock
timeout is retried with backoff a bounded number of times, then apply stops and
says where. A re-run after any failure converges: the next plan starts from
what is there (an INVALID index left by a failed concurrent build is rebuilt).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import psycopg
from psycopg import errors

from . import rlsrace
from .apply_errors import advice, server_message
from .compile.changes import CONCURRENT, ENUM_VALUES, TRANSACTIONAL, VALIDATE
from .guard import Catalog, GuardProblem, SequenceFacts, check_steps
from .introspect.connect import (  # noqa: F401 (re-exported)
    SEARCH_PATH,
    SettingsError,
    check_settings,
    scrub,
    set_settings,
)
from .model import QualifiedName
from .timeouts import MAX_LOCK_WAIT, MAX_RETRIES, lock_timeout_ms, shown, statement_timeout_ms

# The pg_advisory_lock key of schemadiff apply (any fixed bigint; this one spells nothing).
ADVISORY_KEY = 0x5C4E_D1FF_A991_7000




@dataclass
class ApplyOptions:
    """Timeouts are integer milliseconds; text such as ``"5s"`` is read by
    ``timeouts.parse_ms`` (bounds included). Anything out of bounds: ValueError."""

    lock_timeout: int | str = 5000
    statement_timeout: int | str = 60000  # of the transactional phases; 0 (none) for builds and validations
    retries: int = 4  # after a lock timeout: this many more tries per step or phase
    backoff: float = 1.0  # seconds before the first retry; doubled each time
    lock_wait: float = 30.0  # seconds to wait for another apply to finish
    progress_interval: float = 2.0  # seconds between progress lines of a concurrent build

    def __post_init__(self):
        self.lock_timeout = lock_timeout_ms(self.lock_timeout)
        self.statement_timeout = statement_timeout_ms(self.statement_timeout)
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) \
                or not 0 <= self.retries <= MAX_RETRIES:
            raise ValueError(f"retries must be an integer from 0 to {MAX_RETRIES}")
        for name in ("backoff", "lock_wait", "progress_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not 0 <= value <= MAX_LOCK_WAIT:
                raise ValueError(f"{name} must be a number of seconds from 0 to {MAX_LOCK_WAIT:g}")


class ApplyError(Exception):
    def __init__(self, message: str, done: int = 0):
        super().__init__(message)
        self.done = done


class GuardError(Exception):
    def __init__(self, problems: list[GuardProblem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class LateGuardError(GuardError):
    """The final guard's refusal found inside a transaction (rlsrace.py): that transaction
    rolled back; ``done`` statements of earlier transactions are committed."""

    def __init__(self, problems: list[GuardProblem], done: int):
        super().__init__(problems)
        self.done = done


@dataclass
class StepView:
    """What apply runs: a phase, the SQL, and a label for progress lines."""

    phase: str
    sql: str
    label: str


@dataclass
class ApplyResult:
    statements: int = 0
    seconds: float = 0.0
    retries: int = 0
    events: list[str] = field(default_factory=list)


def pinned(lock_ms: int, statement_ms: int) -> dict[str, str]:
    return {"search_path": SEARCH_PATH, "standard_conforming_strings": "on",
            "lock_timeout": f"{int(lock_ms)}ms", "statement_timeout": f"{int(statement_ms)}ms"}


def pin_session(conn: psycopg.Connection, options: ApplyOptions) -> None:
    """Before anything else on a connection to the target: ``search_path``
    (every name the compiler writes that is not built in is schema-qualified),
    ``standard_conforming_strings = on`` (what the guard's parser assumes), and
    the timeouts, as integer milliseconds, for the session — each read back.
    Every function called here is schema-qualified: until search_path is pinned
    it is whatever the database's or role's settings make it."""
    set_settings(conn, pinned(options.lock_timeout, options.statement_timeout), local=False)


def index_is_invalid(conn: psycopg.Connection, schema: str, name: str) -> bool:
    """Does the database hold this index INVALID (a failed concurrent build)?"""
    row = conn.execute(
        "SELECT NOT i.indisvalid FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = %s AND n.nspname = %s",
        (name, schema)).fetchone()
    return bool(row and row[0])


# guard.Catalog.domain_expressions: the domain and the domains under it, outermost first.
_DOMAIN_CHAIN = """
WITH RECURSIVE chain(oid, depth) AS (
  SELECT t.oid, 0 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = %s AND t.typname = %s AND t.typtype = 'd'
  UNION ALL SELECT t.typbasetype, c.depth + 1 FROM chain c JOIN pg_catalog.pg_type t ON t.oid = c.oid
  WHERE t.typtype = 'd' AND c.depth < 100
)
SELECT 'default', pg_catalog.pg_get_expr(t.typdefaultbin, 0), c.depth, 0::pg_catalog.oid FROM chain c
JOIN pg_catalog.pg_type t ON t.oid = c.oid WHERE t.typtype = 'd' AND t.typdefaultbin IS NOT NULL
UNION ALL SELECT 'check', pg_catalog.pg_get_expr(con.conbin, 0), c.depth, con.oid FROM chain c
JOIN pg_catalog.pg_constraint con ON con.contypid = c.oid WHERE con.contype = 'c'
ORDER BY 3, 1, 4
"""


class LiveCatalog(Catalog):
    """The guard's questions, asked of the target database."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self._builtins: set[tuple[str, str]] | None = None
        self._asked: dict = {}  # the guard's questions asked once per plan (routines)

    def invalid_index(self, schema, name):
        return index_is_invalid(self.conn, schema, name)

    def is_check(self, schema, table, name):
        row = self.conn.execute(
            "SELECT con.contype FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND n.nspname = %s AND con.conname = %s",
            (table, schema, name)).fetchone()
        return bool(row and row[0] == "c")

    def column_type(self, schema, table, column):
        row = self.conn.execute(
            "SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
            "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND n.nspname = %s AND a.attname = %s AND NOT a.attisdropped",
            (table, schema, column)).fetchone()
        return row[0] if row else None

    def builtin(self, kind, name):
        if self._builtins is None:
            self._builtins = set(self.conn.execute(
                "SELECT 'type', typname FROM pg_catalog.pg_type WHERE typnamespace = 'pg_catalog'::pg_catalog.regnamespace "
                "UNION ALL SELECT 'collation', collname FROM pg_catalog.pg_collation "
                "WHERE collnamespace = 'pg_catalog'::pg_catalog.regnamespace "
                "UNION ALL SELECT 'opclass', opcname FROM pg_catalog.pg_opclass "
                "WHERE opcnamespace = 'pg_catalog'::pg_catalog.regnamespace "
                # casts.py: a cast between built-in types or enums that runs a function outside pg_catalog
                "UNION ALL SELECT 'cast', 'CREATE CAST (' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' "
                "|| pg_catalog.format_type(c.casttarget, NULL) || ') WITH FUNCTION ' "
                "|| c.castfunc::pg_catalog.regprocedure::text FROM pg_catalog.pg_cast c "
                "JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc JOIN pg_catalog.pg_type s ON s.oid = c.castsource "
                "JOIN pg_catalog.pg_type t ON t.oid = c.casttarget "
                "WHERE p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace "
                "AND (s.typnamespace = 'pg_catalog'::pg_catalog.regnamespace OR s.typtype = 'e') "
                "AND (t.typnamespace = 'pg_catalog'::pg_catalog.regnamespace OR t.typtype = 'e')").fetchall())
        return (kind, name) in self._builtins

    def routines(self, schema, name):
        key = ("routines", schema, name)
        if key not in self._asked:
            self._asked[key] = self._routines(schema, name)
        return self._asked[key]

    def _routines(self, schema, name):
        return [tuple(row) for row in self.conn.execute(
            "SELECT p.pronargs::integer, p.pronargdefaults::integer, p.provariadic <> 0, p.provolatile::text "
            "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s AND p.proname = %s AND p.prokind <> 'p' ORDER BY p.oid", (schema, name)).fetchall()]

    def type_named(self, schema, name):
        return bool(self.conn.execute(
            "SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = %s AND t.typname = %s", (schema, name)).fetchone())

    def domain_expressions(self, schema, name):
        rows = self.conn.execute(_DOMAIN_CHAIN, (schema, name)).fetchall()
        defaults = [text for part, text, _, _ in rows if part == "default"]
        return (defaults[0] if defaults else None), [text for part, text, _, _ in rows if part == "check"]

    def foreign_casts(self):
        self.builtin("cast", "")  # the same one query
        return sorted(name for kind, name in self._builtins if kind == "cast")

    def trigger_function(self, schema, name):
        return bool(self.conn.execute(
            "SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s AND p.proname = %s AND p.pronargs = 0 AND p.prokind = 'f' "
            "AND p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype", (schema, name)).fetchone())

    def sequence(self, schema, name):
        row = self.conn.execute(
            "SELECT pg_catalog.format_type(s.seqtypid, NULL), s.seqmin, s.seqmax, s.seqincrement, "
            "EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
            "AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
            "AND d.refobjsubid <> 0 AND d.deptype IN ('a', 'i')) "
            "FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
            (schema, name)).fetchone()
        return None if row is None else SequenceFacts(*row)

    def enum(self, schema, name):
        return bool(self.conn.execute(
            "SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = %s AND t.typname = %s AND t.typtype = 'e'", (schema, name)).fetchone())


def guard(conn: psycopg.Connection, steps: list[StepView],
          external: Collection[QualifiedName] | None = None, functions: Collection = ()) -> None:
    """Refuse the whole plan unless every statement is one the compiler writes
    (guard.py). ``external``: the spec's external functions, when known;
    ``functions``: the spec's own (``speccalls.Callee``)."""
    problems = check_steps([(s.phase, s.sql) for s in steps], LiveCatalog(conn), external, functions=functions)
    if problems:
        raise GuardError(problems)


class AdvisoryLock:
    """One apply per database: a session advisory lock, waited for up to a bound."""

    def __init__(self, conn: psycopg.Connection, wait: float):
        self.conn, self.wait = conn, wait

    def __enter__(self):
        deadline = time.monotonic() + self.wait
        while True:
            if self.conn.execute("SELECT pg_catalog.pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()[0]:
                return self
            if time.monotonic() >= deadline:
                holder = self.conn.execute(
                    "SELECT pid FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                    "AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()) "
                    "AND classid::text::bigint = %s AND objid::text::bigint = %s LIMIT 1",
                    (ADVISORY_KEY >> 32, ADVISORY_KEY & 0xFFFFFFFF)).fetchone()
                who = f" (backend pid {holder[0]})" if holder else ""
                raise ApplyError(f"another schemadiff apply holds this database{who}; waited {self.wait:g}s")
            time.sleep(0.2)

    def __exit__(self, *exc):
        try:
            self.conn.execute("SELECT pg_catalog.pg_advisory_unlock(%s)", (ADVISORY_KEY,))
        except psycopg.Error:
            pass  # the session is gone; so is its lock


def _is_lock_timeout(exc: Exception) -> bool:
    return isinstance(exc, errors.LockNotAvailable)


class Runner:
    """Runs a plan's steps: pins the session, guards every statement (GuardError:
    nothing ran), then the phases. ``external``: the spec's external functions
    (None: unknown, see guard.AnyExternal)."""

    def __init__(self, conn: psycopg.Connection, options: ApplyOptions,
                 say: Callable[[str], None], dsn: str | None = None,
                 on_boundary: Callable[[int, str], None] | None = None,
                 external: Collection[QualifiedName] | None = None, functions: Collection = ()):
        self.conn, self.options, self.say, self.dsn = conn, options, say, dsn
        self.on_boundary = on_boundary or (lambda done, where: None)
        self.external = external
        self.functions = functions
        self.result = ApplyResult()

    def run(self, steps: list[StepView]) -> ApplyResult:
        try:
            pin_session(self.conn, self.options)
        except SettingsError as exc:
            raise ApplyError(f"{exc}; nothing was applied") from None
        guard(self.conn, steps, self.external, self.functions)
        try:
            return self._run(steps)
        finally:
            if not self.conn.closed and self.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                try:  # builds and validations ran without a statement timeout: the session's own again
                    pin_session(self.conn, self.options)
                except (psycopg.Error, SettingsError):
                    pass

    def _run(self, steps: list[StepView]) -> ApplyResult:
        start = time.monotonic()
        total = len(steps)
        done = 0
        for phase in (ENUM_VALUES, TRANSACTIONAL, CONCURRENT, VALIDATE):
            group = [s for s in steps if s.phase == phase]
            if not group:
                continue
            if phase in (ENUM_VALUES, TRANSACTIONAL):
                self._transaction(group, done, total, phase)
                done += len(group)
                self.on_boundary(done, f"after phase {phase}")
            else:
                for s in group:
                    if phase == CONCURRENT:
                        self._concurrent(s, done, total)
                    else:
                        self._transaction([s], done, total, phase)
                    done += 1
                    self.on_boundary(done, f"after {s.label}")
        self.result.statements = done
        self.result.seconds = time.monotonic() - start
        return self.result

    def _retrying(self, what: str, done: int, attempt_fn):
        delay = self.options.backoff
        for attempt in range(self.options.retries + 1):
            try:
                return attempt_fn()
            except psycopg.Error as exc:
                if _is_lock_timeout(exc) and attempt < self.options.retries:
                    self.result.retries += 1
                    self.say(f"    lock timeout ({shown(self.options.lock_timeout)}) on {what}; retry {attempt + 1}/"
                             f"{self.options.retries} in {delay:g}s")
                    time.sleep(delay)
                    delay *= 2
                    continue
                if _is_lock_timeout(exc):
                    raise ApplyError(f"stopped at {what}: lock timeout, retries exhausted. Nothing of this step is "
                                     f"applied; {done} statement(s) before it are. Run apply again to continue.",
                                     done) from None
                # The server's message, DETAIL and HINT; a retry advised only when it can succeed.
                said = scrub(server_message(exc), self.dsn)
                raise ApplyError(f"stopped at {what}: {said}\nNothing of this step is applied; "
                                 f"{done} statement(s) before it are. {advice(exc)}", done) from None
            except SettingsError as exc:
                raise ApplyError(f"stopped at {what}: {exc}. Nothing of this step is applied; "
                                 f"{done} statement(s) before it are.", done) from None

    def _transaction(self, group: list[StepView], done: int, total: int, phase: str) -> None:
        # VALIDATE reads every row and blocks no writes: no statement timeout (0), as for builds.
        timeout = self.options.statement_timeout if phase in (TRANSACTIONAL, ENUM_VALUES) else 0
        what = f"phase {phase} ({len(group)} statement(s))" if len(group) > 1 else group[0].label

        def attempt():
            t0 = time.monotonic()
            with self.conn.transaction():
                set_settings(self.conn, pinned(self.options.lock_timeout, timeout), local=True)
                for n, s in enumerate(group, done + 1):
                    t = time.monotonic()
                    self.conn.execute(s.sql)
                    self.say(f"  [{n}/{total}] {s.label} ({time.monotonic() - t:.2f}s)")
                    self.on_boundary(n, f"inside phase {phase}, after {s.label}")
                late = rlsrace.check(self.conn, [s.sql for s in group])
                if late:  # rolls this transaction back: no view over a newly secured table commits
                    raise LateGuardError([GuardProblem(i, group[i].sql, reason) for i, reason in late], done)
            if len(group) > 1:
                self.say(f"  committed phase {phase} ({time.monotonic() - t0:.2f}s)")

        self._retrying(what, done, attempt)

    def _concurrent(self, step: StepView, done: int, total: int) -> None:
        def attempt():
            t = time.monotonic()
            set_settings(self.conn, pinned(self.options.lock_timeout, 0), local=False)
            watcher = _ProgressWatcher(self.dsn, self.conn.info.backend_pid, self.say, self.options.progress_interval)
            watcher.start()
            try:
                self.conn.execute(step.sql)
            except psycopg.Error:
                try:
                    self._drop_own_invalid(step)
                except psycopg.Error as cleanup:  # e.g. the connection was killed: report the build's own error
                    first = (str(cleanup).strip().splitlines() or [type(cleanup).__name__])[0]
                    self.say(f"    could not drop the INVALID index the failed build may have left ({first}); "
                             "the next apply rebuilds it")
                raise
            finally:
                watcher.stop()
            self.say(f"  [{done + 1}/{total}] {step.label} ({time.monotonic() - t:.2f}s)")

        self._retrying(step.label, done, attempt)

    def _drop_own_invalid(self, step: StepView) -> None:
        """A failed CREATE INDEX CONCURRENTLY leaves an INVALID index of the name it
        was building; drop it so the retry (or the next apply) can build it."""
        from pglast import ast, parse_sql
        try:
            node = parse_sql(step.sql)[0].stmt
        except Exception:  # noqa: BLE001
            return
        if not isinstance(node, ast.IndexStmt) or not node.idxname or not node.relation.schemaname:
            return
        schema = node.relation.schemaname
        if index_is_invalid(self.conn, schema, node.idxname):
            from .identifiers import quote_qualified
            self.conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote_qualified(schema, node.idxname)}")
            self.say(f"    dropped the INVALID index {node.idxname} the failed build left")


class _ProgressWatcher:
    """Prints pg_stat_progress_create_index for a build, from a second connection."""

    def __init__(self, dsn: str | None, pid: int, say, interval: float):
        self.dsn, self.pid, self.say, self.interval = dsn, pid, say, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.dsn is None or self.interval <= 0:
            return
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                # A session of its own: its search_path too is the database's until pinned.
                conn.execute("SELECT pg_catalog.set_config('search_path', %s, false)", (SEARCH_PATH,))
                while not self._stop.wait(self.interval):
                    row = conn.execute(
                        "SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total "
                        "FROM pg_catalog.pg_stat_progress_create_index WHERE pid = %s", (self.pid,)).fetchone()
                    if row:
                        phase, bd, bt, td, tt = row
                        pct = f" {100 * bd / bt:.0f}% of blocks" if bt else ""
                        tuples = f", {td}/{tt} tuples" if tt else ""
                        self.say(f"    … {phase}{pct}{tuples}")
        except psycopg.Error:
            return
