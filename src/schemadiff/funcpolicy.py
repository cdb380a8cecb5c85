"""Which functions a spec expression may call, decided without a database.

A CHECK is evaluated once per existing row by ``VALIDATE``, an index expression
once per row by the build, a default once (or once per row) by ``ADD COLUMN``:
a side effect there is a destructive change in disguise, run by the migration
itself. So every function an expression calls is judged, from a snapshot of
``pg_catalog`` (``data/pg_functions.json``: each name with the volatilities of
its overloads, and the operators) and a short denylist:

============  ==================================================================
context       may call
============  ==================================================================
check,        functions with an IMMUTABLE overload and no VOLATILE one;
generated,    no ``CURRENT_DATE``-like value functions, no external functions
index
default       functions with no VOLATILE overload, the value generators of
              ``VALUE_GENERATORS`` (``gen_random_uuid()``, ``clock_timestamp()``,
              ``nextval('a sequence')``…), and declared ``external`` functions
policy        functions with no VOLATILE overload, and declared ``external``
              functions
============  ==================================================================

In every context: nothing on ``DENYLIST`` (by name, in any schema: reading
files, running SQL text, large objects, sequences, settings, locks, signals,
``dblink``…); a function name without a schema must be a ``pg_catalog`` one
(apply runs with ``search_path = pg_catalog``: anything else would not resolve,
or would resolve to whatever a hostile ``search_path`` puts first); a
schema-qualified one must be ``pg_catalog``'s or declared under
``external: functions``; operators must be ``pg_catalog``'s; no query
parameters, and no row locks or data-modifying ``WITH`` in a policy's subquery;
a cast only to a built-in type or an enum of the spec (``casts.py``: a cast runs
the type's input function, and a domain's CHECK).

The spec's own functions (``functions=``, ``speccalls.Callee``), called by their
schema-qualified name, are judged by their declared volatility as built-ins are
(a VOLATILE one only in a default; SD607 keeps any of them off existing rows).

The judge works on libpg_query's JSON parse tree, so the loader (on a spec's
expression) and apply's guard (on an expression inside a parsed statement) ask
the same question of the same structure.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .model import QualifiedName

CONTEXTS = ("check", "generated", "index", "default", "policy")
_IMMUTABLE_ONLY = frozenset({"check", "generated", "index"})

# Functions with effects beyond computing a value, or that read what an expression
# must not (files, other databases, SQL text run by name). Exact names, then prefixes.
DENYLIST = frozenset({
    "setval", "currval", "lastval", "set_config",
    "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile",
    "pg_promote", "pg_switch_wal", "pg_create_restore_point", "pg_log_backend_memory_contexts",
    "pg_notify", "pg_sleep", "pg_sleep_for", "pg_sleep_until", "pg_import_system_collations",
    "txid_current", "txid_current_if_assigned", "pg_current_xact_id", "pg_current_xact_id_if_assigned",
    "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema",
    "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema",
    "schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema",
    "database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema",
    "pg_copy_logical_replication_slot", "pg_copy_physical_replication_slot", "pg_drop_replication_slot",
    "pg_create_logical_replication_slot", "pg_create_physical_replication_slot",
    "pg_backup_start", "pg_backup_stop", "pg_stat_reset", "pg_nextoid",
})
DENYLIST_PREFIXES = (
    "lo_", "be_lo_", "loread", "lowrite", "dblink", "pg_advisory_", "pg_try_advisory_", "pg_read_",
    "pg_ls_", "pg_stat_file", "pg_file_", "pg_logical_", "pg_replication_", "pg_stat_reset",
    "pg_wal_replay_", "pg_signal_", "pg_export_snapshot", "pg_sequence_", "pg_truncate_",
)

# VOLATILE functions a DEFAULT may call: value generators, evaluated per inserted row.
VALUE_GENERATORS = frozenset({
    "gen_random_uuid", "uuidv4", "uuidv7", "random", "random_normal", "clock_timestamp", "timeofday",
    "nextval",
})


@dataclass(frozen=True)
class FunctionProblem:
    function: str  # as written: "pg_catalog.setval", "lo_unlink", "operator evil.+"
    reason: str

    def __str__(self) -> str:
        return f"calls {self.function}: {self.reason}"


@cache
def _snapshot() -> dict:
    return json.loads(resources.files("schemadiff").joinpath("data/pg_functions.json").read_text("utf-8"))


@cache
def catalog() -> tuple[dict[str, str], frozenset[str]]:
    """pg_catalog's function names -> volatilities ("i", "s", "v", "is"…), and operators."""
    return _snapshot()["functions"], frozenset(_snapshot()["operators"])


@cache
def catalog_opclasses() -> frozenset[str]:
    """pg_catalog's operator class names (an index key may name one unqualified)."""
    return frozenset(_snapshot()["opclasses"])


def is_denied(name: str) -> bool:
    return name in DENYLIST or name.startswith(DENYLIST_PREFIXES)


def _names(items) -> tuple[str, ...]:
    return tuple(i["String"].get("sval", "") for i in items or () if "String" in i)


def _walk(tree) -> Iterator[tuple[str, dict]]:
    """Every node of a JSON parse tree as (node type, body)."""
    todo = [tree]
    while todo:
        value = todo.pop()
        if isinstance(value, list):
            todo.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        if len(value) == 1:
            key = next(iter(value))
            if key[:1].isupper() and isinstance(value[key], dict):
                yield key, value[key]
                todo.extend(v for v in value[key].values() if isinstance(v, (dict, list)))
                continue
        todo.extend(v for v in value.values() if isinstance(v, (dict, list)))


@dataclass(frozen=True)
class Walked:
    """One walk of a JSON parse tree: its nodes as ``_walk`` yields them, and its TypeName dicts
    (``names`` and ``typemod``) in the order ``casts.type_names`` finds them. The two walks visit
    the same dicts in the same order (both pop a stack of the same pushes), so one walk gives both."""

    nodes: tuple[tuple[str, dict], ...]
    types: tuple[dict, ...]


def walk_once(tree) -> Walked:
    """``_walk`` and ``casts.type_names`` of ``tree`` in one pass (a judge of the same tree in
    several contexts, and the loader's own look at its casts, then walk it no more)."""
    nodes: list[tuple[str, dict]] = []
    types: list[dict] = []
    todo = [tree]
    while todo:
        value = todo.pop()
        if isinstance(value, list):
            todo.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        if len(value) == 1:
            key = next(iter(value))
            if key[:1].isupper() and isinstance(value[key], dict):
                value = value[key]
                nodes.append((key, value))
        if "names" in value and "typemod" in value:
            types.append(value)
        todo.extend(v for v in value.values() if isinstance(v, (dict, list)))
    return Walked(tuple(nodes), tuple(types))


def _judge_spec_call(shown: str, nargs: int, matches: list, context: str) -> FunctionProblem | None:
    """A call of a function the spec defines, judged by its declared volatility
    (the most volatile overload taking ``nargs`` arguments)."""
    fitting = [m for m in matches if m.nargs == nargs]
    if not fitting:
        takes = ", ".join(sorted({str(m.nargs) for m in matches}))
        return FunctionProblem(shown, f"the spec's function takes {takes} argument(s), not {nargs}")
    volatility = "v" if any(m.volatility == "v" for m in fitting) else (
        "s" if any(m.volatility == "s" for m in fitting) else "i")
    if context in _IMMUTABLE_ONLY and volatility != "i":
        kind = "VOLATILE" if volatility == "v" else "STABLE"
        return FunctionProblem(shown, f"the spec declares it {kind}; a {context} expression may call only "
                                      "IMMUTABLE functions (its value must never change for the same row)")
    if volatility == "v" and context != "default":
        return FunctionProblem(shown, f"the spec declares it VOLATILE; a {context} expression may call only "
                                      "IMMUTABLE or STABLE functions")
    return None  # a VOLATILE one in a default: only on a new table (SD607 refuses it on an existing one)


def _judge_call(names: tuple[str, ...], args: list, context: str,
                external: Collection[QualifiedName], functions: Collection = ()) -> FunctionProblem | None:
    shown = ".".join(names) + "()"
    name = names[-1]
    if functions and len(names) == 2 and not names[0].startswith("pg_") and not is_denied(name):
        matches = [f for f in functions if f.schema == names[0] and f.name == name]
        if matches:
            return _judge_spec_call(shown, len(args or ()), matches, context)
    if is_denied(name):
        return FunctionProblem(shown, "it has effects beyond computing a value (reads files, runs SQL, "
                                      "changes settings, sequences, large objects or locks); no spec "
                                      "expression may call it")
    schema = names[0] if len(names) == 2 else None
    if len(names) > 2:
        return FunctionProblem(shown, "a cross-database reference")
    functions, _ = catalog()
    if schema not in (None, "pg_catalog"):
        if QualifiedName(schema, name) not in external:
            return FunctionProblem(shown, f"not declared; list it under `external: functions: [{schema}.{name}]` "
                                          "in schemadiff.yaml")
        if context in _IMMUTABLE_ONLY:
            return FunctionProblem(shown, f"a {context} expression may call only IMMUTABLE built-in functions, "
                                          "and an external function's volatility cannot be checked without "
                                          "a database")
        return None
    volatility = functions.get(name)
    if volatility is None:
        return FunctionProblem(shown, "not a pg_catalog function; qualify it with its schema "
                                      "(e.g. public." + name + "()) and declare it under `external: functions`")
    if context in _IMMUTABLE_ONLY:
        if "i" not in volatility or "v" in volatility:
            kind = "VOLATILE" if "v" in volatility else "STABLE"
            return FunctionProblem(shown, f"{kind}; a {context} expression may call only IMMUTABLE functions "
                                          f"(its value must never change for the same row)")
        return None
    if "v" in volatility:
        if context == "default" and name in VALUE_GENERATORS:
            if name == "nextval" and not _is_literal_argument(args):
                return FunctionProblem(shown, "nextval() takes a sequence named by a string literal "
                                              "here: nextval('public.t_id_seq'::regclass)")
            return None
        allowed = (" (a default may also call the value generators "
                   + ", ".join(sorted(VALUE_GENERATORS)) + ")") if context == "default" else ""
        return FunctionProblem(shown, f"VOLATILE; a {context} expression may call only IMMUTABLE or STABLE "
                                      f"functions{allowed}")
    return None


def _is_literal_argument(args: list) -> bool:
    if len(args or ()) != 1:
        return False
    node = args[0]
    while "TypeCast" in node:
        cast = node["TypeCast"]
        if _names(cast.get("typeName", {}).get("names")) not in (("regclass",), ("pg_catalog", "regclass")):
            return False
        node = cast.get("arg") or {}
    return "sval" in node.get("A_Const", {})


# Where a parse tree names an operator: the field of each node kind that holds its name.
_OPERATOR_FIELDS = {"A_Expr": "name", "SubLink": "operName", "SortBy": "useOp"}
# TABLESAMPLE methods of pg_catalog (their handlers are system's and bernoulli's).
_SAMPLING_METHODS = frozenset({"system", "bernoulli"})
# A_Expr kinds whose name is a keyword, not an operator.
_KEYWORD_EXPRS = frozenset({"AEXPR_BETWEEN", "AEXPR_NOT_BETWEEN", "AEXPR_BETWEEN_SYM", "AEXPR_NOT_BETWEEN_SYM"})


def judge_tree(tree: dict, context: str, external: Collection[QualifiedName] = (), *,
               casts: Collection[QualifiedName] | None = None,
               functions: Collection = (), walked: Walked | None = None) -> FunctionProblem | None:
    """The first problem with what the expression ``tree`` (a libpg_query JSON
    node) calls in ``context`` (one of ``CONTEXTS``), or None. A cast is a call
    too (``casts.py``): to a built-in type, or to one of ``casts`` (the spec's
    enums; None: none). ``functions``: the spec's own functions
    (``speccalls.Callee``: schema, name, nargs, volatility "i"/"s"/"v"), callable
    by their schema-qualified name under their declared volatility. ``walked``: ``walk_once(tree)``,
    when the caller keeps it (the same verdict, without walking the tree again)."""
    if context not in CONTEXTS:
        raise ValueError(f"unknown expression context {context!r}")
    _, operators = catalog()
    for kind, body in (_walk(tree) if walked is None else walked.nodes):
        if kind == "FuncCall":
            problem = _judge_call(_names(body.get("funcname")), body.get("args") or [], context, external,
                                  functions)
            if problem is not None:
                return problem
        elif kind == "SQLValueFunction" and context in _IMMUTABLE_ONLY:
            what = body.get("op", "SVFOP").removeprefix("SVFOP_").replace("_", " ")
            return FunctionProblem(what, f"its value changes over time or by session; a {context} expression "
                                         "may call only IMMUTABLE functions")
        elif kind in _OPERATOR_FIELDS and (kind != "A_Expr" or body.get("kind") not in _KEYWORD_EXPRS):
            # an operator is named in ``a OP b``, ``a OP ANY|ALL (SELECT …)`` and ``ORDER BY a USING OP``
            names = _names(body.get(_OPERATOR_FIELDS[kind]))
            if not names:
                continue
            if len(names) > 1 and names[0] != "pg_catalog":
                return FunctionProblem(f"operator {'.'.join(names)}", "only pg_catalog's operators are allowed")
            if names[-1] not in operators:
                return FunctionProblem(f"operator {names[-1]}", "not a pg_catalog operator; an operator runs "
                                                                "a function this check cannot judge")
        elif kind == "RangeTableSample":  # the method names its handler function, run by every query
            names = _names(body.get("method"))
            qualified = QualifiedName(names[0], names[1]) if len(names) == 2 else None
            if not ((len(names) == 1 or names[0] == "pg_catalog") and names[-1] in _SAMPLING_METHODS) \
                    and not (qualified is not None and qualified in external):
                return FunctionProblem(f"the sampling method {'.'.join(names)}",
                                       "TABLESAMPLE runs its handler in every query; only pg_catalog's system and "
                                       "bernoulli, or a method declared under `external: functions`")
        elif kind == "ParamRef":
            return FunctionProblem("a query parameter", "a spec expression holds no parameters")
        elif kind == "SelectStmt":
            if body.get("lockingClause"):
                return FunctionProblem("FOR UPDATE/SHARE", "a subquery in a spec expression takes no row locks")
            for cte in (body.get("withClause") or {}).get("ctes", ()):
                query = cte.get("CommonTableExpr", {}).get("ctequery", {})
                if "SelectStmt" not in query:
                    return FunctionProblem("WITH … " + next(iter(query), "?"), "a subquery in a spec "
                                                                                 "expression only reads")
    from .casts import judge_casts

    return judge_casts(tree, casts, None if walked is None else walked.types)


def judge_text(text: str, context: str, external: Collection[QualifiedName] = ()) -> FunctionProblem | None:
    """``judge_tree`` for expression text (already known to be one expression)."""
    from .expressions import parse_expression

    return judge_tree(parse_expression(text).tree, context, external)


def offline_volatile(names: tuple[str, ...]) -> bool:
    """Is a call of ``names`` VOLATILE as far as the snapshot tells? Unknown
    functions (an extension's, the user's) count as volatile: the safe side."""
    if len(names) > 1 and names[0] != "pg_catalog":
        return True
    volatility = catalog()[0].get(names[-1])
    return volatility is None or "v" in volatility
