"""Facts rules need about types and expressions (no SQL is judged here)."""

from __future__ import annotations

import re

from pglast import ast
from pglast.enums import BoolExprType, NullTestType

from ..expressions import target_node
from ..readable import readable

_VARCHAR = re.compile(r"^character varying(?:\((\d+)\))?$")


def is_varchar_widening(before: str, after: str) -> bool:
    """varchar(n) -> varchar(m >= n), unbounded varchar, or text: no rewrite, no data loss."""
    b = _VARCHAR.match(before)
    if not b:
        return False
    if after == "text":
        return True
    a = _VARCHAR.match(after)
    if not a:
        return False
    if a.group(1) is None:
        return True
    return b.group(1) is not None and int(a.group(1)) >= int(b.group(1))


def _in_list(node) -> tuple[str, frozenset] | None:
    if (isinstance(node, ast.A_Expr) and node.kind.name == "AEXPR_IN"
            and tuple(n.sval for n in node.name or ()) == ("=",)  # NOT IN is the same kind with <>
            and isinstance(node.lexpr, ast.ColumnRef)
            and len(node.lexpr.fields) == 1 and isinstance(node.rexpr, (list, tuple))):
        values = []
        for item in node.rexpr:
            if not isinstance(item, ast.A_Const) or item.isnull:
                return None
            val = item.val
            values.append(getattr(val, "sval", None) if isinstance(val, ast.String) else repr(getattr(val, "ival", getattr(val, "fval", None))))
        return node.lexpr.fields[0].sval, frozenset(values)
    return None


def check_list(expression: str, types: dict[str, str]) -> tuple[str, frozenset, bool] | None:
    """(column, allowed values, NULL allowed explicitly) for ``col IN (...)``,
    ``col IS NULL OR col IN (...)`` and the server's ``= ANY (ARRAY[...])`` forms."""
    text = readable(expression, types)
    node = target_node(text)
    if node is None:
        return None
    found = _in_list(node)
    if found:
        return found[0], found[1], False
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.OR_EXPR and len(node.args) == 2:
        nulls = [a for a in node.args if isinstance(a, ast.NullTest) and a.nulltesttype == NullTestType.IS_NULL]
        lists = [_in_list(a) for a in node.args]
        lists = [x for x in lists if x]
        if len(nulls) == 1 and len(lists) == 1:
            arg = nulls[0].arg
            if isinstance(arg, ast.ColumnRef) and arg.fields[0].sval == lists[0][0]:
                return lists[0][0], lists[0][1], True
    return None


def is_check_widening(before: str, after: str, types: dict[str, str]) -> bool:
    old, new = check_list(before, types), check_list(after, types)
    if old is None or new is None or old[0] != new[0]:
        return False
    return old[1] <= new[1] and (new[2] or not old[2]) and (old[1] != new[1] or new[2] != old[2])


def reads_null(column) -> bool:
    """A new column every existing row reads as NULL (no default)."""
    return column is not None and column.default is None and column.generated is None and column.identity is None


def new_null_columns(table, columns, ctx) -> bool:
    """Every column is added by this plan and reads NULL in existing rows, so a
    key or reference on them cannot be violated by what is already stored."""
    desired = ctx.desired.table(table)
    for name in columns:
        if (table, name) not in ctx.new_columns:
            return False
        if desired is None or not reads_null(desired.column(name)):
            return False
    return True
