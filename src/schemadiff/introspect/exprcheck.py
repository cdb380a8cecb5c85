"""Expressions the server would reject, found at plan time, not by ``apply``.

The loader parses every expression and judges the functions it calls, but only
the server knows that ``'abc'`` is no integer, that ``'x'`` is no label of the
enum, that ``now()`` is no default for an integer column, that a CHECK or a
policy must be boolean, or that ``text > integer`` has no operator. So, when
``plan`` has a database, each expression the plan would write (one the database
does not already hold) is given to the server on a temporary copy of its table
(the spec's columns; ``pg_temp``), inside a transaction that is always rolled
back — the same sandbox as ``converge``'s probes, and the same batch: one
statement for all of them, and one by one only when the batch fails, to name
each failure. Nothing real is touched. The copies hold no rows, and a CHECK
is tried NOT VALID, a default and a policy are only stored: none of these is
computed. An index predicate or expression and a generated column are: the
server folds their constant parts as it takes them (``1/0`` is an error there,
a costly constant costs its time). So each probe runs under the transaction-local
``statement_timeout`` of ``sandbox``; one that outlives it is a plan error for
its expression (``Rejected``), never a crash.

Only a rejection that does not depend on what the plan itself creates is
reported: a type, table or sequence the plan has yet to create is not an error
(``42P01``, ``42704``, ``3F000``, ``42P06``), and neither is a table whose copy
cannot be made (a type of the plan), nor a declared ``external`` function the
database does not have (a development database may lack it; the target's apply
judges it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import psycopg
from pglast.parser import ParseError, parse_sql_json

from .. import changes as c
from ..identifiers import quote_ident, quote_qualified
from ..model import Schema, Table
from ..relnames import qualify_relations
from . import sandbox, standins
from ..sqltext import flat, pin_literals

# The server's "does not exist (yet)": the plan may be about to create it.
_NOT_YET = frozenset({"42P01", "42704", "3F000", "42P06", "3D000"})
# Where a probe's own name takes its number: a NUL, which no identifier and no
# expression of a spec holds (the loader refuses it), so nothing else is replaced.
_N = "\x00"


@dataclass(frozen=True)
class Rejected:
    change: c.Change  # locates the spec line (locate.locate)
    what: str  # "default of column n", "check t_n_check", "policy p (using)"…
    message: str  # the server's


def _sql(expression: str, table: Table) -> str:
    return pin_literals(flat(qualify_relations(expression, table.schema)))


def _probes(t: Table, cur: Table | None, index_sql=None) -> list[tuple[c.Change, str, str]]:
    """(change, what, statement) for each expression of ``t`` the database does not hold,
    and (with ``index_sql``, the compiler's CREATE INDEX of an index) each new index whole:
    its operator classes, collations and method."""
    rel = "pg_temp." + quote_ident(t.name)
    out = []
    old_cols = {col.name: col for col in cur.columns} if cur else {}
    for col in t.columns:
        old = old_cols.get(col.name)
        if col.default is not None and not col.serial and "nextval" not in col.default \
                and (old is None or old.default != col.default):
            out.append((c.AddColumn(t.qualified, col), f"the default of column {col.name}",
                        f"ALTER TABLE {rel} ALTER COLUMN {quote_ident(col.name)} SET DEFAULT {_sql(col.default, t)}"))
        if col.generated is not None and (old is None or old.generated != col.generated):
            out.append((c.AddColumn(t.qualified, col), f"the generated expression of column {col.name}",
                        f"ALTER TABLE {rel} ADD COLUMN schemadiff_probe_g{_N} {col.type} GENERATED ALWAYS AS "
                        f"({_sql(col.generated, t)}) STORED"))
    old_checks = {x.name: x.expression for x in cur.checks} if cur else {}
    for x in t.checks:
        if old_checks.get(x.name) != x.expression:
            out.append((c.AddCheck(t.qualified, x), f"check {x.name}",
                        f"ALTER TABLE {rel} ADD CONSTRAINT schemadiff_probe{_N} CHECK ({_sql(x.expression, t)}) NOT VALID"))
    old_ix = {ix.name: ix for ix in cur.indexes} if cur else {}
    for ix in t.indexes:
        old = old_ix.get(ix.name)
        if ix.where is not None and (old is None or old.where != ix.where):
            first = quote_ident(t.columns[0].name)
            out.append((c.AddIndex(t.qualified, ix), f"the predicate of index {ix.name}",
                        f"CREATE INDEX schemadiff_probe_ix{_N} ON {rel} ({first}) WHERE {_sql(ix.where, t)}"))
        for n, e in enumerate(ix.elements):
            same = old is not None and n < len(old.elements) and old.elements[n].expression == e.expression
            if e.expression is not None and not same:
                out.append((c.AddIndex(t.qualified, ix), f"expression {n + 1} of index {ix.name}",
                            f"CREATE INDEX schemadiff_probe_ix{_N} ON {rel} (({_sql(e.expression, t)}))"))
    if index_sql is not None:
        for ix in t.indexes:
            if old_ix.get(ix.name) == ix:
                continue
            head = f"{quote_ident(ix.name)} ON {quote_qualified(t.schema, t.name)}"
            sql = index_sql(t, ix)
            if head in sql:  # the same statement, on the copy, under a probe's name
                out.append((c.AddIndex(t.qualified, ix), f"index {ix.name}",
                            sql.replace(head, f"schemadiff_probe_ix{_N} ON {rel}", 1)))
    old_pol = {p.name: p for p in cur.policies} if cur else {}
    for p in t.policies:
        old = old_pol.get(p.name)
        for key in ("using", "with_check"):
            text = getattr(p, key)
            if text is not None and (old is None or getattr(old, key) != text):
                clause = "USING" if key == "using" else "WITH CHECK"
                command = "" if clause == "USING" else " FOR INSERT"
                out.append((c.AddPolicy(t.qualified, p), f"policy {p.name} ({key})",
                            f"CREATE POLICY schemadiff_probe{_N} ON {rel}{command} {clause} ({_sql(text, t)})"))
    return out


def _column(col) -> str:
    collate = f" COLLATE {quote_ident(col.collation)}" if col.collation else ""
    return f"{quote_ident(col.name)} {col.type}{collate}"


def _create(t: Table) -> str:
    return f"CREATE TEMP TABLE {quote_ident(t.name)} ({', '.join(_column(col) for col in t.columns)})"


def _new_columns(t: Table, cur: Table | None) -> list:
    old = {col.name: col for col in cur.columns} if cur else {}
    return [col for col in t.columns if col.name not in old or old[col.name].collation != col.collation]


def rejected(conn: psycopg.Connection, desired: Schema, current: Schema, index_sql=None) -> list[Rejected]:
    """Every new expression, column type and collation, and index of ``desired`` the
    server rejects, with its message. ``index_sql(table, index)``: the compiler's
    CREATE INDEX text (this module does not compile). ``conn``: autocommit, idle; left so."""
    external = {(f.schema, f.name) for f in desired.external.functions}
    # Labels this plan adds to an enum the database has: committed before the rest of the
    # plan runs (its first phase), so the server cannot take them yet, but apply's will.
    had = {e.qualified: set(e.values) for e in current.enums}
    pending = {label for e in desired.enums if e.qualified in had for label in set(e.values) - had[e.qualified]}
    new_extensions = {x.name for x in desired.extensions} - {x.name for x in current.extensions}
    work = [(t, _probes(t, current.table(t.qualified), index_sql), _new_columns(t, current.table(t.qualified)))
            for t in desired.tables]
    work = [(t, [(ch, what, sql.replace(_N, str(n))) for n, (ch, what, sql) in enumerate(probes)], new)
            for t, probes, new in work if probes or new]
    if not work:
        return []
    calls = standins.wanted([sql for _, probes, _ in work for _, _, sql in probes], desired.functions)
    found: list[Rejected] = []
    conn.autocommit = False
    try:
        sandbox.pin(conn)
        if calls:  # the spec's functions an expression calls: stand-ins, never their bodies (standins)
            made = standins.install(conn, desired.functions, calls)
            work = [(t, [(ch, what, standins.redirect(sql, desired.functions, made)) for ch, what, sql in probes],
                     new) for t, probes, new in work]
        names = [t.name for t, _, _ in work]
        if len(set(names)) == len(names):
            # The common case, a spec the server takes: every copy and every probe in one statement.
            try:
                with conn.transaction():
                    conn.execute(";\n".join([_create(t) for t, _, _ in work]
                                            + [sql for _, probes, _ in work for _, _, sql in probes]))
                    raise psycopg.Rollback()
                return []
            except psycopg.Error:
                pass
        # Something failed: table by table (a type the plan creates leaves that table
        # out), then its probes at once, one by one only when they fail together.
        for t, probes, new in work:
            try:
                with conn.transaction():
                    conn.execute(_create(t))
            except psycopg.Error as exc:
                if exc.sqlstate not in _NOT_YET or any(col.collation for col in new):  # which column
                    found += _columns_rejected(conn, t, new)
                continue
            failed: set[str] = set()
            try:
                with conn.transaction():
                    if probes:
                        conn.execute(";\n".join(s for _, _, s in probes))
                    raise psycopg.Rollback()
            except psycopg.Error:
                for change, what, statement in probes:
                    try:
                        with conn.transaction():
                            conn.execute(statement)
                            raise psycopg.Rollback()
                    except psycopg.Error as exc:
                        # An operator class the index needs but nothing has (no default one for the
                        # method, no such name) is an error, unless the plan creates an extension.
                        opclass = what.startswith("index ") and exc.sqlstate == "42704" and not new_extensions
                        if (exc.sqlstate in _NOT_YET and not opclass) or (
                                exc.sqlstate == "42883" and _calls(statement, external)) or (
                                exc.sqlstate == "22P02" and _pending_label(exc, pending)):
                            continue
                        name = getattr(getattr(change, "index", None), "name", None)
                        if what.startswith("index ") and name in failed:
                            continue  # its predicate or expression already said why
                        if name is not None:
                            failed.add(name)
                        found.append(Rejected(change, what, sandbox.timed_out_message()
                                              if exc.sqlstate == sandbox.CANCELED
                                              else standins.restore(_message(exc), desired.functions)))
            finally:
                with conn.transaction():
                    conn.execute(f"DROP TABLE IF EXISTS pg_temp.{quote_ident(t.name)}")
    finally:
        conn.rollback()
        conn.autocommit = True
    return found


def _pending_label(exc: psycopg.Error, pending: set[str]) -> bool:
    """``invalid input value for enum public.mood: "meh"`` for a label the plan adds first."""
    message = exc.diag.message_primary or ""
    return message.startswith("invalid input value for enum ") and any(
        message.endswith(f': "{label}"') for label in pending)


def _columns_rejected(conn: psycopg.Connection, t: Table, new: list) -> list[Rejected]:
    out = []
    for col in new:
        try:
            with conn.transaction():
                conn.execute(f"CREATE TEMP TABLE schemadiff_probe_col ({_column(col)})")
                raise psycopg.Rollback()
        except psycopg.Error as exc:
            if exc.sqlstate not in _NOT_YET or (col.collation and _takes(conn, replace(col, collation=None))):
                # (a collation the server does not have: the plan never creates one)
                out.append(Rejected(c.AddColumn(t.qualified, col), f"column {col.name}", _message(exc)))
    return out


def _takes(conn: psycopg.Connection, col) -> bool:
    try:
        with conn.transaction():
            conn.execute(f"CREATE TEMP TABLE schemadiff_probe_col ({_column(col)})")
            raise psycopg.Rollback()
    except psycopg.Rollback:
        return True
    except psycopg.Error:
        return False
    return True


def _calls(statement: str, external: set[tuple[str, str]]) -> bool:
    """Whether a probe calls a declared external function: one the database may not
    have yet (a development database) is for the target's apply to judge."""
    if not external:
        return False
    try:
        tree = json.loads(parse_sql_json(statement))
    except ParseError:
        return False
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            call = node.get("FuncCall")
            if isinstance(call, dict):
                name = tuple(n.get("String", {}).get("sval", "") for n in call.get("funcname", ()))
                if len(name) == 2 and name in external:
                    return True
            todo.extend(v for v in node.values() if isinstance(v, (dict, list)))
    return False


def _message(exc: psycopg.Error) -> str:
    diag = exc.diag
    message = diag.message_primary or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if diag.message_detail:
        message += f" (DETAIL: {diag.message_detail})"
    if diag.message_hint:
        message += f" (HINT: {diag.message_hint})"
    return message.replace("pg_temp.", "")
