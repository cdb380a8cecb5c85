"""SQL expressions embedded in a spec (defaults, checks, index predicates,
policies, generated columns), checked with PostgreSQL's own parser.

An expression is written into generated DDL as the user wrote it, so it must be
*exactly one* expression: no second statement, no clause that escapes its
parentheses, no comment that swallows the rest of a line. Each text is parsed
twice, as ``SELECT <e>`` and ``SELECT (<e>)``; both must give one target and
nothing else. ``1); DROP TABLE t; --`` fails the first, ``1 --`` the second.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from pglast import ast, parse_sql
from pglast.parser import ParseError, parse_sql_json, scan


class ExpressionError(ValueError):
    pass


@dataclass(frozen=True)
class ParsedExpression:
    text: str
    kind: str  # node class name: A_Const, ColumnRef, FuncCall, ...
    # The expression's parse tree as libpg_query's JSON gives it (read-only).
    tree: dict = field(compare=False, repr=False)

    @cached_property
    def node(self):
        """The pglast node of the expression (built on first use)."""
        return parse_sql(f"SELECT {self.text}")[0].stmt.targetList[0].val

    @cached_property
    def references(self) -> References:
        return _collect(self.tree)


_SELECT_CLAUSES = (
    "distinctClause", "intoClause", "fromClause", "whereClause", "groupClause",
    "havingClause", "windowClause", "valuesLists", "sortClause", "limitOffset",
    "limitCount", "lockingClause", "withClause", "larg", "rarg",
)


def _single_target(sql: str, text: str) -> dict:
    """The one target of ``sql`` (a SELECT), as a JSON tree ``{"NodeType": {...}}``.

    libpg_query's JSON output is parsed by the C library and ``json``; building
    pglast's Python node objects would cost several times more."""
    try:
        stmts = json.loads(parse_sql_json(sql)).get("stmts") or []
    except ParseError as exc:
        raise ExpressionError(f"not a valid SQL expression: {exc}") from None
    if len(stmts) != 1:
        raise ExpressionError("must be exactly one SQL expression, found more than one statement")
    stmt = stmts[0].get("stmt") or {}
    if "SelectStmt" not in stmt:
        raise ExpressionError("must be exactly one SQL expression")
    stmt = stmt["SelectStmt"]
    for clause in _SELECT_CLAUSES:
        if stmt.get(clause):
            raise ExpressionError("must be exactly one SQL expression (found extra SQL clauses)")
    if stmt.get("op", "SETOP_NONE") != "SETOP_NONE":
        raise ExpressionError("must be exactly one SQL expression")
    targets = stmt.get("targetList") or ()
    if len(targets) != 1:
        raise ExpressionError("must be exactly one SQL expression, found a list")
    target = targets[0].get("ResTarget", {})
    if target.get("name"):
        raise ExpressionError("must be an expression without an alias")
    return target["val"]


def target_node(text: str):
    """The pglast node of ``text`` when it is exactly one SQL expression: the one target,
    without an alias, of ``SELECT text`` with no other clause, in one statement. None for
    anything else (text that does not parse, is empty, holds a second statement, a list,
    an alias, a FROM or a set operation): a caller that reads or rewrites an expression
    must never act on a part of the text as if it were the whole of it."""
    try:
        stmts = parse_sql(f"SELECT {text}")
    except ParseError:
        return None
    if len(stmts) != 1 or not isinstance(stmts[0].stmt, ast.SelectStmt):
        return None
    stmt = stmts[0].stmt
    if stmt.op != 0 or any(getattr(stmt, clause, None) for clause in _SELECT_CLAUSES):
        return None
    targets = stmt.targetList or ()
    if len(targets) != 1 or targets[0].name:
        return None
    return targets[0].val


@lru_cache(maxsize=65536)
def parse_expression(text: str) -> ParsedExpression:
    """Check ``text`` is exactly one SQL expression; return its parse (cached:
    the same text is checked once per process; callers never mutate the tree)."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if "\x00" in text:
        raise ExpressionError("the expression holds a NUL character")
    tree = _single_target(f"SELECT {text}", text)
    _single_target(f"SELECT ({text})", text)
    if "&" in text or '"' in text:
        for tok in scan(text):
            if tok.name in ("USCONST", "UIDENT"):
                raise ExpressionError("a Unicode-escape literal (U&'…' or U&\"…\") means something else, or is "
                                      "an error, when standard_conforming_strings is off; write the characters "
                                      "themselves")
            if tok.name == "IDENT" and any(ch in text[tok.start:tok.end + 1] for ch in "\n\r\t"):
                raise ExpressionError("a quoted name holds a line break or a tab")
    return ParsedExpression(text=text, kind=next(iter(tree)), tree=tree)


# Where in the text a node stood: fields that differ between two parses of the same tree.
_POSITIONS = frozenset({"location", "stmt_location", "stmt_len", "list_start", "list_end",
                        "rexpr_list_start", "rexpr_list_end"})


def without_locations(value):
    """A JSON parse tree without its text positions: equal for equal trees."""
    if isinstance(value, dict):
        return {k: without_locations(v) for k, v in value.items() if k not in _POSITIONS}
    if isinstance(value, list):
        return [without_locations(v) for v in value]
    return value


# A position field with its number, in libpg_query's JSON text. A JSON string escapes its
# quotes, so the pattern cannot match inside a string constant or a name.
_POSITION_FIELD = re.compile(',?"(?:' + "|".join(sorted(_POSITIONS)) + ')":-?[0-9]+')


@lru_cache(maxsize=65536)
def statement_shape(sql: str) -> str | None:
    """``sql``'s parse tree as libpg_query's JSON text without the text positions, or
    None when it does not parse. Equal shapes are equal trees (``without_locations``),
    compared as one string instead of walked as nested dicts; unequal shapes may still
    be equal trees only in the order of their keys, which libpg_query fixes."""
    try:
        return _POSITION_FIELD.sub("", parse_sql_json(sql))
    except ParseError:
        return None


@lru_cache(maxsize=65536)
def fits_default(parsed: ParsedExpression) -> bool:
    """Does the expression stand as it is after ``DEFAULT``? PostgreSQL's grammar
    takes a narrower kind of expression there (``1 IS NOT NULL`` is one
    expression, but not a default): the text is parsed in that place and must
    give the same tree."""
    try:
        stmts = json.loads(parse_sql_json(f"CREATE TABLE t (c integer DEFAULT {parsed.text})")).get("stmts") or []
    except ParseError:
        return False
    if len(stmts) != 1:
        return False
    elts = stmts[0]["stmt"].get("CreateStmt", {}).get("tableElts") or []
    if len(elts) != 1 or "ColumnDef" not in elts[0]:
        return False
    constraints = elts[0]["ColumnDef"].get("constraints") or []
    if len(constraints) != 1:
        return False
    con = constraints[0].get("Constraint", {})
    return (con.get("contype") == "CONSTR_DEFAULT"
            and without_locations(con.get("raw_expr")) == without_locations(parsed.tree))


def is_null_constant(parsed: ParsedExpression) -> bool:
    """``NULL``, or ``NULL`` cast to a type (``NULL::text``)."""
    node = parsed.tree
    while "TypeCast" in node:
        node = node["TypeCast"].get("arg") or {}
    return bool(node.get("A_Const", {}).get("isnull"))


@dataclass(frozen=True)
class References:
    columns: tuple[tuple[str, ...], ...]
    functions: tuple[tuple[str, ...], ...]
    subqueries: int


def _node_type(value: dict) -> str | None:
    """``{"ColumnRef": {...}}`` -> "ColumnRef"; a struct held directly in a field -> None."""
    if len(value) == 1:
        key = next(iter(value))
        if key[:1].isupper() and isinstance(value[key], dict):
            return key
    return None


def _collect(tree: dict) -> References:
    """Walk the tree breadth first (the order pglast's Visitor visits nodes):
    column references outside subqueries (this table's columns), function
    names, subquery count. Identifiers come folded as SQL folds them."""
    columns: list[tuple[str, ...]] = []
    functions: list[tuple[str, ...]] = []
    subqueries = 0
    todo: deque = deque([(False, tree)])
    while todo:
        inside, value = todo.popleft()
        for item in (value if isinstance(value, list) else (value,)):
            if isinstance(item, list):
                todo.append((inside, item))
                continue
            if not isinstance(item, dict):
                continue
            kind = _node_type(item)
            body = item[kind] if kind else item
            if kind == "ColumnRef":
                if not inside:  # inside a subquery: another table's columns maybe
                    columns.append(tuple(f["String"].get("sval", "") if "String" in f else "*"
                                         for f in body.get("fields", ())))
            elif kind == "FuncCall":
                functions.append(tuple(n["String"].get("sval", "") for n in body.get("funcname", ())))
            elif kind == "SubLink":
                subqueries += 1
            below = inside or kind == "SubLink"
            for child in body.values():
                if isinstance(child, (dict, list)):
                    todo.append((below, child))
    return References(tuple(columns), tuple(functions), subqueries)


def references(parsed: ParsedExpression) -> References:
    """Column references and function names the expression mentions
    (identifiers folded as SQL folds them); computed once per expression."""
    return parsed.references
