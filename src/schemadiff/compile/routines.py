"""Functions and triggers -> SQL.

A function body is code the spec owns and the server will run; it reaches SQL
only as one string literal written by ``quote_literal``: ``E'…'`` with quotes
doubled, backslashes doubled and line breaks escaped, so it means the same under
either ``standard_conforming_strings`` and the statement stays on one line (a
migration runner that splits a file at ``;`` + line end cannot cut a body apart,
as it would cut a dollar-quoted PL/pgSQL body). The statement is checked by
``verify.checked`` like every statement, then read back: the name, the number
of arguments, the options and the body itself must be those of the model, byte
for byte.
"""

from __future__ import annotations

import json

from pglast.parser import ParseError, parse_sql_json

from ..identifiers import quote_ident, quote_literal, quote_qualified
from ..model import Function, Table, Trigger, TriggerEvent, TriggerTiming, Volatility
from ..sqltext import flat, literal_problem
from .statements import Statement
from .verify import CompileError, Expect, checked

ENABLE_CLAUSE = {"disabled": "DISABLE TRIGGER", "replica": "ENABLE REPLICA TRIGGER", "always": "ENABLE ALWAYS TRIGGER"}


def sql_type(text: str) -> str:
    """A signature type as SQL: the catalog's ``character`` (format_type(oid, NULL)) is
    written ``bpchar``, since the grammar reads ``character`` as ``character(1)``, a
    modifier the guard refuses in a signature (``bit`` likewise). Import writes the spec
    the same way (``spec.dump``)."""
    base, array = (text[:-2], "[]") if text.endswith("[]") else (text, "")
    return _IMPLICIT_MODIFIER.get(base, base) + array


# Catalog spellings the grammar reads with a modifier (character(1), bit(1)) -> the same type without one.
_IMPLICIT_MODIFIER = {"character": "bpchar", "bit": "pg_catalog.bit"}


def function_ref(fn: Function) -> str:
    """``"s"."f"(integer, text)``: the function named with its argument types."""
    return f"{quote_qualified(fn.schema, fn.name)}({', '.join(sql_type(a.type) for a in fn.args)})"


def _head(fn: Function) -> str:
    args = ", ".join((f"{quote_ident(a.name)} " if a.name else "") + sql_type(a.type) for a in fn.args)
    sql = f"CREATE FUNCTION {quote_qualified(fn.schema, fn.name)}({args}) RETURNS {sql_type(fn.returns)}"
    sql += f" LANGUAGE {fn.language} {fn.volatility.value.upper()}"
    if fn.strict:
        sql += " STRICT"
    if fn.security_definer:
        sql += " SECURITY DEFINER"
    if fn.search_path is not None:
        sql += " SET search_path TO " + ", ".join(quote_ident(s) for s in fn.search_path)
    return sql + " AS "


def _tree(sql: str) -> list:
    try:
        return json.loads(parse_sql_json(sql)).get("stmts") or []
    except ParseError as exc:
        raise CompileError(f"the statement does not parse ({exc})") from None


def _options(body: dict) -> dict:
    out = {}
    for item in body.get("options") or ():
        d = item.get("DefElem") or {}
        out[d.get("defname")] = d.get("arg")
    return out


def create_function(fn: Function) -> Statement:
    if fn.language not in ("sql", "plpgsql"):
        raise CompileError(f"language {fn.language} is not one schemadiff writes")
    if fn.security_definer and not fn.search_path:
        raise CompileError("SECURITY DEFINER without its own search_path")
    what = f"function {fn.display()}"
    sql = checked(_head(fn) + quote_literal(fn.body), Expect("CreateFunctionStmt", (fn.schema, fn.name), what))
    if literal_problem(sql) or "\n" in sql:
        raise CompileError("the body does not stay one literal on one line", what)
    node = _tree(sql)[0]["stmt"].get("CreateFunctionStmt") or {}
    opts = _options(node)
    body = ((opts.get("as") or {}).get("List") or {}).get("items") or []
    if (set(node) - {"funcname", "parameters", "returnType", "options"} or len(node.get("parameters") or ()) != len(fn.args)
            or len(body) != 1 or body[0].get("String", {}).get("sval", "") != fn.body
            or (opts.get("language") or {}).get("String", {}).get("sval") != fn.language
            or set(opts) - {"language", "volatility", "strict", "security", "set", "as"}):
        raise CompileError("CREATE FUNCTION does not read back as built", what)
    return Statement(sql, "create_function", what)


def comment_on_function(fn: Function, text: str | None) -> Statement:
    what = f"comment on function {fn.display()}"
    sql = f"COMMENT ON FUNCTION {function_ref(fn)} IS {'NULL' if text is None else quote_literal(text)}"
    return Statement(checked(sql, Expect("CommentStmt", ("OBJECT_FUNCTION",), what)), "comment", what)


_EVENTS = {TriggerEvent.INSERT: "INSERT", TriggerEvent.UPDATE: "UPDATE", TriggerEvent.DELETE: "DELETE",
           TriggerEvent.TRUNCATE: "TRUNCATE"}
_TIMING = {TriggerTiming.BEFORE: "BEFORE", TriggerTiming.AFTER: "AFTER", TriggerTiming.INSTEAD_OF: "INSTEAD OF"}


def create_trigger(table, tr: Trigger) -> Statement:
    """``table``: a Table or QualifiedName."""
    events = []
    for e in tr.events:
        text = _EVENTS[e]
        if e is TriggerEvent.UPDATE and tr.columns:
            text += " OF " + ", ".join(quote_ident(c) for c in tr.columns)
        events.append(text)
    sql = f"CREATE TRIGGER {quote_ident(tr.name)} {_TIMING[tr.timing]} {' OR '.join(events)}"
    sql += f" ON {quote_qualified(table.schema, table.name)} FOR EACH {'ROW' if tr.for_each_row else 'STATEMENT'}"
    if tr.when is not None:
        sql += f" WHEN ({flat(tr.when)})"
    sql += f" EXECUTE FUNCTION {quote_qualified(tr.function.schema, tr.function.name)}("
    sql += ", ".join(quote_literal(a) for a in tr.args) + ")"
    what = f"trigger {tr.name} on {table.schema}.{table.name}"
    out = checked(sql, Expect("CreateTrigStmt", (table.schema, table.name, tr.name), what))
    node = _tree(out)[0]["stmt"]["CreateTrigStmt"]
    if (set(node) - {"trigname", "relation", "funcname", "args", "row", "timing", "events", "columns", "whenClause"}
            or [a.get("String", {}).get("sval") for a in node.get("args") or ()] != list(tr.args)
            or [x.get("String", {}).get("sval") for x in node.get("funcname") or ()] != [tr.function.schema,
                                                                                        tr.function.name]):
        raise CompileError("CREATE TRIGGER does not read back as built", what)
    return Statement(out, "create_trigger", what)


def trigger_state(table, tr: Trigger) -> Statement | None:
    """The ALTER TABLE that sets a trigger's enabled state, when it is not the default."""
    if tr.enabled == "origin":
        return None
    what = f"state of trigger {tr.name} on {table.schema}.{table.name}"
    sql = f"ALTER TABLE {quote_qualified(table.schema, table.name)} {ENABLE_CLAUSE[tr.enabled]} {quote_ident(tr.name)}"
    return Statement(checked(sql, Expect("AlterTableStmt", (table.schema, table.name), what)), "trigger_state", what)


def trigger_statements(table: Table | object, tr: Trigger) -> list[Statement]:
    out = [create_trigger(table, tr)]
    state = trigger_state(table, tr)
    if state is not None:
        out.append(state)
    return out


def function_statements(fn: Function) -> list[Statement]:
    out = [create_function(fn)]
    if fn.comment is not None:
        out.append(comment_on_function(fn, fn.comment))
    return out


__all__ = ["Volatility", "comment_on_function", "create_function", "create_trigger", "function_ref",
           "function_statements", "trigger_state", "trigger_statements"]
