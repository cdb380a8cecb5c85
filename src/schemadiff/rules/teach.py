"""A refusal that teaches: the rule's safe path and where it is explained, as lines.

One rendering for every human report (``plan``'s text, ``check``'s text); the
machine reports (GitHub, SARIF, JSON) carry the same steps as data.

A rule's steps may name the object of the finding with placeholders — ``{table}``,
``{column}``, ``{constraint}``, ``{columns}``, ``{expression}``, ``{not_null}`` (a name
for the NOT NULL check of ``{column}``) — filled from the change (``safe_path_for``):
the refusal of ``region`` on ``public.orders`` says ``ALTER TABLE public.orders ADD
CONSTRAINT region_not_null CHECK (region IS NOT NULL) NOT VALID``, names quoted as SQL
needs them. Without a change (docs/rules.md, a rule's own help) they read as generic
words (``t``, ``c``…).
"""

from __future__ import annotations

import re

from ..identifiers import quote_ident, quote_qualified
from ..oneline import one_line
from .base import doc_link, safe_path

GENERIC = {"table": "t", "column": "c", "not_null": "c_not_null", "constraint": "name", "columns": "columns",
           "expression": "…"}
_PLACEHOLDER = re.compile(r"\{(" + "|".join(GENERIC) + r")\}")


def names_of(change) -> dict[str, str]:
    """The placeholder values a change provides, as SQL writes them."""
    if change is None:
        return {}
    out: dict[str, str] = {}
    table = getattr(change, "table", None)
    if table is not None and hasattr(table, "schema"):
        out["table"] = quote_qualified(table.schema, table.name)
    column = getattr(change, "column", None)
    name = column if isinstance(column, str) else getattr(column, "name", None)
    if isinstance(name, str):
        out["column"] = quote_ident(name)
        out["not_null"] = quote_ident(f"{name}_not_null"[:63])
    for attr in ("check", "foreign_key", "unique", "primary_key", "index"):
        obj = getattr(change, attr, None)
        if obj is None:
            continue
        if isinstance(obj, str):  # a change that names its index (a storage parameter's)
            out["constraint"] = quote_ident(obj)
            continue
        out["constraint"] = quote_ident(obj.name)
        columns = getattr(obj, "columns", None)
        if columns is None and hasattr(obj, "elements"):
            columns = tuple(e.column for e in obj.elements if getattr(e, "column", None))
        if columns:
            out["columns"] = ", ".join(quote_ident(c) for c in columns)
        if hasattr(obj, "expression") and isinstance(obj.expression, str):
            out["expression"] = obj.expression
    return out


def safe_path_for(code: str, change=None) -> tuple[str, ...]:
    """The rule's safe path with the placeholders filled from ``change`` (generic words for
    what the change does not provide, or without one)."""
    values = {**GENERIC, **names_of(change)}
    return tuple(_PLACEHOLDER.sub(lambda m: values[m.group(1)], step) for step in safe_path(code))


def teaching_lines(code: str, name: str, indent: str = "      ", change=None) -> list[str]:
    """``safe path:`` and its numbered steps, then ``see docs/rules.md#…``; [] for a
    code without a safe path (a repository policy, SD000)."""
    steps = safe_path_for(code, change)
    if not steps:
        return []
    return ([f"{indent}safe path:"] + [f"{indent}  {n}. {one_line(step)}" for n, step in enumerate(steps, 1)]
            + [f"{indent}see {doc_link(code, name)}"])


def safe_path_text(code: str, change=None) -> str:
    """The safe path on one line: ``1. …; 2. …``; "" when the code has none."""
    return "; ".join(f"{n}. {step}" for n, step in enumerate(safe_path_for(code, change), 1))
