"""SQL expressions embedded in a spec (defaults, checks, index predicates,
policies, generated columns), checked with PostgreSQL's own parser.

An expression is written into generated DDL as the user wrote it, so it must be
*exactly one* expression: no second statement, no clause that escapes its
parentheses, no comment that swallows the rest of a line. Each text is parsed
twice, as ``SELECT <e>`` and ``SELECT (<e>)``; both must give one target and
nothing else. ``1); DROP TABLE t; --`` fails the first, ``1 --`` the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pglast import parse_sql
from pglast.parser import ParseError
from pglast.visitors import Visitor


class ExpressionError(ValueError):
    pass


@dataclass(frozen=True)
class ParsedExpression:
    text: str
    node: object  # the pglast node of the expression
    kind: str  # node class name: A_Const, ColumnRef, FuncCall, ...


_SELECT_CLAUSES = (
    "distinctClause", "intoClause", "fromClause", "whereClause", "groupClause",
    "havingClause", "windowClause", "valuesLists", "sortClause", "limitOffset",
    "limitCount", "lockingClause", "withClause", "larg", "rarg",
)


def _single_target(sql: str, text: str):
    try:
        stmts = parse_sql(sql)
    except ParseError as exc:
        raise ExpressionError(f"not a valid SQL expression: {exc}") from None
    if len(stmts) != 1:
        raise ExpressionError("must be exactly one SQL expression, found more than one statement")
    stmt = stmts[0].stmt
    if type(stmt).__name__ != "SelectStmt":
        raise ExpressionError("must be exactly one SQL expression")
    for clause in _SELECT_CLAUSES:
        if getattr(stmt, clause, None):
            raise ExpressionError("must be exactly one SQL expression (found extra SQL clauses)")
    if getattr(stmt, "op", None) not in (None, 0) and str(getattr(stmt, "op")) not in ("SETOP_NONE", "SetOperation.SETOP_NONE"):
        raise ExpressionError("must be exactly one SQL expression")
    targets = stmt.targetList or ()
    if len(targets) != 1:
        raise ExpressionError("must be exactly one SQL expression, found a list")
    target = targets[0]
    if target.name:
        raise ExpressionError("must be an expression without an alias")
    return target.val


@lru_cache(maxsize=65536)
def parse_expression(text: str) -> ParsedExpression:
    """Check ``text`` is exactly one SQL expression; return its parse (cached:
    the same text is checked once per process; callers never mutate the node)."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if "\x00" in text:
        raise ExpressionError("the expression holds a NUL character")
    node = _single_target(f"SELECT {text}", text)
    _single_target(f"SELECT ({text})", text)
    return ParsedExpression(text=text, node=node, kind=type(node).__name__)


def _chain(ancestors):
    while ancestors is not None and getattr(ancestors, "node", None) is not None:
        yield ancestors
        ancestors = ancestors.parent


class _Collect(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.columns: list[tuple[str, ...]] = []  # outside subqueries: this table's columns
        self.inner_columns: list[tuple[str, ...]] = []  # inside subqueries: any table's
        self.functions: list[tuple[str, ...]] = []
        self.subqueries = 0

    def visit_ColumnRef(self, ancestors, node):
        parts = []
        for field in node.fields:
            sval = getattr(field, "sval", None)
            parts.append(sval if sval is not None else "*")
        if any(type(a.node).__name__ == "SubLink" for a in _chain(ancestors)):
            self.inner_columns.append(tuple(parts))
        else:
            self.columns.append(tuple(parts))

    def visit_FuncCall(self, ancestors, node):
        self.functions.append(tuple(n.sval for n in node.funcname))

    def visit_SubLink(self, ancestors, node):
        self.subqueries += 1


@dataclass(frozen=True)
class References:
    columns: tuple[tuple[str, ...], ...]
    functions: tuple[tuple[str, ...], ...]
    subqueries: int


def references(parsed: ParsedExpression) -> References:
    """Column references and function names the expression mentions
    (identifiers folded as SQL folds them)."""
    collector = _Collect()
    collector(parsed.node)
    return References(tuple(collector.columns), tuple(collector.functions), collector.subqueries)
