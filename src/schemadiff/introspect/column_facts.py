"""What only the live database can tell about a plan's changes to existing tables,
found at ``plan`` time so that ``apply`` never fails half-way (brief E):

- ``catalog_facts``: the new columns whose type is a domain with a CHECK or NOT
  NULL, or with a volatile default (SD610: PostgreSQL rewrites the table to check
  every row, or to give each its own value), and the columns
  a varchar widening would change that a view, rule, policy, trigger, generated
  column or publication uses (SD611: PostgreSQL refuses ALTER COLUMN TYPE there).
  Two bounded catalog queries, every name a bound parameter.
- ``rejected_defaults``: a new column's default that its own NOT NULL, type
  (length, range), domain or a new CHECK on the new columns rejects. PostgreSQL
  gives every existing row the default, so the ADD (or the VALIDATE after it)
  would fail at apply. The default is computed once, on a temporary copy of the
  new columns holding one row (``INSERT … DEFAULT VALUES``), in the probes'
  sandbox (``sandbox.pin``: pinned search_path, statement_timeout, always rolled
  back). Only expressions that are safe to compute are: a default or CHECK that
  calls anything volatile or outside pg_catalog (``converge.volatility``) is not
  computed (SD601 refuses such a default on an existing table anyway).
- ``missing_roles``: a policy the plan writes for a role the database does not
  have (``CREATE POLICY … TO`` fails at apply). One query, the names bound.

Each problem is (the change, for its spec line; the message), as
``planning.TargetProblems`` reports them. This module runs its own queries and is
not one of ``read``'s catalog queries (whose count is pinned): these facts are about
the plan's changes, not about the schema being read.
"""

from __future__ import annotations

import psycopg

from .. import changes as c
from ..expressions import ExpressionError, parse_expression, references
from ..identifiers import quote_ident
from ..model import Column, Schema, Table
from ..rules.catalog_facts import CatalogFacts
from ..rules.facts import is_varchar_widening
from . import probe_reach, sandbox
from .converge import volatility
from .exprcheck import _message, _sql

# The server's "does not exist (yet)": a type or function the plan creates first.
_NOT_YET = frozenset({"42P01", "42704", "3F000", "42P06", "3D000", "42883"})

_DOMAINS = """
WITH RECURSIVE chain(txt, oid, depth) AS (
    SELECT w.txt, pg_catalog.to_regtype(w.txt), 0 FROM pg_catalog.unnest(%s::text[]) AS w(txt)
  UNION ALL
    SELECT ch.txt, t.typbasetype, ch.depth + 1
    FROM chain ch JOIN pg_catalog.pg_type t ON t.oid = ch.oid
    WHERE t.typtype = 'd' AND ch.depth < 64
)
SELECT ch.txt, pg_catalog.format_type(t.oid, NULL), t.typnotnull,
       ARRAY(SELECT k.conname::text FROM pg_catalog.pg_constraint k
             WHERE k.contypid = t.oid AND k.contype = 'c' ORDER BY k.conname),
       pg_catalog.pg_get_expr(t.typdefaultbin, 0)
FROM chain ch JOIN pg_catalog.pg_type t ON t.oid = ch.oid
WHERE t.typtype = 'd'
ORDER BY ch.txt, ch.depth
"""

# What makes PostgreSQL refuse ALTER COLUMN TYPE on a column (tablecmds.c,
# RememberAllDependentForRebuilding): a rule (a view's _RETURN, a materialized
# view's, a rule's), a policy, a trigger (UPDATE OF, WHEN), a publication's row
# filter or column list, and a generated column of the same table (its expression,
# in pg_attrdef, depends on the column).
_USERS = """
SELECT w.s, w.t, w.c,
       CASE WHEN g.attname IS NOT NULL
            THEN 'generated column ' || pg_catalog.quote_ident(g.attname) || ' of ' || r.oid::pg_catalog.regclass::text
            ELSE pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) END
FROM ROWS FROM (pg_catalog.unnest(%s::text[]), pg_catalog.unnest(%s::text[]), pg_catalog.unnest(%s::text[]))
     AS w(s, t, c)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.s
JOIN pg_catalog.pg_class r ON r.relnamespace = n.oid AND r.relname = w.t
JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attname = w.c AND NOT a.attisdropped
JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
     AND d.refobjid = r.oid AND d.refobjsubid = a.attnum
LEFT JOIN pg_catalog.pg_attrdef ad ON d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND ad.oid = d.objid
LEFT JOIN pg_catalog.pg_attribute g ON g.attrelid = ad.adrelid AND g.attnum = ad.adnum AND g.attgenerated <> ''
     AND g.attnum <> a.attnum
WHERE d.classid IN ('pg_catalog.pg_rewrite'::pg_catalog.regclass, 'pg_catalog.pg_policy'::pg_catalog.regclass,
                    'pg_catalog.pg_trigger'::pg_catalog.regclass,
                    'pg_catalog.pg_publication_rel'::pg_catalog.regclass)
   OR g.attname IS NOT NULL
ORDER BY 1, 2, 3, 4
"""

_ROLES = """
SELECT w.name FROM pg_catalog.unnest(%s::text[]) AS w(name)
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = w.name)
ORDER BY 1
"""


def _added_columns(desired: Schema, current: Schema) -> list[tuple[Table, Table, list[Column]]]:
    """(desired table, current table, its new columns) for each existing table the plan adds columns to."""
    out = []
    for t in desired.tables:
        cur = current.table(t.qualified)
        if cur is None:
            continue
        have = {col.name for col in cur.columns}
        new = [col for col in t.columns if col.name not in have]
        if new:
            out.append((t, cur, new))
    return out


def _in_sandbox(conn: psycopg.Connection, work):
    """Run ``work(conn)`` in a pinned transaction that is always rolled back; ``conn``:
    autocommit, idle, left so."""
    conn.autocommit = False
    try:
        sandbox.pin(conn)
        return work(conn)
    finally:
        conn.rollback()
        conn.autocommit = True


def catalog_facts(conn: psycopg.Connection, desired: Schema, current: Schema) -> CatalogFacts:
    types = sorted({col.type for _, _, new in _added_columns(desired, current) for col in new})
    widened = []
    for t in desired.tables:
        cur = current.table(t.qualified)
        if cur is None:
            continue
        before = {col.name: col.type for col in cur.columns}
        widened += [(t.schema, t.name, col.name) for col in t.columns
                    if col.name in before and before[col.name] != col.type
                    and is_varchar_widening(before[col.name], col.type)]
    if not types and not widened:
        return CatalogFacts()

    def read(conn):
        domains: dict[str, list[str]] = {}
        defaults: dict[str, str] = {}
        if types:
            for txt, name, notnull, checks, default in _domain_rows(conn, types):  # the domain first, then its bases
                of = "" if name == txt else f" of {name}"
                parts = domains.setdefault(txt, [])
                parts += ([f"NOT NULL{of}"] if notnull else []) + [f"CHECK {k}{of}" for k in checks]
                if default is not None:
                    defaults.setdefault(txt, default)  # the nearest domain's default is the one used
        volatile = volatility(conn, sorted(set(defaults.values()))) if defaults else {}
        users: dict = {}
        if widened:
            rows = conn.execute(_USERS, ([s for s, _, _ in widened], [t for _, t, _ in widened],
                                         [col for _, _, col in widened])).fetchall()
            for schema, table, column, what in rows:
                key = (next(t.qualified for t in desired.tables if (t.schema, t.name) == (schema, table)), column)
                users.setdefault(key, []).append(what)
        return CatalogFacts(
            constrained_domains={txt: f"domain {txt} ({', '.join(parts)})" for txt, parts in domains.items() if parts},
            volatile_domain_defaults={txt: d for txt, d in defaults.items() if volatile.get(d, True)},
            column_users={key: tuple(sorted(set(found))) for key, found in users.items()})

    return _in_sandbox(conn, read)


def _domain_rows(conn: psycopg.Connection, types: list[str]) -> list:
    """The domain chain of each type; a type text the server cannot parse as a type name
    (PostgreSQL 15's to_regtype raises on a syntax error) is asked alone and left out."""
    try:
        with conn.transaction():
            return conn.execute(_DOMAINS, (types,)).fetchall()
    except psycopg.Error:
        rows = []
        for txt in types:
            try:
                with conn.transaction():
                    rows += conn.execute(_DOMAINS, ([txt],)).fetchall()
            except psycopg.Error:
                continue  # not a type name the server takes: exprcheck reports the column
        return rows


def _new_checks(t: Table, cur: Table, new: set[str]) -> list:
    """The CHECKs the plan adds to ``t`` that involve only its new columns (SD109)."""
    old = {x.name for x in cur.checks}
    out = []
    for x in t.checks:
        if x.name in old:
            continue
        try:
            cols = {r[-1] for r in references(parse_expression(x.expression)).columns}
        except ExpressionError:
            continue
        if cols and cols <= new:
            out.append(x)
    return out


def rejected_defaults(conn: psycopg.Connection, desired: Schema, current: Schema) -> list[tuple[c.Change, str]]:
    work = []
    for t, cur, new in _added_columns(desired, current):
        cols = [col for col in new if col.generated is None and col.identity is None and not col.serial
                and (col.default is None or "nextval" not in col.default)]
        if not any(col.default is not None for col in cols):
            continue  # no default: existing rows read NULL, which SD503 and a CHECK judge
        checks = _new_checks(t, cur, {col.name for col in cols})
        work.append((t, cols, checks))
    if not work:
        return []
    texts = [col.default for _, cols, _ in work for col in cols if col.default is not None]
    texts += [x.expression for _, _, checks in work for x in checks]
    volatile = volatility(conn, texts)
    found: list[tuple[c.Change, str]] = []

    def probe(conn):
        for t, cols, checks in work:
            safe = [col for col in cols if col.default is None or not volatile.get(col.default, True)]
            names = {col.name for col in safe}
            checks = [x for x in checks if not volatile.get(x.expression, True)
                      and {r[-1] for r in references(parse_expression(x.expression)).columns} <= names]
            if not any(col.default is not None for col in safe):
                continue
            found.extend(_probe_table(conn, t, safe, checks))
        return found

    return _in_sandbox(conn, probe)


def _column_sql(t: Table, col: Column) -> str:
    sql = f"{quote_ident(col.name)} {col.type}"
    if col.collation:
        sql += f" COLLATE {quote_ident(col.collation)}"
    if col.default is not None:
        sql += f" DEFAULT {_sql(col.default, t)}"
        if not col.nullable:
            sql += " NOT NULL"
    return sql


def _try(conn: psycopg.Connection, statements: list[str]) -> psycopg.Error | None:
    """None when the server takes every statement (rolled back), else its error."""
    try:
        with conn.transaction():
            for statement in statements:
                conn.execute(statement)
            raise psycopg.Rollback()
    except psycopg.Error as exc:
        return exc
    return None


_REL = "pg_temp.schemadiff_probe_row"


def _create_sql(t: Table, cols: list[Column]) -> str:
    return f"CREATE TEMP TABLE schemadiff_probe_row ({', '.join(_column_sql(t, col) for col in cols)})"


def _add_sql(t: Table, x) -> str:
    return f"ALTER TABLE {_REL} ADD CONSTRAINT {quote_ident(x.name)} CHECK ({_sql(x.expression, t)})"


def _computable(conn: psycopg.Connection, t: Table, cols: list[Column], checks: list) -> tuple[list, list]:
    """The columns and checks whose computation on one row calls nothing but
    non-volatile functions of pg_catalog, as the server's pg_depend says
    (``probe_reach``): a domain's CHECK or DEFAULT, an operator, may call the
    database's own functions, whose effects a rollback does not undo."""
    if not probe_reach.unsafe(conn, [_create_sql(t, cols)] + [_add_sql(t, x) for x in checks], _REL):
        return cols, checks
    cols = [col for col in cols if not probe_reach.unsafe(conn, [_create_sql(t, [col])], _REL)]
    if not cols:
        return [], []
    names = {col.name for col in cols}
    checks = [x for x in checks if {r[-1] for r in references(parse_expression(x.expression)).columns} <= names
              and not probe_reach.unsafe(conn, [_create_sql(t, cols), _add_sql(t, x)], _REL)]
    return cols, checks


def _probe_table(conn: psycopg.Connection, t: Table, cols: list[Column], checks: list) -> list[tuple[c.Change, str]]:
    cols, checks = _computable(conn, t, cols, checks)
    if not any(col.default is not None for col in cols):
        return []
    rel = _REL
    create = _create_sql(t, cols)
    insert = f"INSERT INTO {rel} DEFAULT VALUES"
    add = [_add_sql(t, x) for x in checks]
    error = _try(conn, [create, insert] + add)
    if error is None:
        return []
    if _try(conn, [create]) is not None:
        return []  # a type, collation or function the plan creates first; exprcheck judges the rest
    out = []
    bad = set()
    for col in cols:  # each column alone: its default against its type, domain and NOT NULL
        if col.default is None:
            continue
        alone = f"CREATE TEMP TABLE schemadiff_probe_row ({_column_sql(t, col)})"
        exc = _try(conn, [alone, insert])
        if exc is not None and exc.sqlstate not in _NOT_YET:
            bad.add(col.name)
            out.append((c.AddColumn(t.qualified, col),
                        f"the default of new column {col.name}: every existing row of {t.qualified} gets it, "
                        f"and the server rejects it: {_why(exc, t, [col.default])}"))
    for x, statement in zip(checks, add):
        cols_of = {r[-1] for r in references(parse_expression(x.expression)).columns}
        if cols_of & bad:
            continue  # its column's default already said why
        exc = _try(conn, [create, insert, statement])
        if exc is not None and exc.sqlstate not in _NOT_YET:
            out.append((c.AddCheck(t.qualified, x),
                        f"check {x.name}: the default{'s' if len(cols_of) > 1 else ''} of "
                        f"{', '.join(sorted(cols_of))} violate{'' if len(cols_of) > 1 else 's'} it, "
                        f"and every existing row of {t.qualified} gets {'them' if len(cols_of) > 1 else 'it'}: "
                        f"{_why(exc, t, [x.expression] + [col.default for col in cols if col.name in cols_of])}"))
    return out


# The server's messages that name the constraint, column or type at fault but never
# quote the value: all of them may be shown whatever computed the value.
_NO_VALUE_QUOTED = frozenset({"23502", "23514", "22001", "22012"})


def _why(exc: psycopg.Error, t: Table, texts: list[str | None]) -> str:
    """The server's reason, with its probe table named as ``t``. When one of ``texts``
    (the default, the CHECK) calls a function, the value the probe computed may be
    what the database holds in confidence (``current_setting('app.settings.jwt_secret')``,
    ``pg_get_functiondef``): a message that quotes the value, or the failing row in its
    DETAIL, is not shown, only its condition."""
    if exc.sqlstate == sandbox.CANCELED:
        return sandbox.timed_out_message()
    if _calls_any(texts):
        if exc.sqlstate in _NO_VALUE_QUOTED:
            said = (exc.diag.message_primary or "").replace("\n", " ")
        else:
            said = (f"{type(exc).__name__} (SQLSTATE {exc.sqlstate}); the server's message is not shown, "
                    "as it quotes the value a function computed")
        return said.replace('"schemadiff_probe_row"', f'"{t.name}"')
    return _message(exc).replace('"schemadiff_probe_row"', f'"{t.name}"')


def _calls_any(texts: list[str | None]) -> bool:
    for text in texts:
        if text is None:
            continue
        try:
            if references(parse_expression(text)).functions:
                return True
        except ExpressionError:
            return True
    return False


def missing_roles(conn: psycopg.Connection, desired: Schema, current: Schema) -> list[tuple[c.Change, str]]:
    """Each policy the plan writes (new, or not as the database has it) that names a role
    the database does not have: ``CREATE POLICY … TO`` would fail at apply. ``check``
    has no database and cannot know (docs/spec.md)."""
    written = []
    for t in desired.tables:
        cur = current.table(t.qualified)
        have = {p.name: p for p in cur.policies} if cur else {}
        written += [(t, p) for p in t.policies if have.get(p.name) != p]
    names = sorted({r for _, p in written for r in p.roles if r != "public"})
    if not names:
        return []
    missing = {row[0] for row in conn.execute(_ROLES, (names,)).fetchall()}
    return [(c.AddPolicy(t.qualified, p), f"policy {p.name} is for role {r!r}, which the database does not have: "
             f"create the role first (CREATE ROLE), or remove it from `to:`")
            for t, p in written for r in p.roles if r in missing]
