"""Names in spec text: qualified names and `table(col, ...)` references."""

from __future__ import annotations

import re

from ..identifiers import NameSyntaxError, split_dotted
from ..model import QualifiedName

_REF = re.compile(r"^\s*(?P<table>.+?)\s*(\(\s*(?P<cols>[^()]*?)\s*\))?\s*$", re.S)


def qualify(text: str, default_schema: str) -> QualifiedName:
    parts = split_dotted(text.strip())
    if len(parts) == 1:
        return QualifiedName(default_schema, parts[0])
    if len(parts) == 2:
        return QualifiedName(parts[0], parts[1])
    raise NameSyntaxError(f"{text!r} has too many dotted parts (expected name or schema.name)")


def parse_reference(text: str, default_schema: str) -> tuple[QualifiedName, tuple[str, ...]]:
    """``schema.table(a, b)`` -> (table, columns); columns may be empty."""
    match = _REF.match(text)
    if not match:
        raise NameSyntaxError(f"{text!r} is not a reference; write table(column) or schema.table(column)")
    table = qualify(match.group("table"), default_schema)
    cols_text = match.group("cols")
    if cols_text is None:
        return table, ()
    columns = []
    for raw in cols_text.split(","):
        parts = split_dotted(raw.strip())
        if len(parts) != 1:
            raise NameSyntaxError(f"{raw.strip()!r} is not a column name")
        columns.append(parts[0])
    return table, tuple(columns)
