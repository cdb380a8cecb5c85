"""Bringing equal expressions to one spelling before the diff.

A person writes ``entity_type IN ('a', 'b')``, ``now()``, ``'x'``,
``hands_off_enabled = true``; the server stores
``(entity_type = ANY (ARRAY['a'::text, 'b'::text]))``, ``now()``, ``'x'::text``,
``hands_off_enabled``. These are equal and must compare equal, or every plan
shows a phantom change. Two stages:

1. Cheap, offline: both texts are parsed with PostgreSQL's grammar and compared
   in a canonical spelling (``readable.comparable``): parentheses, keyword case,
   the server's casts and IN/ANY forms, ``CURRENT_TIMESTAMP``/``now()`` and
   ``= true`` do not matter.
2. For what still differs, the server decides: inside one transaction that is
   always rolled back, a temporary table with the desired columns receives the
   spec's expression (as a CHECK, a default, an index predicate or expression,
   a policy, a trigger's WHEN on a trigger of the copy with the spec's timing and
   events), and the server's own text for it is read back. Equal to the
   database's text means equal; nothing real is touched. A CHECK goes in
   NOT VALID and a default or a policy is only stored, so those are not
   computed; an index predicate or expression and a generated column have
   their constant parts computed by the server as it takes them, so every
   probe runs under a short statement_timeout (``sandbox``). All such questions of
   a plan go in one batch — one statement creating every temporary table and
   probe, one query reading every answer — however many tables ask; only when
   the batch fails (an expression the server rejects) are they asked one by one.

Wherever an expression is found equal, the desired model takes the database's
spelling, so the diff compares exact text.
"""

from __future__ import annotations

from dataclasses import replace


from ..expressions import ExpressionError, parse_expression, references, statement_shape, without_locations
from ..identifiers import quote_ident
from ..model import Column, Schema, Table, Trigger
from ..normalize import strip_outer_parens
from ..readable import comparable
from ..relnames import qualify_relations
from . import sandbox, standins
from ..sqltext import flat, pin_literals


class _Types(dict):
    """A table's column types (name -> type), with ``key``: all of them as one hashable value,
    made once per table, under which ``_same_cheap``'s answers are kept for the plan."""

    __slots__ = ("key",)

    def __init__(self, items):
        super().__init__(items)
        self.key = tuple(sorted(self.items()))


# (a, b, the policy's schema, _Types.key) -> _same_cheap's answer, for one converge(): a schema
# repeats its defaults, checks and policies across tables whose columns are the same.
_SETTLED: dict[tuple, bool] = {}


def _same_cheap(a: str | None, b: str | None, types: dict[str, str], schema: str | None = None) -> bool:
    """``schema``: the policy's table's, which a table named without one in a
    subquery means (``relnames``): ``FROM customers`` is ``FROM public.customers``."""
    if a == b:
        return True
    if a is None or b is None:
        return False
    key = getattr(types, "key", None)
    if key is None:
        return _same_offline(a, b, types, schema)
    settled = _SETTLED.get((a, b, schema, key))
    if settled is None:
        settled = _SETTLED[(a, b, schema, key)] = _same_offline(a, b, types, schema)
    return settled


def _same_offline(a: str, b: str, types: dict[str, str], schema: str | None) -> bool:
    if schema is not None:
        a, b = qualify_relations(a, schema), qualify_relations(b, schema)
    if _same_tree(a, b):
        return True  # one parse tree: the same expression, whatever the types
    return comparable(a, types) == comparable(b, types)


def _same_tree(a: str, b: str) -> bool:
    """``a`` and ``b`` parse to one tree (positions aside). PostgreSQL's parser keeps
    no parentheses, spacing or keyword case: ``(q >= 0) AND (q <= 9)`` and
    ``q >= 0 AND q <= 9`` are one tree, and so are the same expression to the server,
    which is all ``comparable`` would prove.

    Each text is parsed once per process, in C, as ``SELECT e`` and as
    ``SELECT (e)`` (``statement_shape``), the two parses ``parse_expression`` makes
    to prove a text is one expression: ``1, 2`` or a trailing ``--`` comment passes
    one of them and not the other. A text with ``&`` (a ``U&`` literal means
    something else when standard_conforming_strings is off) or a NUL is settled by
    ``parse_expression`` itself."""
    if "&" in a or "&" in b or "\x00" in a or "\x00" in b:
        try:
            return without_locations(parse_expression(a).tree) == without_locations(parse_expression(b).tree)
        except ExpressionError:
            return False
    for form in ("SELECT {}", "SELECT ({})"):
        shape = statement_shape(form.format(a))
        if shape is None or shape != statement_shape(form.format(b)):
            return False
    return True


def _sql(expression: str, table: Table) -> str:
    """A spec expression as it goes into a probe statement: on one line, its string
    constants meaning the same whatever the session's standard_conforming_strings,
    a table named without a schema in a subquery taken from the expression's own
    table's schema (``relnames``: the probe runs, as migrations do, with
    ``search_path = pg_catalog, pg_temp``; the loader has proved it one expression;
    the compiler writes it the same way)."""
    return pin_literals(flat(qualify_relations(expression, table.schema)))


_PROBE_TRIGGER_FUNCTION = "pg_catalog.suppress_redundant_updates_trigger()"  # any trigger function: never fired


def _trigger_sql(name: str, rel: str, tr: Trigger, expression: str, table: Table) -> str:
    """A trigger on the temporary copy with the spec's timing, events, level and WHEN
    (the WHEN's meaning depends on them: OLD on INSERT, NEW on DELETE), running a
    built-in trigger function: nothing fires, the copy holds no rows and is rolled back."""
    from ..compile.routines import _EVENTS, _TIMING

    events = []
    for e in tr.events:
        text = _EVENTS[e]
        if text == "UPDATE" and tr.columns:
            text += " OF " + ", ".join(quote_ident(c) for c in tr.columns)
        events.append(text)
    return (f"CREATE TRIGGER {quote_ident(name)} {_TIMING[tr.timing]} {' OR '.join(events)} ON {rel} "
            f"FOR EACH {'ROW' if tr.for_each_row else 'STATEMENT'} WHEN ({_sql(expression, table)}) "
            f"EXECUTE FUNCTION {_PROBE_TRIGGER_FUNCTION}")


def _when(definition: str | None) -> str | None:
    from .routines_read import when_text

    return None if definition is None else when_text(definition)


def _temp_name(table: Table, taken, n: int, kind: str) -> str:
    """The probe table's name: the table's own, so that the expression may name its
    columns as ``orders.total`` as it may on the real table (the temporary table
    lives in ``pg_temp`` and is always named with it); a numbered one when two
    tables of a plan share a name."""
    if f"pg_temp.{quote_ident(table.name)}" not in taken:
        return table.name
    return f"schemadiff_{kind}_{n}"


class _ServerProbe:
    """Canonical server text for spec expressions, in one rolled-back transaction."""

    def __init__(self, conn: psycopg.Connection, standin: standins.Session | None = None):
        self.conn = conn
        self.standin = standin  # the spec's functions: stand-ins, never their bodies
        self.tables: dict[tuple, str | None] = {}
        self.counter = 0

    def _temp_table(self, table: Table) -> str | None:
        import psycopg  # here, not at the top: ``check`` converges without a database or psycopg

        key = table.qualified
        if key in self.tables:
            return self.tables[key]
        self.counter += 1
        name = "pg_temp." + quote_ident(_temp_name(table, {self.tables.get(k) for k in self.tables}, self.counter,
                                                   "probe"))
        cols = ", ".join(f"{quote_ident(c.name)} {c.type}" for c in table.columns)
        try:
            with self.conn.transaction():
                self.conn.execute(f"CREATE TEMP TABLE {name} ({cols})")
        except psycopg.Error:
            name = None  # e.g. a type the database does not have yet: keep the texts apart
        self.tables[key] = name
        return name

    def _probe(self, statements: list[str], query: str, params=()) -> str | None:
        import psycopg

        try:
            if self.standin is not None:
                statements = [self.standin.statement(sql) for sql in statements]
        except standins.NotProbed:
            return None
        try:
            with self.conn.transaction():  # a savepoint: a failed probe leaves the rest
                for sql in statements:
                    self.conn.execute(sql)
                row = self.conn.execute(query, params).fetchone()
                text = None if row is None else row[0]
        except psycopg.Error:
            return None
        return self.standin.text(text) if self.standin is not None and isinstance(text, str) else text

    def check(self, table: Table, expression: str) -> str | None:
        t = self._temp_table(table)
        if t is None:
            return None
        text = self._probe([f"ALTER TABLE {t} ADD CONSTRAINT probe CHECK ({_sql(expression, table)}) NOT VALID"],
                           "SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint "
                           "WHERE conrelid = %s::regclass AND conname = 'probe'", (t,))
        self._probe([f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS probe"], "SELECT 1")
        return None if text is None else strip_outer_parens(text)

    def default(self, table: Table, column: str, expression: str) -> str | None:
        t = self._temp_table(table)
        if t is None:
            return None
        return self._probe([f"ALTER TABLE {t} ALTER COLUMN {quote_ident(column)} SET DEFAULT {_sql(expression, table)}"],
                           "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
                           "ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = %s::regclass "
                           "AND a.attname = %s", (t, column))

    def predicate(self, table: Table, expression: str) -> str | None:
        t = self._temp_table(table)
        if t is None:
            return None
        first = quote_ident(table.columns[0].name)
        text = self._probe([f"CREATE INDEX probe_ix ON {t} ({first}) WHERE {_sql(expression, table)}"],
                           "SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'probe_ix'::regclass")
        self._probe(["DROP INDEX IF EXISTS probe_ix"], "SELECT 1")
        return None if text is None else strip_outer_parens(text)

    def policy(self, table: Table, expression: str) -> str | None:
        t = self._temp_table(table)
        if t is None:
            return None
        text = self._probe([f"CREATE POLICY probe ON {t} USING ({_sql(expression, table)})"],
                           "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polrelid = %s::regclass "
                           "AND polname = 'probe'", (t,))
        self._probe([f"DROP POLICY IF EXISTS probe ON {t}"], "SELECT 1")
        return None if text is None else strip_outer_parens(text)

    def element(self, table: Table, expression: str) -> str | None:
        t = self._temp_table(table)
        if t is None:
            return None
        text = self._probe([f"CREATE INDEX probe_ex ON {t} (({_sql(expression, table)}))"],
                           "SELECT pg_get_indexdef('probe_ex'::regclass, 1, true)")
        self._probe(["DROP INDEX IF EXISTS probe_ex"], "SELECT 1")
        return text

    def when(self, table: Table, trigger: Trigger, expression: str) -> str | None:
        t = self._temp_table(table)
        if t is None:
            return None
        text = self._probe([_trigger_sql("schemadiff_probe_tr", t, trigger, expression, table)],
                           "SELECT pg_catalog.pg_get_triggerdef(oid) FROM pg_catalog.pg_trigger "
                           "WHERE tgrelid = %s::regclass AND tgname = 'schemadiff_probe_tr'", (t,))
        self._probe([f"DROP TRIGGER IF EXISTS schemadiff_probe_tr ON {t}"], "SELECT 1")
        return _when(text)

    def generated(self, table: Table, column: str, expression: str) -> str | None:
        t = self._temp_table(table)
        col = next((c for c in table.columns if c.name == column), None)
        if t is None or col is None:
            return None
        text = self._probe([f"ALTER TABLE {t} ADD COLUMN schemadiff_probe_g {col.type} "
                            f"GENERATED ALWAYS AS ({_sql(expression, table)}) STORED"],
                           "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
                           "ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = %s::regclass "
                           "AND a.attname = 'schemadiff_probe_g'", (t,))
        self._probe([f"ALTER TABLE {t} DROP COLUMN IF EXISTS schemadiff_probe_g"], "SELECT 1")
        return text


class _Recorder:
    """First pass: write down what the server must decide, answer nothing yet."""

    def __init__(self) -> None:
        self.requests: dict[tuple, tuple] = {}  # key -> (kind, table, column, expression)

    def _ask(self, kind: str, table: Table, column: str | None, expression: str) -> None:
        self.requests.setdefault((kind, table.qualified, column, expression), (kind, table, column, expression))

    def check(self, table: Table, expression: str) -> None:
        self._ask("check", table, None, expression)

    def default(self, table: Table, column: str, expression: str) -> None:
        self._ask("default", table, column, expression)

    def predicate(self, table: Table, expression: str) -> None:
        self._ask("predicate", table, None, expression)

    def policy(self, table: Table, expression: str) -> None:
        self._ask("policy", table, None, expression)

    def element(self, table: Table, expression: str) -> None:
        self._ask("element", table, None, expression)

    def generated(self, table: Table, column: str, expression: str) -> None:
        self._ask("generated", table, column, expression)

    def when(self, table: Table, trigger: Trigger, expression: str) -> None:
        self._ask("when", table, trigger, expression)


class _Answers:
    """Second pass: the batch's answers; one by one only for what it could not answer."""

    def __init__(self, answers: dict[tuple, str | None], probe: _ServerProbe):
        self.answers, self.probe = answers, probe

    def _get(self, key: tuple, ask):
        return self.answers[key] if key in self.answers else ask()

    def check(self, table: Table, expression: str) -> str | None:
        return self._get(("check", table.qualified, None, expression), lambda: self.probe.check(table, expression))

    def default(self, table: Table, column: str, expression: str) -> str | None:
        return self._get(("default", table.qualified, column, expression),
                         lambda: self.probe.default(table, column, expression))

    def predicate(self, table: Table, expression: str) -> str | None:
        return self._get(("predicate", table.qualified, None, expression),
                         lambda: self.probe.predicate(table, expression))

    def policy(self, table: Table, expression: str) -> str | None:
        return self._get(("policy", table.qualified, None, expression), lambda: self.probe.policy(table, expression))

    def element(self, table: Table, expression: str) -> str | None:
        return self._get(("element", table.qualified, None, expression), lambda: self.probe.element(table, expression))

    def generated(self, table: Table, column: str, expression: str) -> str | None:
        return self._get(("generated", table.qualified, column, expression),
                         lambda: self.probe.generated(table, column, expression))

    def when(self, table: Table, trigger: Trigger, expression: str) -> str | None:
        return self._get(("when", table.qualified, trigger, expression),
                         lambda: self.probe.when(table, trigger, expression))


_ANSWERS_SQL = """
SELECT 'c' AS kind, c.conname::text AS name, pg_get_expr(c.conbin, c.conrelid) AS text
  FROM pg_constraint c WHERE c.conrelid = ANY(%(rels)s::regclass[]) AND c.contype = 'c'
UNION ALL
SELECT 'd', cl.relname || '.' || a.attname, pg_get_expr(d.adbin, d.adrelid)
  FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
  JOIN pg_class cl ON cl.oid = d.adrelid WHERE d.adrelid = ANY(%(rels)s::regclass[])
UNION ALL
SELECT 'i', ci.relname::text, pg_get_expr(i.indpred, i.indrelid)
  FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid WHERE i.indrelid = ANY(%(rels)s::regclass[])
UNION ALL
SELECT 'e', ci.relname::text, pg_get_indexdef(i.indexrelid, 1, true)
  FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid WHERE i.indrelid = ANY(%(rels)s::regclass[])
   AND ci.relname LIKE 'probe\\_ex\\_%%'
UNION ALL
SELECT 'p', p.polname::text, pg_get_expr(p.polqual, p.polrelid)
  FROM pg_policy p WHERE p.polrelid = ANY(%(rels)s::regclass[])
UNION ALL
SELECT 't', tg.tgname::text, pg_get_triggerdef(tg.oid)
  FROM pg_trigger tg WHERE tg.tgrelid = ANY(%(rels)s::regclass[]) AND NOT tg.tgisinternal
"""


def _batch(conn: psycopg.Connection, requests: list[tuple],
           standin: standins.Session | None = None) -> dict[tuple, str | None]:
    """Every request answered by the server in two round trips, or {} when the batch fails.
    ``standin``: the spec's functions called through stand-ins (``standins``)."""
    import psycopg

    temp: dict = {}
    statements = []
    relnames: dict = {}
    for kind, table, column, expression in requests:
        if table.qualified not in temp:
            relnames[table.qualified] = rel = _temp_name(table, set(temp.values()), len(temp) + 1, "batch")
            temp[table.qualified] = name = "pg_temp." + quote_ident(rel)
            cols = ", ".join(f"{quote_ident(c.name)} {c.type}" for c in table.columns)
            statements.append(f"CREATE TEMP TABLE {name} ({cols})")
    keys: dict[tuple[str, str], tuple] = {}
    for n, (kind, table, column, expression) in enumerate(requests, 1):
        t = temp[table.qualified]
        key = (kind, table.qualified, column, expression)
        if kind == "check":
            statements.append(f"ALTER TABLE {t} ADD CONSTRAINT probe_{n} CHECK ({_sql(expression, table)}) NOT VALID")
            keys[("c", f"probe_{n}")] = key
        elif kind == "default":
            statements.append(f"ALTER TABLE {t} ALTER COLUMN {quote_ident(column)} SET DEFAULT {_sql(expression, table)}")
            keys[("d", f"{relnames[table.qualified]}.{column}")] = key
        elif kind == "predicate":
            first = quote_ident(table.columns[0].name)
            statements.append(f"CREATE INDEX probe_ix_{n} ON {t} ({first}) WHERE {_sql(expression, table)}")
            keys[("i", f"probe_ix_{n}")] = key
        elif kind == "element":
            statements.append(f"CREATE INDEX probe_ex_{n} ON {t} (({_sql(expression, table)}))")
            keys[("e", f"probe_ex_{n}")] = key
        elif kind == "generated":
            col = next(c for c in table.columns if c.name == column)
            statements.append(f"ALTER TABLE {t} ADD COLUMN schemadiff_probe_g_{n} {col.type} "
                              f"GENERATED ALWAYS AS ({_sql(expression, table)}) STORED")
            keys[("d", f"{relnames[table.qualified]}.schemadiff_probe_g_{n}")] = key
        elif kind == "when":
            statements.append(_trigger_sql(f"probe_tr_{n}", t, column, expression, table))
            keys[("t", f"probe_tr_{n}")] = key
        else:
            statements.append(f"CREATE POLICY probe_{n} ON {t} USING ({_sql(expression, table)})")
            keys[("p", f"probe_{n}")] = key
    if standin is not None:
        try:
            statements = [standin.statement(sql) for sql in statements]
        except standins.NotProbed:
            return {}  # one by one (``_ServerProbe``): that one is not probed, the rest are
    rows: list = []
    try:
        with conn.transaction():  # a savepoint, always rolled back; a failed batch leaves the transaction usable
            conn.execute(";\n".join(statements))  # no parameters: one round trip for all of them
            rows = conn.execute(_ANSWERS_SQL, {"rels": list(temp.values())}).fetchall()
            raise psycopg.Rollback()
    except psycopg.Error:
        return {}
    answers: dict[tuple, str | None] = {key: None for key in keys.values()}
    for kind, name, text in rows:
        key = keys.get((kind, name))
        if key is not None:
            if standin is not None:
                text = standin.text(text)
            answers[key] = strip_outer_parens(text) if kind in ("c", "i", "p") and text is not None else \
                _when(text) if kind == "t" else text
    return answers


def converge(desired: Schema, current: Schema, conn: psycopg.Connection | None = None) -> Schema:
    """``desired`` with every expression that equals the database's spelled as
    the database spells it. With ``conn`` None only the offline stage runs."""
    probe = None
    if conn is not None:
        conn.autocommit = False
        # Local to the transaction that is always rolled back; schema-qualified, so a
        # hostile search_path cannot stand in for set_config (connect pins it too).
        sandbox.pin(conn)
        probe = _ServerProbe(conn, standins.Session(conn, desired.functions))
    try:
        pairs = [(t, current.table(t.qualified)) for t in desired.tables]
        if probe is None:
            return replace(desired, tables=tuple(t if cur is None else _converge_table(t, cur, None)
                                                 for t, cur in pairs))
        # First pass: what is settled offline, and what the server must decide (recorded, not asked).
        recorder = _Recorder()
        first = []
        for t, cur in pairs:
            before = len(recorder.requests)
            first.append(t if cur is None else _converge_table(t, cur, recorder))
            if len(recorder.requests) > before:
                first[-1] = None  # to be done again with the answers
        answers = _Answers(_batch(conn, list(recorder.requests.values()), probe.standin)
                           if recorder.requests else {}, probe)
        tables = [done if done is not None else _converge_table(t, cur, answers)
                  for done, (t, cur) in zip(first, pairs)]
        return replace(desired, tables=tuple(tables))
    finally:
        _SETTLED.clear()
        if conn is not None:
            conn.rollback()
            conn.autocommit = True


def _pick(spec: str | None, db: str | None, types, server_text, schema: str | None = None) -> str | None:
    if spec is None or db is None or spec == db:
        return spec
    if _same_cheap(spec, db, types, schema):
        return db
    if server_text is not None:
        text = server_text()
        if text is not None and (text == db or _same_cheap(text, db, types, schema)):
            return db
    return spec


def _with(obj, **fields):
    """``replace(obj, **fields)``, or ``obj`` itself when every field is already that very value
    (``_pick`` hands back the spec's own object when it keeps the spec's spelling): most of a
    no-change plan's objects keep theirs, and ``dataclasses.replace`` is the larger part of
    converging them."""
    for name, value in fields.items():
        if getattr(obj, name) is not value:
            return replace(obj, **fields)
    return obj


def _converge_table(t: Table, cur: Table, probe: _ServerProbe | None) -> Table:
    types = _Types((c.name, c.type) for c in t.columns)
    cur_cols = {c.name: c for c in cur.columns}

    def col(c: Column) -> Column:
        old = cur_cols.get(c.name)
        if old is None:
            return c
        default = _pick(c.default, old.default, types,
                        probe and (lambda: probe.default(t, c.name, c.default)))
        generated = _pick(c.generated, old.generated, types,
                          probe and (lambda: probe.generated(t, c.name, c.generated)))
        return _with(c, default=default, generated=generated)

    cur_checks = {x.name: x for x in cur.checks}
    checks = tuple(
        _with(x, expression=_pick(x.expression, cur_checks[x.name].expression, types,
                                  probe and (lambda x=x: probe.check(t, x.expression))))
        if x.name in cur_checks else x for x in t.checks)
    cur_ix = {x.name: x for x in cur.indexes}
    indexes = []
    for ix in t.indexes:
        old = cur_ix.get(ix.name)
        if old is None:
            indexes.append(ix)
            continue
        where = _pick(ix.where, old.where, types, probe and (lambda ix=ix: probe.predicate(t, ix.where)))
        elements = ix.elements
        if len(old.elements) == len(ix.elements):
            new_elements = tuple(_with(e, expression=_pick(e.expression, o.expression, types,
                                                           probe and (lambda e=e: probe.element(t, e.expression))))
                                 for e, o in zip(ix.elements, old.elements))
            if any(n is not e for n, e in zip(new_elements, elements)):
                elements = new_elements
        indexes.append(_with(ix, where=where, elements=elements))
    cur_pol = {p.name: p for p in cur.policies}
    policies = []
    for p in t.policies:
        old = cur_pol.get(p.name)
        if old is None:
            policies.append(p)
            continue
        policies.append(_with(
            p,
            using=_pick(p.using, old.using, types, probe and (lambda p=p: probe.policy(t, p.using)), t.schema),
            with_check=_pick(p.with_check, old.with_check, types,
                             probe and (lambda p=p: probe.policy(t, p.with_check)), t.schema)))
    cur_tr = {x.name: x for x in cur.triggers}
    triggers = tuple(_with(x, when=_pick(x.when, cur_tr[x.name].when, types,
                                         probe and (lambda x=x: probe.when(t, x, x.when))))
                     if x.name in cur_tr else x for x in t.triggers)
    columns = tuple(col(c) for c in t.columns)
    return _with(t, columns=_same_items(columns, t.columns), checks=_same_items(checks, t.checks),
                 indexes=_same_items(tuple(indexes), t.indexes), policies=_same_items(tuple(policies), t.policies),
                 triggers=_same_items(triggers, t.triggers))


def _same_items(new: tuple, old: tuple) -> tuple:
    """``old`` itself when ``new`` holds its very items, so that ``_with`` keeps the table."""
    return old if len(new) == len(old) and all(a is b for a, b in zip(new, old)) else new


def volatility(conn: psycopg.Connection, expressions: list[str]) -> dict[str, bool]:
    """expression -> True when it calls a function that counts as VOLATILE for a new
    column's default on an existing table (SD601): a pg_catalog function with a
    VOLATILE overload, or any function outside pg_catalog, whatever it declares (a
    declared volatility is its author's claim, and PostgreSQL runs a non-volatile
    default once at ADD COLUMN, a volatile one per row: either way its body runs), or
    one pg_proc lacks (the plan creates it, or it does not exist). Migrations run with
    search_path = pg_catalog: an unqualified name is pg_catalog's."""
    names: dict[str, set[str]] = {}
    user: set[str] = set()
    for text in expressions:
        try:
            funcs = references(parse_expression(text)).functions
        except ExpressionError:
            user.add(text)
            funcs = ()
        if any(len(f) > 1 and f[0] != "pg_catalog" for f in funcs):
            user.add(text)
        names[text] = {f[-1] for f in funcs}
    wanted = sorted(set().union(*names.values())) if names else []
    volatile: set[str] = set()
    known: set[str] = set()
    if wanted:
        rows = conn.execute("SELECT proname, bool_or(provolatile = 'v') FROM pg_catalog.pg_proc "
                            "WHERE pronamespace = 'pg_catalog'::regnamespace AND proname = ANY(%s) "
                            "GROUP BY proname", (wanted,)).fetchall()
        known = {r[0] for r in rows}
        volatile = {r[0] for r in rows if r[1]}
    return {text: text in user or bool(funcs & volatile) or bool(funcs - known) for text, funcs in names.items()}
