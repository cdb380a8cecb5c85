"""The compiler checks its own output before anyone sees it.

Every statement the compiler emits — for ``sql``, ``plan --format sql``, migration
files and ``apply`` alike — passes ``checked``:

1. **Literals mean the same under either ``standard_conforming_strings``.** The
   statement is read with PostgreSQL's own lexer (pglast, which reads as the
   server does with the setting on, the meaning we intend). A plain ``'…'``
   string holding a backslash would mean something else with the setting off
   (``'x\\'`` would not end there): it is rewritten as ``E'…'`` with the
   backslashes doubled, as PostgreSQL's ``quote_literal()`` writes it. A
   ``U&'…'`` string is an error with the setting off: it is rewritten the same way.
2. **Exactly one statement, of the kind and on the object intended.** The result
   is parsed again; it must be one statement, of the expected node type, on the
   expected table (or type, schema, index, policy…), and parse to the same tree
   as before the rewrite. Anything else is a ``CompileError``, never output.

A spec string that got past the loader and would turn into a second statement,
another object or a literal that ends early is stopped here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pglast.parser import ParseError, parse_sql_json

from ..expressions import without_locations
from ..sqltext import SqlTextError, flat, literal_problem, pin_literals

__all__ = ["PIN_STRINGS", "CompileError", "Expect", "checked", "flat", "literal_problem", "pin_literals",
           "statement_kind"]


# The first statement of every script we write. The literals already mean the same
# under either setting (``checked``); this keeps whatever a person adds to the file so.
PIN_STRINGS = "SET standard_conforming_strings = on;"


class CompileError(Exception):
    """The compiler produced a statement it must not emit (an internal error:
    report it); ``what`` names the object it was compiling."""

    def __init__(self, message: str, what: str = ""):
        super().__init__(message + (f" (compiling {what})" if what else ""))
        self.what = what


@dataclass(frozen=True)
class Expect:
    node: str  # libpg_query node type: "CreateStmt", "IndexStmt", …
    target: tuple[str, ...] | None = None  # the object, as its name parts (see _target)
    what: str = ""  # for messages: "index public.ix_t"
    elements: int | None = None  # CREATE TABLE: how many columns and constraints were built


def _parse(sql: str) -> list[dict]:
    try:
        return json.loads(parse_sql_json(sql)).get("stmts") or []
    except ParseError as exc:
        raise CompileError(f"the statement does not parse ({exc})") from None


def statement_kind(sql: str) -> str:
    """The node type of the first statement of ``sql`` ("" when there is none)."""
    try:
        stmts = _parse(pin_literals(sql))
    except SqlTextError as exc:
        raise CompileError(str(exc)) from None
    return next(iter(stmts[0].get("stmt") or {}), "") if stmts else ""


def _names(items) -> tuple[str, ...]:
    return tuple(i["String"].get("sval", "") for i in items or () if "String" in i)


def _relation(rv: dict | None) -> tuple[str, ...]:
    rv = rv or {}
    return (rv.get("schemaname", ""), rv.get("relname", ""))


def _target(node: str, body: dict) -> tuple[str, ...]:
    """The object a statement acts on, as name parts, for the kinds we emit."""
    if node in ("CreateStmt", "AlterTableStmt"):
        return _relation(body.get("relation"))
    if node in ("CreateSeqStmt", "AlterSeqStmt"):
        return _relation(body.get("sequence"))
    if node == "IndexStmt":
        return _relation(body.get("relation")) + (body.get("idxname", ""),)
    if node == "ViewStmt":
        return _relation(body.get("view"))
    if node == "CreateTableAsStmt":  # CREATE MATERIALIZED VIEW
        return _relation((body.get("into") or {}).get("rel"))
    if node == "CreateTrigStmt":
        return _relation(body.get("relation")) + (body.get("trigname", ""),)
    if node == "CreateFunctionStmt":
        return _names(body.get("funcname"))
    if node == "CreatePolicyStmt":
        return _relation(body.get("table")) + (body.get("policy_name", ""),)
    if node in ("CreateEnumStmt", "AlterEnumStmt"):
        return _names(body.get("typeName"))
    if node == "CreateSchemaStmt":
        return (body.get("schemaname", ""),)
    if node == "CreateExtensionStmt":
        return (body.get("extname", ""),)
    if node == "CommentStmt":
        obj = body.get("object") or {}
        kind = body.get("objtype", "")
        if "List" in obj:
            return (kind,) + _names(obj["List"].get("items"))
        if "TypeName" in obj:
            return (kind,) + _names(obj["TypeName"].get("names"))
        if "String" in obj:
            return (kind, obj["String"].get("sval", ""))
        return (kind,)
    if node == "DropStmt":
        objects = body.get("objects") or []
        parts: tuple[str, ...] = (body.get("removeType", ""),)
        for o in objects:
            parts += _names(o["List"].get("items")) if "List" in o else _names([o])
        return parts
    if node == "VariableSetStmt":
        return (body.get("name", ""),)
    return ()


# Clauses the compiler never writes, whatever the statement: their presence means
# a spec string turned into SQL structure.
_NEVER = {
    "CreateSchemaStmt": ("schemaElts", "authrole"),
    "CreateStmt": ("inhRelations", "partbound", "partspec", "ofTypename", "tablespacename", "accessMethod"),
    "IndexStmt": ("tableSpace",),
}


_SEQUENCE_OPTIONS = frozenset({"as", "increment", "minvalue", "maxvalue", "start", "cache", "cycle", "owned_by"})


def checked(sql: str, expect: Expect) -> str:
    """``sql`` with literals pinned, once verified to be exactly the statement
    ``expect`` describes; ``CompileError`` otherwise."""
    what = expect.what
    try:
        pinned = pin_literals(sql)
    except SqlTextError as exc:
        raise CompileError(str(exc), what) from None
    stmts = _parse(pinned)
    if len(stmts) != 1:
        raise CompileError(f"{len(stmts)} statements where one was built", what)
    stmt = stmts[0].get("stmt") or {}
    node = next(iter(stmt), "")
    if node != expect.node:
        raise CompileError(f"a {node or 'empty statement'} where a {expect.node} was built", what)
    body = stmt[node]
    if expect.target is not None and _target(node, body) != expect.target:
        raise CompileError(f"a {node} on {'.'.join(_target(node, body))} where one on "
                           f"{'.'.join(expect.target)} was built", what)
    if expect.elements is not None and len(body.get("tableElts") or ()) != expect.elements:
        raise CompileError(f"{len(body.get('tableElts') or ())} table elements where {expect.elements} were built",
                           what)
    for clause in _NEVER.get(node, ()):
        if body.get(clause):
            raise CompileError(f"a {node} with {clause}, which the compiler never writes", what)
    if node in ("CreateSeqStmt", "AlterSeqStmt") and any(
            (o.get("DefElem") or {}).get("defname") not in _SEQUENCE_OPTIONS for o in body.get("options") or ()):
        raise CompileError(f"a {node} with an option the compiler never writes (RESTART, OWNED BY NONE…)", what)
    if node == "CreateExtensionStmt" and any(o.get("DefElem", {}).get("defname") != "schema"
                                             for o in body.get("options") or ()):
        raise CompileError("a CREATE EXTENSION with options other than its schema", what)
    if pinned != sql:  # rewritten: prove the result reads the same and needs nothing more
        problem = literal_problem(pinned)
        if problem:
            raise CompileError(problem, what)
        if without_locations(_parse(sql)) != without_locations(stmts):
            raise CompileError("rewriting its literals changed the statement", what)
    return pinned

