"""The final guard: every statement of a plan, parsed again by PostgreSQL's own
parser (libpg_query, through pglast) just before anything runs, must be a
statement the compiler writes — its kind, its clauses, its names and the
functions its expressions call.

This is defense in depth. It trusts neither the spec, nor a plan file, nor the
code upstream: a plan holding anything else — a ``DROP TABLE`` typed into a
saved plan, a bug that emits ``SET NOT NULL``, a default that calls
``set_config`` — is refused whole, before the first statement runs.

What it checks, per step:

- the phase is one of ``compile.changes.PHASES``, in that order; concurrent
  statements (``CREATE INDEX CONCURRENTLY``, ``DROP INDEX CONCURRENTLY``) run in
  the concurrent phase and only there, ``ALTER TYPE … ADD VALUE`` in the
  enum-values phase;
- the text holds no NUL, no ``U&'…'``/``U&"…"`` token and no plain ``'…'``
  string with a backslash (their meaning depends on
  ``standard_conforming_strings``; the compiler writes ``E'…'`` there), and
  parses as exactly one statement;
- the statement is one of the kinds the compiler writes, with only the clauses
  it writes: every key of every DDL node of the parse tree is on an allowlist
  (so ``CREATE SCHEMA … AUTHORIZATION``, schema elements, ``WITH (…)`` storage
  options, ``TABLESPACE``, ``IF EXISTS``, ``ONLY``, ``USING`` in ``ALTER COLUMN
  TYPE``, ``CASCADE``, ``RESET``… are all refused by not being listed);
- every relation is schema-qualified and not in a ``pg_`` schema; a type,
  collation or operator class name is schema-qualified or a ``pg_catalog`` one
  (asked of the server); an index is named by its table in ``CREATE INDEX`` and
  schema-qualified in ``DROP INDEX`` and ``COMMENT ON INDEX``;
- every expression (DEFAULT, CHECK, generated column, index expression and
  predicate, policy USING / WITH CHECK) passes ``funcpolicy.judge_tree`` in its
  context, its casts included (only to a built-in type, or an enum the plan
  creates or the database holds: ``casts.py``); it may call a function of the
  spec (one apply was given, or one an earlier ``CREATE FUNCTION`` of the plan
  creates) under its volatility, but in a DEFAULT, generated column, CHECK or
  index only on a table this plan creates (never over existing rows: SD607);
- no expression at all where the database holds a cast between built-in types
  or enums that runs a function outside pg_catalog (``Catalog.foreign_casts``:
  PostgreSQL may apply it to any expression, unasked);
- the DEFAULT of a new column on a table this plan does not create calls only
  pg_catalog functions that are not VOLATILE (no value generator either: it would
  run per existing row, a rewrite) — never an external function, whatever the
  planner's rules (SD601) said;
- a new column of a domain on such a table: the domain's DEFAULT (unless the
  column has its own) and the CHECKs of it and the domains under it, as the server
  deparses them (``Catalog.domain_expressions``), call only pg_catalog functions
  that are not VOLATILE (the CHECKs only IMMUTABLE ones): ADD COLUMN runs them over
  every existing row;
- a call of a spec function resolves as judged: the database holds no more
  volatile function of that name the call may reach, and (one argument) no type
  of that name (``Catalog.routines``, ``Catalog.type_named``);
- on a table this plan does not create: an index is built ``CONCURRENTLY``, a
  CHECK or FOREIGN KEY is added ``NOT VALID`` (validated by its own step), a
  UNIQUE or PRIMARY KEY only ``USING INDEX``, a new column has no identity and
  is not generated (each would take a long ACCESS EXCLUSIVE lock);
- ``CREATE SEQUENCE`` / ``ALTER SEQUENCE`` schema-qualified, with only the options
  the compiler writes (``AS`` smallint/integer/bigint, numeric bounds, step, start,
  cache, cycle; ``OWNED BY`` alone, of a column in the sequence's own schema): never
  ``RESTART``, ``OWNED BY NONE``, ``IF [NOT] EXISTS``, a temporary or unlogged one;
  ``ALTER SEQUENCE`` of a sequence the plan did not create only as a widening
  measured against the catalog (``Catalog.sequence``: a wider type, lower minvalue,
  higher maxvalue, a step in the same direction, START/CACHE, OWNED BY only where
  it has no owner yet); a sequence the catalog does not know is refused;
- ``CREATE FUNCTION`` only as the compiler writes it: LANGUAGE sql or plpgsql
  (no C, no untrusted language), no OR REPLACE, the body one string, SET only
  of search_path (searchpath.problem: no pg_* but pg_catalog, pg_temp only last), SECURITY DEFINER
  only with that setting ending in pg_temp; no type modifier in the signature;
  ``CREATE TRIGGER`` only on a table this plan creates, running a function an
  earlier statement of the plan creates returning ``trigger`` (no arguments), one
  the database holds returning ``trigger``, or one of pg_catalog's on a short list
  (``CATALOG_TRIGGER_FUNCTIONS``), its WHEN under the function policy like a
  policy's; the ALTER TABLE that sets a trigger's enabled state only for a trigger
  an earlier statement of the plan creates (never a foreign key's RI trigger);
- ``CREATE VIEW`` only as the compiler writes it: one SELECT (no INTO, FOR
  UPDATE, WITH, data-modifying statement), no OR REPLACE, TEMP or column list,
  options only security_invoker / security_barrier, its calls judged like a policy's;
  ``CREATE MATERIALIZED VIEW … WITH NO DATA`` likewise (nothing else of CREATE
  TABLE AS), after which the plan's indexes on it need no CONCURRENTLY;
- ``SET`` only of ``lock_timeout`` / ``statement_timeout``, to a value
  ``timeouts.parse_ms`` accepts (at least 1 ms before rounding, within bounds).

Two narrow exceptions to "nothing is dropped", each checked exactly:

- ``ALTER TABLE s.t DROP CONSTRAINT c, ADD CONSTRAINT c CHECK (…) NOT VALID``:
  the one legitimate replacement (a CHECK list widened to a superset), allowed
  only as that pairing, on the same name, the new one NOT VALID, where the
  database's ``c`` on ``s.t`` is a CHECK;
- ``DROP INDEX CONCURRENTLY IF EXISTS s.i``: only where the database holds
  ``s.i`` INVALID (a failed concurrent build; it serves no query and its
  definition is rebuilt from the spec).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field

from pglast.parser import ParseError, parse_sql_json

from . import searchpath
from .compile.changes import CONCURRENT, ENUM_VALUES, PHASES
from .casts import KnownEnums
from .funcpolicy import judge_tree
from .model import QualifiedName
from .sqltext import literal_problem
from .timeouts import DurationError, lock_timeout_ms, statement_timeout_ms


@dataclass(frozen=True)
class GuardProblem:
    index: int  # 0-based statement number
    sql: str
    reason: str

    def __str__(self) -> str:
        first = self.sql.strip().splitlines()[0] if self.sql.strip() else ""
        return f"statement {self.index + 1}: {self.reason}: {first[:120]}"


class Catalog:
    """What the guard asks of the database. This base answers as an empty
    database would, and knows no built-in name (so it refuses every unqualified
    type): apply uses ``apply.LiveCatalog``."""

    def invalid_index(self, schema: str, name: str) -> bool:
        return False

    def is_check(self, schema: str, table: str, name: str) -> bool:
        return False

    def column_type(self, schema: str, table: str, column: str) -> str | None:
        return None

    def builtin(self, kind: str, name: str) -> bool:
        """Is ``name`` a pg_catalog ``kind`` ("type", "collation", "opclass")?"""
        return False

    def trigger_function(self, schema: str, name: str) -> bool:
        """Does the database hold ``schema.name()``, no arguments, returning ``trigger``?"""
        return False

    def sequence(self, schema: str, name: str) -> SequenceFacts | None:
        """The database's sequence ``schema.name``; None when it has none (or cannot say)."""
        return None

    def enum(self, schema: str, name: str) -> bool:
        """Is ``schema.name`` an enum type of the database (a cast to it only looks a label up)?"""
        return False

    def routines(self, schema: str, name: str) -> list[tuple[int, int, bool, str]]:
        """Every function of the database named ``schema.name``: (argument count, how many
        have defaults, variadic, volatility "i"/"s"/"v")."""
        return []

    def type_named(self, schema: str, name: str) -> bool:
        """Does the database hold a type ``schema.name`` (``schema.name(x)`` may then be a cast to it)?"""
        return False

    def domain_expressions(self, schema: str, name: str) -> tuple[str | None, list[str]]:
        """When ``schema.name`` is a domain: the DEFAULT a new column of it gets (its own
        or that of a domain under it) and the CHECK expressions of it and the domains
        under it, as the server deparses them; else (None, [])."""
        return None, []

    def foreign_casts(self) -> list[str]:
        """The database's casts between built-in types or enums that run a function
        outside pg_catalog (``CREATE CAST (text AS integer) WITH FUNCTION public.f(text)``)."""
        return []


@dataclass(frozen=True)
class SequenceFacts:
    """What a widening is measured against: type (smallint|integer|bigint), bounds,
    step, and whether a column owns it."""
    type: str
    minvalue: int
    maxvalue: int
    increment: int
    owned: bool


# pg_catalog trigger functions a spec's trigger may run (the compiler writes any schema-qualified
# function; these are the built-in ones meant for a user's trigger). Others that return
# ``trigger`` (the RI_FKey_* functions of foreign keys…) are not a user's to call.
CATALOG_TRIGGER_FUNCTIONS = frozenset({"suppress_redundant_updates_trigger", "tsvector_update_trigger",
                                       "tsvector_update_trigger_column"})


class AnyExternal(Collection):
    """The external functions when the spec's list is not known: every
    schema-qualified function outside pg_catalog. ``judge_tree`` still refuses
    them in check, generated and index expressions (their volatility is unknown),
    so they are allowed in defaults and policies only."""

    def __contains__(self, item) -> bool:
        return isinstance(item, QualifiedName) and item.schema != "pg_catalog"

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


class _Refused(Exception):
    pass


@dataclass
class _State:
    catalog: Catalog
    external: Collection[QualifiedName]
    created: set[tuple[str, str]] = field(default_factory=set)  # tables this plan creates, so far
    triggers: set[tuple[str, str, str]] = field(default_factory=set)  # (schema, table, trigger) created so far
    functions: set[tuple[str, str]] = field(default_factory=set)  # trigger functions (no arguments) created so far
    sequences: set[tuple[str, str]] = field(default_factory=set)  # sequences created so far
    enums: set[tuple[str, str]] = field(default_factory=set)  # enums created so far (a cast may name them)
    # The spec's functions an expression may call (speccalls.Callee): those apply was given, and those
    # an earlier CREATE FUNCTION of the plan creates; in a default, generated column, CHECK or index
    # only on a table this plan creates (never run over existing rows: SD607).
    callees: list = field(default_factory=list)


def check_steps(steps: Sequence[tuple[str, str]], catalog: Catalog,
                external: Collection[QualifiedName] | None = None, *, functions: Collection = ()
                ) -> list[GuardProblem]:
    """Problems of a plan's steps, ``(phase, sql)`` in the order they run (one
    statement per step). ``external``: the spec's declared external functions;
    None when not known (see ``AnyExternal``). ``functions``: the spec's own
    functions (``speccalls.Callee``) the database holds."""
    state = _State(catalog, AnyExternal() if external is None else external, callees=list(functions))
    problems: list[GuardProblem] = []
    last = 0
    for i, (phase, sql) in enumerate(steps):
        try:
            if not isinstance(phase, str) or phase not in PHASES:
                raise _Refused(f"unknown phase {str(phase)[:40]!r} (apply runs only {', '.join(PHASES)})")
            if PHASES.index(phase) < last:
                raise _Refused(f"phase {phase} after phase {PHASES[last]}: the steps are out of order")
            last = PHASES.index(phase)
            _judge(sql, phase, state)
        except _Refused as exc:
            problems.append(GuardProblem(i, sql if isinstance(sql, str) else repr(sql), str(exc)))
        except Exception as exc:  # noqa: BLE001 — a tree this guard cannot read is refused, never waved through
            problems.append(GuardProblem(i, sql if isinstance(sql, str) else repr(sql),
                                         f"a statement the guard cannot read ({type(exc).__name__})"))
    return problems


def check_statements(statements: Sequence[str], catalog: Catalog,
                     external: Collection[QualifiedName] | None = None, phase: str = "transactional"
                     ) -> list[GuardProblem]:
    """``check_steps`` for statements of one phase."""
    return check_steps([(phase, s) for s in statements], catalog, external)


# ----------------------------------------------------------------------------- text

def _judge(sql, phase: str, state: _State) -> None:
    if not isinstance(sql, str):
        raise _Refused("not SQL text")
    if "\x00" in sql:
        raise _Refused("holds a NUL character")
    _literals(sql)
    try:
        parsed = json.loads(parse_sql_json(sql))
    except ParseError as exc:
        raise _Refused(f"does not parse ({exc})") from None
    stmts = parsed.get("stmts", [])
    if len(stmts) != 1:
        raise _Refused(f"holds {len(stmts)} statements; one is allowed")
    ((kind, node),) = stmts[0]["stmt"].items()
    handler = _STATEMENTS.get(kind)
    if handler is None:
        raise _Refused(f"{kind} is not a statement schemadiff writes")
    handler(node, phase, state)
    if kind == "CreateFunctionStmt":  # accepted: a trigger function the plan's triggers may run
        names = _strings(node.get("funcname"))
        returns = _strings((node.get("returnType") or {}).get("names"))
        if len(names) == 2 and not node.get("parameters") and returns in (["trigger"], ["pg_catalog", "trigger"]):
            state.functions.add((names[0], names[1]))
        if len(names) == 2:  # callable from an expression under the volatility it is created with
            state.callees.append(_callee(names, node))


def _literals(sql: str) -> None:
    """No token whose meaning depends on ``standard_conforming_strings`` (the
    compiler's own rule, ``sqltext.literal_problem``: it writes ``E'…'`` there)."""
    problem = literal_problem(sql)
    if problem:
        raise _Refused(f"{problem}; schemadiff writes E'…' there")


# ----------------------------------------------------------------------------- shapes

_IGNORED = frozenset({"location", "rexpr_list_start", "rexpr_list_end", "arg_location"})
# Parse-tree keys as SQL says them, for messages (the others are shown as they are).
_CLAUSES = {
    "schemaElts": "schema elements", "authrole": "AUTHORIZATION", "inhRelations": "INHERITS or PARTITION OF",
    "partbound": "PARTITION OF", "partspec": "PARTITION BY", "ofTypename": "OF type", "raw_default": "USING",
    "oldVal": "RENAME VALUE", "missing_ok": "IF EXISTS", "if_not_exists": "IF NOT EXISTS",
    "tablespacename": "TABLESPACE", "tableSpace": "TABLESPACE", "indexspace": "USING INDEX TABLESPACE",
    "accessMethod": "USING (access method)", "excludeOpNames": "EXCLUDE", "skipIfNewValExists": "IF NOT EXISTS",
    "collClause": "COLLATE", "fdwoptions": "OPTIONS", "storage_name": "STORAGE", "compression": "COMPRESSION",
    "pct_type": "%TYPE", "setof": "SETOF", "is_no_inherit": "NO INHERIT", "where_clause": "WHERE",
    "including": "INCLUDE", "exclusions": "EXCLUDE",
    "replace": "OR REPLACE", "is_procedure": "PROCEDURE", "sql_body": "BEGIN ATOMIC", "isconstraint": "CONSTRAINT",
    "transitionRels": "REFERENCING", "constrrel": "FROM (a constraint trigger)",
}


def _only(node: dict, allowed: frozenset[str] | set[str], what: str) -> None:
    extra = sorted(k for k in node if k not in allowed and k not in _IGNORED)
    if extra:
        raise _Refused(f"{what} with {_CLAUSES.get(extra[0], extra[0])}: a clause schemadiff never writes")


def _strings(items) -> list[str]:
    out = []
    for item in items or ():
        if not isinstance(item, dict) or set(item) != {"String"}:
            raise _Refused("a name that is not a plain identifier")
        out.append(item["String"].get("sval", ""))
    return out


def _schema(name: str) -> str:
    if not name or name.startswith("pg_"):
        raise _Refused(f"schema {name!r} is reserved for the system; schemadiff never writes to it")
    return name


def _relation(rv: dict, what: str, *, alias_ok: bool = False, unlogged_ok: bool = False) -> tuple[str, str]:
    _only(rv, {"schemaname", "relname", "inh", "relpersistence"} | ({"alias"} if alias_ok else set()), what)
    if not rv.get("schemaname"):
        raise _Refused(f"{what} {rv.get('relname', '?')} is not schema-qualified (its meaning would depend on "
                       "search_path)")
    if not rv.get("inh") or rv.get("relpersistence") not in (("p", "u") if unlogged_ok else ("p",)):
        raise _Refused(f"{what} {rv['schemaname']}.{rv.get('relname', '?')}: ONLY, TEMP or UNLOGGED is not "
                       "what schemadiff writes")
    return _schema(rv["schemaname"]), rv["relname"]


def _qualified(names: list[str], what: str, kind: str | None, state: _State) -> None:
    """A type, collation or opclass name: schema-qualified, or a pg_catalog one."""
    if len(names) == 2:
        if names[0] != "pg_catalog":
            _schema(names[0])
        return
    if len(names) == 1 and kind is not None and state.catalog.builtin(kind, names[0]):
        return
    raise _Refused(f"{what} {'.'.join(names)} is not schema-qualified and not a pg_catalog {kind or 'name'}")


def _type_name(tn: dict, state: _State, what: str = "type") -> None:
    _only(tn, {"names", "typmods", "typemod", "arrayBounds"}, what)
    if tn.get("typemod", -1) != -1:
        raise _Refused(f"{what} with an internal type modifier")
    _qualified(_strings(tn.get("names")), what, "type", state)
    for mod in tn.get("typmods") or ():
        const = mod.get("A_Const") if isinstance(mod, dict) else None
        if not const or "ival" not in const:
            raise _Refused(f"{what} modifier that is not an integer")


_SERIALS = frozenset({"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"})


def _is_serial(tn: dict) -> bool:
    """The type of a column PostgreSQL's grammar reads as serial: one bare name, no
    modifier, no array (anything else is a type of that name, and judged as one)."""
    names = _strings(tn.get("names"))
    return (len(names) == 1 and names[0] in _SERIALS and not tn.get("typmods") and not tn.get("arrayBounds")
            and tn.get("typemod", -1) == -1)


def _collation(cc: dict, state: _State) -> None:
    _only(cc, {"collname"}, "COLLATE")
    _qualified(_strings(cc.get("collname")), "collation", "collation", state)


def _walk(tree) -> Iterator[tuple[str, dict]]:
    """Every node of a JSON parse tree as (node type, body). libpg_query writes a
    node wrapped in its type name where the field may hold any node, and bare
    where the field has one type (``TypeCast.typeName``, ``…relation``): those
    are recognised by their keys."""
    todo = [tree]
    while todo:
        value = todo.pop()
        if isinstance(value, list):
            todo.extend(value)
        elif isinstance(value, dict):
            if len(value) == 1:
                (key, body), = value.items()
                if key[:1].isupper() and isinstance(body, dict):
                    yield key, body
                    todo.extend(v for v in body.values() if isinstance(v, (dict, list)))
                    continue
            if "relname" in value:
                yield "RangeVar", value
            elif "names" in value and "typemod" in value:
                yield "TypeName", value
            todo.extend(v for v in value.values() if isinstance(v, (dict, list)))


def _callee(names: list[str], node: dict):
    from .speccalls import Callee

    volatility = "v"
    for item in node.get("options") or ():
        opt = (item or {}).get("DefElem") or {}
        if opt.get("defname") == "volatility":
            volatility = {"immutable": "i", "stable": "s"}.get((opt.get("arg") or {}).get("String", {}).get("sval"),
                                                                "v")
    return Callee(names[0], names[1], len(node.get("parameters") or ()), volatility)


def _expression(tree, context: str, state: _State, *, spec_ok: bool = True) -> None:
    """Names in an expression as anywhere else; its calls under the function policy.
    ``spec_ok``: whether it may call the spec's functions (not over existing rows)."""
    for kind, body in _walk(tree):
        if kind == "RangeVar":
            _relation(body, "relation", alias_ok=True)
        elif kind == "TypeName":
            _type_name(body, state)
        elif kind == "CollateClause":
            _qualified(_strings(body.get("collname")), "collation", "collation", state)
    problem = judge_tree(tree, context, state.external, casts=KnownEnums(state.enums, state.catalog.enum),
                         functions=state.callees if spec_ok else ())
    if problem is not None:
        raise _Refused(f"the {context} expression {problem}")
    if spec_ok and state.callees:
        _spec_calls_resolve_as_judged(tree, context, state)
    foreign = state.catalog.foreign_casts()
    if foreign:
        raise _Refused(f"the {context} expression cannot be judged on this database: it holds {foreign[0]}, a cast "
                       "between built-in types or enums that runs a function outside pg_catalog, which PostgreSQL "
                       "may apply to any expression, explicitly or on its own")


_RANK = {"i": 0, "s": 1, "v": 2}


def _spec_calls_resolve_as_judged(tree, context: str, state: _State) -> None:
    """A call of a spec function was judged by the volatility the spec declares for
    its name and argument count; PostgreSQL resolves it against every function of
    that name the database holds (an overload of other argument types, one with
    defaults, a VARIADIC one) and, with one argument, a type of that name (the call
    is then a cast, running a domain's CHECK). Each must be no more volatile than
    declared, and no such type may exist."""
    from .speccalls import calls

    for names, nargs in calls(tree):
        fitting = [c for c in state.callees if (c.schema, c.name) == tuple(names) and c.nargs == nargs]
        if len(names) != 2 or not fitting:
            continue
        declared = max(_RANK.get(c.volatility, 2) for c in fitting)
        shown = f"{names[0]}.{names[1]}()"
        if nargs == 1 and state.catalog.type_named(*names):
            raise _Refused(f"the {context} expression calls {shown}, and the database holds a type of that name: "
                           "PostgreSQL may read the call as a cast to it, which runs the type's input function "
                           "and a domain's CHECK")
        for total, defaults, variadic, volatility in state.catalog.routines(*names):
            reachable = total - defaults <= nargs <= total or (variadic and nargs >= total - 1)
            if reachable and _RANK.get(volatility, 2) > declared:
                kind = {"s": "STABLE", "v": "VOLATILE"}.get(volatility, "of unknown volatility")
                raise _Refused(f"the {context} expression calls {shown}, and the database holds a {kind} function "
                               f"of that name taking {total} argument(s) that the call may resolve to, more volatile "
                               "than the spec declares it")


# ----------------------------------------------------------------------------- statements

def _storage_options(items, kind: str | None, what: str, *, online_only: bool = False) -> None:
    """``WITH (…)`` / ``SET (…)``: keys from the storage allowlist (of the index method,
    or of any index method when ``kind`` is None: ALTER INDEX does not say its
    method), each set to one number, true/false or an enum's word, in range."""
    from . import storage as st

    if not items:
        raise _Refused(f"{what} with an empty option list")
    for item in items:
        opt = item.get("DefElem") if isinstance(item, dict) else None
        if opt is None:
            raise _Refused(f"{what}: an option that is not name = value")
        _only(opt, {"defname", "defnamespace", "arg", "defaction"}, f"{what} option")
        if opt.get("defaction", "DEFELEM_UNSPEC") != "DEFELEM_UNSPEC":
            raise _Refused(f"{what}: an option action schemadiff never writes")
        namespace = opt.get("defnamespace")
        key = (f"{namespace}." if namespace else "") + str(opt.get("defname", ""))
        kinds = [kind] if kind is not None else list(st.INDEX_METHODS)
        params = [p for k in kinds for p in [st.param(k, key)] if p is not None]
        if not params or (namespace and (namespace != "toast" or kind != st.HEAP)):
            raise _Refused(f"{what}: {key!r} is not a storage parameter schemadiff writes")
        arg = opt.get("arg") or {}
        if set(arg) == {"Integer"}:
            text = str(arg["Integer"].get("ival", 0))
        elif set(arg) == {"Float"}:
            text = str(arg["Float"].get("fval", ""))
        elif set(arg) == {"String"} and params[0].type in ("bool", "enum"):
            text = str(arg["String"].get("sval", ""))
            if text not in ("true", "false") + params[0].values:
                raise _Refused(f"{what}: {key} = {text!r} is not a value schemadiff writes")
        else:
            raise _Refused(f"{what}: {key} is not set to a number, true/false or one of its words")
        try:
            st.parse_catalog_value(params[0], text)
        except st.StorageError as exc:
            raise _Refused(f"{what}: {exc}") from None
        if online_only and not all(p.online for p in params):
            raise _Refused(f"{what}: {key} takes ACCESS EXCLUSIVE on an existing relation (SD603)")


def _create_table(node: dict, phase: str, state: _State) -> None:
    _only(node, {"relation", "tableElts", "oncommit", "options"}, "CREATE TABLE")
    if node.get("oncommit", "ONCOMMIT_NOOP") != "ONCOMMIT_NOOP":
        raise _Refused("CREATE TABLE … ON COMMIT is not what schemadiff writes")
    table = _relation(node["relation"], "table", unlogged_ok=True)
    if "options" in node:
        _storage_options(node["options"], "heap", "CREATE TABLE … WITH")
    for element in node.get("tableElts") or ():
        ((kind, body),) = element.items()
        if kind == "ColumnDef":
            _column(body, state, adding=False)
        elif kind == "Constraint":
            _constraint(body, state, table, new_table=True, in_alter=False)
        else:
            raise _Refused(f"CREATE TABLE with {kind}: a clause schemadiff never writes")
    state.created.add(table)


_COLUMN_CONSTRAINTS = {
    "CONSTR_NOTNULL": frozenset({"contype", "is_enforced", "initially_valid"}),
    "CONSTR_DEFAULT": frozenset({"contype", "raw_expr"}),
    "CONSTR_IDENTITY": frozenset({"contype", "generated_when"}),
    "CONSTR_GENERATED": frozenset({"contype", "raw_expr", "generated_when", "generated_kind"}),
}


def _column(cd: dict, state: _State, *, adding: bool) -> None:
    name = cd.get("colname", "?")
    _only(cd, {"colname", "typeName", "is_local", "constraints", "collClause"}, f"column {name}")
    type_name = cd.get("typeName") or {}
    if _is_serial(type_name):  # CREATE TABLE's shorthand: a sequence owned by the column, its nextval default
        if adding:
            raise _Refused(f"a new serial column {name} on an existing table rewrites every row")
        _only(type_name, {"names", "typemod"}, f"the type of column {name}")
    else:
        _type_name(type_name, state, f"the type of column {name}")
    if "collClause" in cd:
        _collation(cd["collClause"], state)
    for item in cd.get("constraints") or ():
        con = item.get("Constraint") if isinstance(item, dict) else None
        contype = (con or {}).get("contype")
        if contype not in _COLUMN_CONSTRAINTS:
            raise _Refused(f"column {name} with {str(contype).removeprefix('CONSTR_')}: a clause schemadiff "
                           "never writes inline")
        _only(con, _COLUMN_CONSTRAINTS[contype], f"column {name}'s {contype.removeprefix('CONSTR_')}")
        if adding and contype in ("CONSTR_IDENTITY", "CONSTR_GENERATED"):
            raise _Refused(f"a new {'identity' if contype == 'CONSTR_IDENTITY' else 'generated'} column {name} "
                           "on an existing table rewrites every row")
        if contype == "CONSTR_GENERATED" and con.get("generated_kind") != "s":
            raise _Refused(f"column {name}: only STORED generated columns are what schemadiff writes")
        if "raw_expr" in con:
            _expression(con["raw_expr"], "default" if contype == "CONSTR_DEFAULT" else "generated", state,
                        spec_ok=not adding)
        if adding and contype == "CONSTR_DEFAULT":
            _existing_table_default(name, con["raw_expr"], state)
    names = _strings(type_name.get("names"))
    if adding and len(names) == 2 and names[0] != "pg_catalog" and not type_name.get("arrayBounds"):
        _existing_table_domain(name, names, state, own_default=any(
            ((item or {}).get("Constraint") or {}).get("contype") == "CONSTR_DEFAULT"
            for item in cd.get("constraints") or ()))


def _existing_table_domain(name: str, names: list[str], state: _State, *, own_default: bool) -> None:
    """A new column of a domain on a table the plan did not create: ADD COLUMN runs the
    domain's DEFAULT (unless the column has its own) and its CHECK constraints (on NULL
    too) over every existing row, inside the migration."""
    from .expressions import ExpressionError, parse_expression

    default, checks = state.catalog.domain_expressions(names[0], names[1])
    judged = [("CHECK", text, "check") for text in checks] + (
        [] if own_default or default is None else [("DEFAULT", default, "policy")])
    casts = KnownEnums(state.enums, state.catalog.enum)
    for part, text, context in judged:  # "policy": the default's context without the value generators
        try:
            problem = judge_tree(parse_expression(text).tree, context, (), casts=casts)
        except ExpressionError:
            problem = "is an expression the guard cannot read"
        if problem is not None:
            raise _Refused(f"new column {name}, on a table this plan does not create, is of domain "
                           f"{names[0]}.{names[1]}, whose {part} {problem}: adding the column runs it over every "
                           "existing row, inside the migration")


def _existing_table_default(name: str, tree: dict, state: _State) -> None:
    """A new column on a table the plan did not create: ADD COLUMN evaluates its
    default in the migration, once or per existing row. Whatever the planner's
    rules said (SD601), the default may call only pg_catalog functions that are not
    VOLATILE: a VOLATILE one — a value generator of ``funcpolicy.VALUE_GENERATORS``
    too — runs once per existing row, rewriting the table under an ACCESS EXCLUSIVE
    lock (as an identity column would), and ``nextval()`` advances a sequence that
    much. (The "policy" context is the default's without the value generators.)"""
    casts = KnownEnums(state.enums, state.catalog.enum)
    problem = judge_tree(tree, "default", (), casts=casts) or judge_tree(tree, "policy", (), casts=casts)
    if problem is not None:
        raise _Refused(f"the default of new column {name}, on a table this plan does not create, calls "
                       f"{problem.function}: it runs inside the migration, so there a default may call only "
                       "pg_catalog functions that are not VOLATILE (a value generator such as gen_random_uuid() "
                       "or nextval() runs once per existing row, rewriting the table under an exclusive lock)")


_TABLE_CONSTRAINTS = {
    "CONSTR_CHECK": frozenset({"contype", "conname", "is_enforced", "initially_valid", "skip_validation",
                               "raw_expr"}),
    "CONSTR_PRIMARY": frozenset({"contype", "conname", "keys", "indexname", "deferrable", "initdeferred",
                                 "options"}),
    "CONSTR_UNIQUE": frozenset({"contype", "conname", "keys", "indexname", "deferrable", "initdeferred",
                                "nulls_not_distinct", "options"}),
    "CONSTR_FOREIGN": frozenset({"contype", "conname", "is_enforced", "initially_valid", "skip_validation",
                                 "pktable", "fk_attrs", "pk_attrs", "fk_matchtype", "fk_upd_action",
                                 "fk_del_action", "deferrable", "initdeferred"}),
}


def _constraint(con: dict, state: _State, table: tuple[str, str], *, new_table: bool, in_alter: bool) -> None:
    contype = con.get("contype")
    if contype not in _TABLE_CONSTRAINTS:
        raise _Refused(f"a {str(contype).removeprefix('CONSTR_')} constraint is not what schemadiff writes")
    name = con.get("conname")
    what = f"constraint {name}"
    _only(con, _TABLE_CONSTRAINTS[contype], what)
    if not name:
        raise _Refused(f"an unnamed {contype.removeprefix('CONSTR_')} constraint is not what schemadiff writes")
    if contype == "CONSTR_CHECK":
        _expression(con.get("raw_expr"), "check", state, spec_ok=new_table)
    if contype == "CONSTR_FOREIGN":
        _relation(con.get("pktable") or {}, f"{what}'s referenced table")
        if con.get("fk_matchtype", "s") != "s":
            raise _Refused(f"{what}: MATCH FULL/PARTIAL is not what schemadiff writes")
    if contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE"):
        if "options" in con:
            _storage_options(con["options"], "btree", f"{what} … WITH")
        if "indexname" in con and (con.get("keys") or not in_alter):
            raise _Refused(f"{what}: USING INDEX goes only in ALTER TABLE, without columns")
        if "indexname" not in con and not con.get("keys"):
            raise _Refused(f"{what} without columns")
    if in_alter and not new_table:
        if contype in ("CONSTR_CHECK", "CONSTR_FOREIGN") and not con.get("skip_validation"):
            raise _Refused(f"{what} on an existing table must be added NOT VALID (and validated in its own "
                           "step): validating it here holds a lock that blocks writes while every row is read")
        if contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE") and "indexname" not in con:
            raise _Refused(f"{what} on an existing table must be attached USING INDEX (built concurrently); "
                           "building it here blocks writes")
    elif con.get("skip_validation"):
        raise _Refused(f"{what}: NOT VALID on a new table is not what schemadiff writes")


def _index(node: dict, phase: str, state: _State) -> None:
    _only(node, {"idxname", "relation", "accessMethod", "indexParams", "indexIncludingParams", "whereClause",
                 "unique", "nulls_not_distinct", "concurrent", "options"}, "CREATE INDEX")
    if not node.get("idxname"):
        raise _Refused("an unnamed index is not what schemadiff writes")
    if "options" in node:
        _storage_options(node["options"], node.get("accessMethod", "btree"), "CREATE INDEX … WITH")
    table = _relation(node["relation"], f"index {node['idxname']}'s table")
    concurrent = bool(node.get("concurrent"))
    if concurrent != (phase == CONCURRENT):
        raise _Refused("CREATE INDEX CONCURRENTLY runs in the concurrent phase, and only it"
                       if concurrent else "CREATE INDEX in the concurrent phase must be CONCURRENTLY")
    if not concurrent and table not in state.created:
        raise _Refused(f"CREATE INDEX without CONCURRENTLY on {table[0]}.{table[1]}, a table this plan does not "
                       "create, blocks writes for the whole build")
    for item in node.get("indexParams") or ():
        elem = item.get("IndexElem") or {}
        _only(elem, {"name", "expr", "collation", "opclass", "ordering", "nulls_ordering"}, "index key")
        if ("name" in elem) == ("expr" in elem):
            raise _Refused("an index key is a column or an expression")
        if "expr" in elem:
            _expression(elem["expr"], "index", state, spec_ok=table in state.created)
        if elem.get("collation"):
            _qualified(_strings(elem["collation"]), "collation", "collation", state)
        if elem.get("opclass"):
            _qualified(_strings(elem["opclass"]), "operator class", "opclass", state)
    for item in node.get("indexIncludingParams") or ():
        elem = item.get("IndexElem") or {}
        _only(elem, {"name", "ordering", "nulls_ordering"}, "INCLUDE column")
        if "name" not in elem:
            raise _Refused("an INCLUDE key that is not a column")
        if (elem.get("ordering", "SORTBY_DEFAULT"), elem.get("nulls_ordering", "SORTBY_NULLS_DEFAULT")) != (
                "SORTBY_DEFAULT", "SORTBY_NULLS_DEFAULT"):  # the parser's defaults, not an order: INCLUDE has none
            raise _Refused("an INCLUDE column with an order")
    if "whereClause" in node:
        _expression(node["whereClause"], "index", state, spec_ok=table in state.created)


_ALTER_SUBCOMMANDS = {
    "AT_AddColumn": frozenset({"subtype", "def", "behavior"}),
    "AT_AddConstraint": frozenset({"subtype", "def", "behavior"}),
    "AT_ValidateConstraint": frozenset({"subtype", "name", "behavior"}),
    "AT_EnableRowSecurity": frozenset({"subtype", "behavior"}),
    "AT_ForceRowSecurity": frozenset({"subtype", "behavior"}),
    "AT_AlterColumnType": frozenset({"subtype", "name", "def", "behavior"}),
    # the enabled state of a trigger this plan creates
    "AT_DisableTrig": frozenset({"subtype", "name", "behavior"}),
    "AT_EnableReplicaTrig": frozenset({"subtype", "name", "behavior"}),
    "AT_EnableAlwaysTrig": frozenset({"subtype", "name", "behavior"}),
}
_TRIGGER_STATES = frozenset({"AT_DisableTrig", "AT_EnableReplicaTrig", "AT_EnableAlwaysTrig"})


def _set_storage(node: dict, phase: str, state: _State) -> None:
    """``ALTER TABLE|INDEX … SET (storage parameters)``: one subcommand, allowlisted keys."""
    objtype = node.get("objtype")
    what = f"ALTER {'TABLE' if objtype == 'OBJECT_TABLE' else 'INDEX'} … SET"
    _relation(node["relation"], "table" if objtype == "OBJECT_TABLE" else "index")
    cmds = [c.get("AlterTableCmd") or {} for c in node.get("cmds") or ()]
    if len(cmds) != 1:
        raise _Refused(f"{what} with {len(cmds)} subcommands; schemadiff writes one")
    _only(cmds[0], {"subtype", "def", "behavior"}, what)
    if cmds[0].get("behavior", "DROP_RESTRICT") != "DROP_RESTRICT":
        raise _Refused("CASCADE is not what schemadiff writes")
    items = ((cmds[0].get("def") or {}).get("List") or {}).get("items")
    _storage_options(items, "heap" if objtype == "OBJECT_TABLE" else None, what, online_only=True)


def _alter_table(node: dict, phase: str, state: _State) -> None:
    _only(node, {"relation", "cmds", "objtype"}, "ALTER TABLE")
    subtypes = [(c.get("AlterTableCmd") or {}).get("subtype") for c in node.get("cmds") or ()]
    if node.get("objtype") in ("OBJECT_TABLE", "OBJECT_INDEX") and subtypes == ["AT_SetRelOptions"]:
        return _set_storage(node, phase, state)
    if node.get("objtype") != "OBJECT_TABLE":
        raise _Refused(f"ALTER {str(node.get('objtype')).removeprefix('OBJECT_')} is not what schemadiff writes")
    schema, table = _relation(node["relation"], "table")
    new_table = (schema, table) in state.created
    cmds = [c.get("AlterTableCmd") or {} for c in node.get("cmds") or ()]
    for cmd in cmds:
        if cmd.get("behavior", "DROP_RESTRICT") != "DROP_RESTRICT":
            raise _Refused("CASCADE is not what schemadiff writes")
    subtypes = [c.get("subtype") for c in cmds]
    if subtypes == ["AT_DropConstraint", "AT_AddConstraint"]:
        drop, add = cmds
        _only(drop, {"subtype", "name", "behavior"}, "DROP CONSTRAINT")
        _only(add, _ALTER_SUBCOMMANDS["AT_AddConstraint"], "ADD CONSTRAINT")
        con = (add.get("def") or {}).get("Constraint") or {}
        if not (con.get("contype") == "CONSTR_CHECK" and con.get("skip_validation") and con.get("conname")
                and con["conname"] == drop.get("name")):
            raise _Refused("DROP CONSTRAINT is allowed only as a CHECK replaced by a NOT VALID CHECK of the "
                           "same name")
        _constraint(con, state, (schema, table), new_table=new_table, in_alter=True)
        if not state.catalog.is_check(schema, table, drop["name"]):
            raise _Refused(f"DROP CONSTRAINT {drop['name']}: the database's constraint of that name on "
                           f"{schema}.{table} is not a CHECK")
        return
    if len(cmds) != 1:
        raise _Refused(f"ALTER TABLE with {len(cmds)} subcommands; schemadiff writes one")
    cmd = cmds[0]
    subtype = cmd.get("subtype")
    if subtype not in _ALTER_SUBCOMMANDS:
        raise _Refused(f"ALTER TABLE … {str(subtype).removeprefix('AT_')} is not additive")
    _only(cmd, _ALTER_SUBCOMMANDS[subtype], f"ALTER TABLE … {subtype.removeprefix('AT_')}")
    if subtype in _TRIGGER_STATES and not new_table:
        raise _Refused(f"the state of a trigger on {schema}.{table}, a table this plan does not create")
    if subtype in _TRIGGER_STATES and (schema, table, cmd.get("name")) not in state.triggers:
        raise _Refused(f"the state of trigger {cmd.get('name')} on {schema}.{table}, a trigger this plan does not "
                       "create (before this statement)")
    definition = cmd.get("def") or {}
    if subtype == "AT_AddColumn":
        _column(definition.get("ColumnDef") or {}, state, adding=not new_table)
    elif subtype == "AT_AddConstraint":
        if "Constraint" not in definition:
            raise _Refused("ADD CONSTRAINT without a constraint")
        _constraint(definition["Constraint"], state, (schema, table), new_table=new_table, in_alter=True)
    elif subtype == "AT_AlterColumnType":
        _widening(schema, table, cmd.get("name", ""), definition.get("ColumnDef") or {}, state)


def _widening(schema: str, table: str, column: str, cd: dict, state: _State) -> None:
    from .rules.facts import is_varchar_widening

    _only(cd, {"typeName"}, f"ALTER COLUMN {column} TYPE")
    type_name = cd.get("typeName") or {}
    _type_name(type_name, state)
    names = _strings(type_name.get("names"))
    mods = [(m["A_Const"]["ival"] or {}).get("ival", 0) for m in type_name.get("typmods") or ()]
    if type_name.get("arrayBounds") or names[0] not in ("pg_catalog", names[-1]) or len(mods) > 1:
        after = None
    elif names[-1] == "text" and not mods:
        after = "text"
    elif names[-1] == "varchar":
        after = f"character varying({mods[0]})" if mods else "character varying"
    else:
        after = None
    before = state.catalog.column_type(schema, table, column)
    if after is None or before is None or not is_varchar_widening(before, after):
        raise _Refused(f"ALTER COLUMN {column} TYPE: only a varchar widening is allowed (from {before} to "
                       f"{after or '.'.join(names)})")


_COMMENT_TARGETS = {"OBJECT_TABLE": 2, "OBJECT_COLUMN": 3, "OBJECT_INDEX": 2, "OBJECT_TYPE": None,
                    "OBJECT_SEQUENCE": 2, "OBJECT_FUNCTION": None, "OBJECT_VIEW": 2, "OBJECT_MATVIEW": 2,
                    # COMMENT ON CONSTRAINT / POLICY / TRIGGER name ON schema.table: [schema, table, name]
                    # (a domain's constraint, OBJECT_DOMCONSTRAINT, is not written)
                    "OBJECT_TABCONSTRAINT": 3, "OBJECT_POLICY": 3, "OBJECT_TRIGGER": 3}


def _comment(node: dict, phase: str, state: _State) -> None:
    _only(node, {"objtype", "object", "comment"}, "COMMENT")
    objtype = node.get("objtype")
    if objtype not in _COMMENT_TARGETS:
        raise _Refused(f"COMMENT ON {str(objtype).removeprefix('OBJECT_')} is not what schemadiff writes")
    target = node.get("object") or {}
    if objtype == "OBJECT_FUNCTION":
        owa = target.get("ObjectWithArgs") or {}
        _only(owa, {"objname", "objargs", "objfuncargs"}, "COMMENT ON FUNCTION")
        names = _strings(owa.get("objname"))
        for arg in owa.get("objargs") or ():
            _type_name((arg or {}).get("TypeName") or {}, state, "argument type")
    elif objtype == "OBJECT_TYPE":
        names = _strings((target.get("TypeName") or {}).get("names"))
        _only(target.get("TypeName") or {}, {"names", "typemod"}, "COMMENT ON TYPE")
    else:
        names = _strings((target.get("List") or {}).get("items"))
    if len(names) != (_COMMENT_TARGETS[objtype] or 2):
        raise _Refused(f"COMMENT ON {objtype.removeprefix('OBJECT_')} {'.'.join(names)} is not schema-qualified")
    _schema(names[0])


def _create_schema(node: dict, phase: str, state: _State) -> None:
    _only(node, {"schemaname"}, "CREATE SCHEMA")
    _schema(node.get("schemaname", ""))


def _create_extension(node: dict, phase: str, state: _State) -> None:
    _only(node, {"extname", "if_not_exists", "options"}, "CREATE EXTENSION")
    if not node.get("if_not_exists"):
        raise _Refused("CREATE EXTENSION without IF NOT EXISTS is not what schemadiff writes")
    for item in node.get("options") or ():
        opt = item.get("DefElem") or {}
        _only(opt, {"defname", "arg", "defaction"}, "CREATE EXTENSION option")
        if opt.get("defname") != "schema" or opt.get("defaction", "DEFELEM_UNSPEC") != "DEFELEM_UNSPEC":
            raise _Refused(f"CREATE EXTENSION … {str(opt.get('defname')).upper()} is not what schemadiff writes")
        _schema(_strings([opt.get("arg")])[0])


def _create_enum(node: dict, phase: str, state: _State) -> None:
    _only(node, {"typeName", "vals"}, "CREATE TYPE")
    names = _strings(node.get("typeName"))
    if len(names) != 2:
        raise _Refused(f"type {'.'.join(names)} is not schema-qualified")
    _schema(names[0])
    state.enums.add((names[0], names[1]))


def _alter_enum(node: dict, phase: str, state: _State) -> None:
    _only(node, {"typeName", "newVal", "newValNeighbor", "newValIsAfter"}, "ALTER TYPE")
    if "newVal" not in node:
        raise _Refused("ALTER TYPE other than ADD VALUE is not additive")
    if phase != ENUM_VALUES:
        raise _Refused("ALTER TYPE … ADD VALUE runs in the enum-values phase, and only it")
    names = _strings(node.get("typeName"))
    if len(names) != 2:
        raise _Refused(f"type {'.'.join(names)} is not schema-qualified")
    _schema(names[0])


def _create_policy(node: dict, phase: str, state: _State) -> None:
    _only(node, {"policy_name", "table", "cmd_name", "permissive", "roles", "qual", "with_check"}, "CREATE POLICY")
    _relation(node.get("table") or {}, f"policy {node.get('policy_name')}'s table")
    for part in ("qual", "with_check"):
        if part in node:
            _expression(node[part], "policy", state)


_TIMEOUTS = {"lock_timeout": lock_timeout_ms, "statement_timeout": statement_timeout_ms}


def _set(node: dict, phase: str, state: _State) -> None:
    name = node.get("name")
    if name not in _TIMEOUTS:
        raise _Refused(f"SET {name} is not allowed (only lock_timeout and statement_timeout)")
    _only(node, {"kind", "name", "args", "is_local"}, f"SET {name}")
    args = node.get("args") or []
    const = (args[0].get("A_Const") if len(args) == 1 and isinstance(args[0], dict) else None) or {}
    if node.get("kind") != "VAR_SET_VALUE" or not const or set(const) - {"ival", "sval", "location"}:
        raise _Refused(f"SET {name} must be one duration: 0, DEFAULT or RESET would wait forever")
    value = const["ival"].get("ival", 0) if "ival" in const else const["sval"].get("sval", "")
    try:
        _TIMEOUTS[name](value)
    except DurationError as exc:
        raise _Refused(f"SET {exc}") from None


def _drop(node: dict, phase: str, state: _State) -> None:
    if node.get("removeType") != "OBJECT_INDEX":
        raise _Refused("DROP is destructive")
    _only(node, {"objects", "removeType", "behavior", "missing_ok", "concurrent"}, "DROP INDEX")
    objects = node.get("objects") or []
    if not (node.get("concurrent") and node.get("missing_ok") and node.get("behavior") == "DROP_RESTRICT"
            and len(objects) == 1 and phase == CONCURRENT):
        raise _Refused("DROP INDEX is allowed only as one DROP INDEX CONCURRENTLY IF EXISTS in the concurrent phase")
    names = _strings((objects[0].get("List") or {}).get("items"))
    if len(names) != 2:
        raise _Refused(f"DROP INDEX of {'.'.join(names)}, which is not schema-qualified")
    if not state.catalog.invalid_index(_schema(names[0]), names[1]):
        raise _Refused(f"DROP INDEX of {'.'.join(names)}, which the database does not hold INVALID")


_SEQUENCE_TYPES = (["pg_catalog", "int2"], ["pg_catalog", "int4"], ["pg_catalog", "int8"])
_SEQUENCE_NUMBERS = frozenset({"increment", "minvalue", "maxvalue", "start", "cache"})


def _sequence_options(node: dict, allowed: frozenset[str], what: str) -> list[str]:
    """The option names of a CREATE/ALTER SEQUENCE, each of the shape the compiler writes."""
    names = []
    for item in node.get("options") or ():
        opt = item.get("DefElem") if isinstance(item, dict) else None
        if not opt:
            raise _Refused(f"{what} with an option that is not one")
        _only(opt, {"defname", "arg", "defaction"}, f"{what} option")
        name = opt.get("defname")
        if name not in allowed or opt.get("defaction", "DEFELEM_UNSPEC") != "DEFELEM_UNSPEC" or name in names:
            never = " (a plan never moves a sequence's current value)" if name == "restart" else ""
            raise _Refused(f"{what} … {str(name).upper()} is not what schemadiff writes{never}")
        arg = opt.get("arg") or {}
        if name in _SEQUENCE_NUMBERS:
            if not (set(arg) == {"Integer"} or (set(arg) == {"Float"} and _is_integer_text(arg["Float"].get("fval")))):
                raise _Refused(f"{what} … {name.upper()} that is not a number")
        elif name == "as":
            tn = arg.get("TypeName") or {}
            _only(tn, {"names", "typemod"}, f"{what} … AS")
            if _strings(tn.get("names")) not in _SEQUENCE_TYPES:
                raise _Refused(f"{what} … AS that is not smallint, integer or bigint")
        elif name == "cycle":
            if set(arg) != {"Boolean"}:
                raise _Refused(f"{what} … CYCLE that is not CYCLE or NO CYCLE")
        names.append(name)
    return names


def _is_integer_text(text) -> bool:
    return isinstance(text, str) and text.lstrip("-").isdigit()


def _create_sequence(node: dict, phase: str, state: _State) -> None:
    _only(node, {"sequence", "options"}, "CREATE SEQUENCE")
    name = _relation(node.get("sequence") or {}, "sequence")
    _sequence_options(node, frozenset({"as", "cycle"}) | _SEQUENCE_NUMBERS, "CREATE SEQUENCE")
    state.sequences.add(name)


_TYPE_ORDER = {"int2": 0, "int4": 1, "int8": 2, "smallint": 0, "integer": 1, "bigint": 2}


def _number(arg: dict) -> int:
    if "Integer" in arg:
        return int((arg["Integer"] or {}).get("ival", 0))
    return int(arg["Float"]["fval"])


def _widens(node: dict, schema: str, name: str, state: _State) -> None:
    """An ALTER SEQUENCE of a sequence the plan does not create: only what SD203 writes,
    measured against the catalog: a wider type, a lower minvalue, a higher maxvalue,
    a step in the same direction, any start or cache, an owner where there was none."""
    facts = state.catalog.sequence(schema, name)
    if facts is None:
        raise _Refused(f"ALTER SEQUENCE of {schema}.{name}, a sequence this plan does not create and the database "
                       "does not hold")
    for item in node.get("options") or ():
        opt = item["DefElem"]
        key, arg = opt.get("defname"), opt.get("arg") or {}
        why = None
        if key == "as":
            after = _strings((arg.get("TypeName") or {}).get("names"))[-1]
            if _TYPE_ORDER[after] < _TYPE_ORDER.get(facts.type, 2):
                why = f"AS {after} narrows {facts.type}"
        elif key == "maxvalue" and _number(arg) < facts.maxvalue:
            why = f"MAXVALUE {_number(arg)} is below {facts.maxvalue}"
        elif key == "minvalue" and _number(arg) > facts.minvalue:
            why = f"MINVALUE {_number(arg)} is above {facts.minvalue}"
        elif key == "increment" and (_number(arg) > 0) != (facts.increment > 0):
            why = f"INCREMENT BY {_number(arg)} reverses {facts.increment}"
        elif key == "owned_by" and facts.owned:
            raise _Refused(f"ALTER SEQUENCE {schema}.{name} OWNED BY: the sequence already has an owner (a plan only "
                           "gives one to a sequence without)")
        if why is not None:
            raise _Refused(f"ALTER SEQUENCE of {schema}.{name}, a sequence this plan does not create, only widens it: "
                           f"{why}")


def _alter_sequence(node: dict, phase: str, state: _State) -> None:
    _only(node, {"sequence", "options"}, "ALTER SEQUENCE")
    schema, sequence = _relation(node.get("sequence") or {}, "sequence")
    names = _sequence_options(node, frozenset({"as", "owned_by"}) | _SEQUENCE_NUMBERS, "ALTER SEQUENCE")
    if not names:
        raise _Refused("ALTER SEQUENCE without an option")
    if "owned_by" in names:
        if names != ["owned_by"]:
            raise _Refused("ALTER SEQUENCE … OWNED BY with other options is not what schemadiff writes")
        opt = node["options"][0]["DefElem"]
        owner = _strings((opt.get("arg") or {}).get("List", {}).get("items"))
        if len(owner) != 3 or owner[0] != schema:
            raise _Refused(f"ALTER SEQUENCE … OWNED BY {'.'.join(owner)}: schemadiff writes only "
                           "schema.table.column of the sequence's own schema (never NONE)")
    if (schema, sequence) not in state.sequences:
        _widens(node, schema, sequence, state)


_FUNCTION_OPTIONS = frozenset({"language", "volatility", "strict", "security", "set", "as"})
LANGUAGES = frozenset({"sql", "plpgsql"})  # trusted languages only: no C, no untrusted plperlu/plpython3u


def _create_function(node: dict, phase: str, state: _State) -> None:
    """``CREATE FUNCTION s.f(args) RETURNS t LANGUAGE sql|plpgsql VOLATILITY [STRICT]
    [SECURITY DEFINER] [SET search_path TO …] AS $body$…$body$``, exactly: no OR
    REPLACE, no procedure, no SETOF, no argument modes or defaults, no other
    setting, no BEGIN ATOMIC; SECURITY DEFINER only with its own search_path."""
    _only(node, {"funcname", "parameters", "returnType", "options"}, "CREATE FUNCTION")
    names = _strings(node.get("funcname"))
    if len(names) != 2:
        raise _Refused(f"function {'.'.join(names)} is not schema-qualified")
    _schema(names[0])
    for item in node.get("parameters") or ():
        param = item.get("FunctionParameter") if isinstance(item, dict) else None
        if not param:
            raise _Refused("a function argument that is not a plain parameter")
        _only(param, {"name", "argType", "mode"}, "function argument")
        if param.get("mode", "FUNC_PARAM_DEFAULT") not in ("FUNC_PARAM_DEFAULT", "FUNC_PARAM_IN"):
            raise _Refused("a function argument other than IN is not what schemadiff writes")
        _signature_type(param.get("argType") or {}, state, "argument type")
    _signature_type(node.get("returnType") or {}, state, "return type")
    options: dict[str, dict] = {}
    for item in node.get("options") or ():
        opt = item.get("DefElem") if isinstance(item, dict) else None
        if not opt:
            raise _Refused("a function option schemadiff never writes")
        _only(opt, {"defname", "arg", "defaction"}, "function option")
        name = opt.get("defname")
        if name not in _FUNCTION_OPTIONS or name in options or opt.get("defaction", "DEFELEM_UNSPEC") != "DEFELEM_UNSPEC":
            raise _Refused(f"CREATE FUNCTION … {str(name).upper()} is not what schemadiff writes")
        options[name] = opt.get("arg") or {}
    language = _strings([options.get("language") or {}])[0] if "language" in options else ""
    if language not in LANGUAGES:
        raise _Refused(f"LANGUAGE {language or '(none)'}: schemadiff writes only sql and plpgsql functions")
    body = (options.get("as") or {}).get("List", {}).get("items") or []
    if len(body) != 1 or set(body[0]) != {"String"}:
        raise _Refused("a function body that is not one string")
    if "volatility" not in options:
        raise _Refused("CREATE FUNCTION without its volatility is not what schemadiff writes")
    if _strings([options["volatility"]])[0] not in ("volatile", "stable", "immutable"):
        raise _Refused("an unknown volatility")
    for flag in ("strict", "security"):
        if flag in options and set(options[flag]) != {"Boolean"}:
            raise _Refused(f"{flag.upper()} that is not a plain flag")
    path = None
    if "set" in options:
        setting = options["set"].get("VariableSetStmt") or {}
        _only(setting, {"kind", "name", "args"}, "SET of a function")
        if setting.get("name") != "search_path" or setting.get("kind") != "VAR_SET_VALUE":
            raise _Refused("a function may set search_path, and nothing else")
        path = []
        for arg in setting.get("args") or ():
            const = arg.get("A_Const") if isinstance(arg, dict) else None
            if not const or set(const) - {"sval", "location"}:
                raise _Refused("search_path of a function must be schema names")
            path.append(const["sval"].get("sval", ""))
    definer = bool(options.get("security", {}).get("Boolean", {}).get("boolval"))
    if definer and path is None:
        raise _Refused("SECURITY DEFINER without its own search_path lets a caller choose what it runs with "
                       "the owner's rights")
    if path is not None:
        found = searchpath.problem(path, definer)
        if found is not None:
            raise _Refused(found[0])


def _signature_type(tn: dict, state: _State, what: str) -> None:
    """An argument or result type: no SETOF, no modifier (PostgreSQL drops it from a
    signature; schemadiff never writes one, ``spec.functions.signature_type``)."""
    _type_name(tn, state, what)
    if tn.get("typmods"):
        raise _Refused(f"{what} with a type modifier: a function signature holds the type without it")


_TRIGGER_EVENTS = 4 | 8 | 16 | 32  # insert, delete, update, truncate


def _create_trigger(node: dict, phase: str, state: _State) -> None:
    """``CREATE TRIGGER t BEFORE|AFTER events ON s.table FOR EACH ROW|STATEMENT
    [WHEN (…)] EXECUTE FUNCTION s.f('arg', …)``, on a table this plan creates: no
    OR REPLACE, constraint trigger, INSTEAD OF or REFERENCING."""
    _only(node, {"trigname", "relation", "funcname", "args", "row", "timing", "events", "columns", "whenClause"},
          "CREATE TRIGGER")
    table = _relation(node.get("relation") or {}, f"trigger {node.get('trigname')}'s table")
    if table not in state.created:
        raise _Refused(f"CREATE TRIGGER on {table[0]}.{table[1]}, a table this plan does not create, changes what "
                       "every write to it does")
    names = _strings(node.get("funcname"))
    if len(names) != 2:
        raise _Refused(f"trigger function {'.'.join(names)} is not schema-qualified")
    if names[0] != "pg_catalog":
        _schema(names[0])
    function = (names[0], names[1])
    if names[0] == "pg_catalog":
        known = names[1] in CATALOG_TRIGGER_FUNCTIONS
    else:
        known = function in state.functions or state.catalog.trigger_function(*function)
    if not known:
        raise _Refused(f"trigger function {'.'.join(names)}() is not a trigger function this plan creates or the "
                       "database has" + (f" (of pg_catalog's, only {', '.join(sorted(CATALOG_TRIGGER_FUNCTIONS))})"
                                         if names[0] == "pg_catalog" else ""))
    _strings(node.get("args"))
    _strings(node.get("columns"))
    if node.get("timing", 0) not in (0, 2):
        raise _Refused("a trigger is BEFORE or AFTER (INSTEAD OF is for views)")
    events = node.get("events", 0)
    if not events or events & ~_TRIGGER_EVENTS:
        raise _Refused("trigger events other than INSERT, UPDATE, DELETE, TRUNCATE")
    if "whenClause" in node:
        _expression(node["whenClause"], "policy", state)
    state.triggers.add((table[0], table[1], node.get("trigname")))


_VIEW_NEVER = {"InsertStmt": "an INSERT", "UpdateStmt": "an UPDATE", "DeleteStmt": "a DELETE",
               "MergeStmt": "a MERGE", "intoClause": "INTO", "lockingClause": "FOR UPDATE/SHARE",
               "withClause": "WITH (a common table expression)", "ParamRef": "a parameter"}


def _create_view(node: dict, phase: str, state: _State) -> None:
    """``CREATE VIEW s.v [WITH (security_invoker = true, security_barrier = true)] AS
    SELECT … [WITH LOCAL|CASCADED CHECK OPTION]``: no OR REPLACE, no column list, no
    TEMP or RECURSIVE view; its query one SELECT with no INTO, FOR UPDATE, WITH or
    data-modifying statement, every relation schema-qualified, calls judged like a
    policy's."""
    _only(node, {"view", "query", "options", "withCheckOption"}, "CREATE VIEW")
    _relation(node.get("view") or {}, "view")
    for item in node.get("options") or ():
        opt = item.get("DefElem") if isinstance(item, dict) else None
        if not opt:
            raise _Refused("a view option schemadiff never writes")
        _only(opt, {"defname", "arg", "defaction"}, "view option")
        if opt.get("defname") not in ("security_invoker", "security_barrier") \
                or (opt.get("arg") or {}).get("String", {}).get("sval") != "true":
            raise _Refused(f"CREATE VIEW … WITH ({opt.get('defname')}) is not what schemadiff writes")
    if node.get("withCheckOption", "NO_CHECK_OPTION") not in ("NO_CHECK_OPTION", "LOCAL_CHECK_OPTION",
                                                              "CASCADED_CHECK_OPTION"):
        raise _Refused("an unknown check option")
    _view_query(node.get("query") or {}, state)


def _create_matview(node: dict, phase: str, state: _State) -> None:
    """``CREATE MATERIALIZED VIEW s.m AS SELECT … WITH NO DATA``: nothing else of
    CREATE TABLE AS (no column list, USING, WITH options, TABLESPACE, IF NOT EXISTS,
    TEMP or UNLOGGED, and never filled: the migration does not run its query); the
    query as a view's. The plan's indexes on it may then be built in the transaction."""
    _only(node, {"query", "into", "objtype"}, "CREATE MATERIALIZED VIEW")
    if node.get("objtype") != "OBJECT_MATVIEW":
        raise _Refused("CREATE TABLE AS / SELECT INTO is not what schemadiff writes")
    into = node.get("into") or {}
    _only(into, {"rel", "onCommit", "skipData"}, "CREATE MATERIALIZED VIEW")
    if not into.get("skipData") or into.get("onCommit", "ONCOMMIT_NOOP") != "ONCOMMIT_NOOP":
        raise _Refused("a materialized view filled by the migration (schemadiff writes WITH NO DATA)")
    state.created.add(_relation(into.get("rel") or {}, "materialized view"))
    _view_query(node.get("query") or {}, state)


def _view_query(query: dict, state: _State) -> None:
    if set(query) != {"SelectStmt"}:
        raise _Refused("a view whose query is not one SELECT")
    todo = [query]
    while todo:
        value = todo.pop()
        if isinstance(value, list):
            todo.extend(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in _VIEW_NEVER and item:
                    raise _Refused(f"a view query with {_VIEW_NEVER[key]}: a clause schemadiff never writes")
                if isinstance(item, (dict, list)):
                    todo.append(item)
    _expression(query, "policy", state)


_STATEMENTS = {
    "CreateStmt": _create_table, "IndexStmt": _index, "AlterTableStmt": _alter_table, "CommentStmt": _comment,
    "CreateSchemaStmt": _create_schema, "CreateExtensionStmt": _create_extension, "CreateEnumStmt": _create_enum,
    "AlterEnumStmt": _alter_enum, "CreatePolicyStmt": _create_policy, "VariableSetStmt": _set, "DropStmt": _drop,
    "CreateSeqStmt": _create_sequence, "AlterSeqStmt": _alter_sequence,
    "CreateFunctionStmt": _create_function, "CreateTrigStmt": _create_trigger, "ViewStmt": _create_view,
    "CreateTableAsStmt": _create_matview,
}
