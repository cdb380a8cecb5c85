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
import re
from dataclasses import dataclass
from functools import lru_cache

from pglast.parser import ParseError, parse_sql_json, scan

from ..expressions import without_locations
from ..identifiers import quote_literal


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
    stmts = _parse(pin_literals(sql))
    return next(iter(stmts[0].get("stmt") or {}), "") if stmts else ""


def _string_value(token_text: str) -> str:
    """The value of one string-constant token, as PostgreSQL reads it."""
    stmt = _parse(f"SELECT {token_text}")[0]["stmt"]["SelectStmt"]
    node = stmt["targetList"][0]["ResTarget"]["val"]["A_Const"]
    return node["sval"]["sval"] if "sval" in node else ""


def literal_problem(sql: str) -> str | None:
    """Why ``sql`` would mean something else with ``standard_conforming_strings``
    off (a plain string literal holding a backslash, a ``U&`` string), or None."""
    try:
        tokens = scan(sql)
    except ParseError as exc:
        return f"does not scan ({exc})"
    for tok in tokens:
        text = sql[tok.start:tok.end + 1]
        if tok.name in ("USCONST", "UIDENT"):
            return f"a Unicode-escape literal ({text[:40]}) is read differently with standard_conforming_strings off"
        if tok.name == "SCONST" and text[:1] == "'" and "\\" in text:
            return f"the literal {text[:40]} is read differently with standard_conforming_strings off"
    return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _rewrite(tok, text: str) -> bool:
    """Is this string constant to be written again by ``quote_literal``? A plain
    one with a backslash (its meaning depends on the setting), a ``U&`` one (an
    error with the setting off), any one holding a line break or another control
    character (it would span lines of the output: ``E'…\\n…'`` keeps it on one)."""
    if tok.name == "USCONST":
        return True
    if tok.name != "SCONST":
        return False
    return (text[:1] == "'" and "\\" in text) or bool(_CONTROL.search(text))


def _may_hold_a_rewrite(sql: str) -> bool:
    """False when no string constant of ``sql`` can need rewriting, decided without
    the lexer: no backslash, no ``&`` (of ``U&``), no ``$`` (of a dollar quote), no
    control character, and no line break that a quote could stand before."""
    if "\\" in sql or "&" in sql or "$" in sql:
        return True
    if "\n" in sql:
        return "'" in sql or bool(_CONTROL.search(sql.replace("\n", "")))
    return bool(_CONTROL.search(sql))


@lru_cache(maxsize=16384)
def pin_literals(sql: str) -> str:
    """``sql`` with every literal written to mean the same under either setting,
    on one line."""
    if not _may_hold_a_rewrite(sql):
        return sql
    tokens = scan(sql)
    out, last = [], 0
    for tok in tokens:
        text = sql[tok.start:tok.end + 1]
        rewrite = _rewrite(tok, text)
        if tok.name == "UIDENT":
            raise CompileError(f"a Unicode-escape identifier ({text[:40]}) in generated SQL")
        if rewrite:
            out += [sql[last:tok.start], quote_literal(_string_value(_token_with_uescape(sql, tokens, tok)))]
            last = _end_with_uescape(sql, tokens, tok)
    out.append(sql[last:])
    return "".join(out)


def flat(expression: str) -> str:
    """An expression on one line: every run of white space that holds a line
    break becomes one space, and comments go (``parse_expression`` has proved the
    text is one expression; its tokens are kept exactly, so is its meaning)."""
    if not _CONTROL.search(expression) and "/*" not in expression:
        return expression
    out, last = [], 0
    for tok in scan(expression):
        gap = expression[last:tok.start]
        out.append(" " if _CONTROL.search(gap) else gap)
        if tok.name in ("SQL_COMMENT", "C_COMMENT"):
            out.append(" ")
        else:
            out.append(expression[tok.start:tok.end + 1])
        last = tok.end + 1
    return "".join(out).strip()


def _uescape_tokens(tokens, tok):
    i = tokens.index(tok)
    if tok.name == "USCONST" and i + 2 < len(tokens) and tokens[i + 1].name == "UESCAPE":
        return tokens[i + 2]
    return None


def _token_with_uescape(sql: str, tokens, tok) -> str:
    end = _uescape_tokens(tokens, tok)
    return sql[tok.start:(end.end if end else tok.end) + 1]


def _end_with_uescape(sql: str, tokens, tok) -> int:
    end = _uescape_tokens(tokens, tok)
    return (end.end if end else tok.end) + 1


def _names(items) -> tuple[str, ...]:
    return tuple(i["String"].get("sval", "") for i in items or () if "String" in i)


def _relation(rv: dict | None) -> tuple[str, ...]:
    rv = rv or {}
    return (rv.get("schemaname", ""), rv.get("relname", ""))


def _target(node: str, body: dict) -> tuple[str, ...]:
    """The object a statement acts on, as name parts, for the kinds we emit."""
    if node in ("CreateStmt", "AlterTableStmt"):
        return _relation(body.get("relation"))
    if node == "IndexStmt":
        return _relation(body.get("relation")) + (body.get("idxname", ""),)
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


def checked(sql: str, expect: Expect) -> str:
    """``sql`` with literals pinned, once verified to be exactly the statement
    ``expect`` describes; ``CompileError`` otherwise."""
    pinned = pin_literals(sql)
    stmts = _parse(pinned)
    what = expect.what
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

