"""Catalog rows read by column name, in less memory than ``dict_row``'s dicts.

A row is its values' tuple and the query's one shared name -> position map: at
10,000 tables the columns, constraints and indexes queries return hundreds of
thousands of rows, all held at once while the model is built, and a dict per
row costs about twice what this does. Only the reads ``introspect.read`` makes
are offered: ``row["name"]`` and ``row.get("name")``; a name the query does not
return is a ``KeyError``, as with a dict.
"""

from __future__ import annotations

from typing import Any


class Row:
    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: tuple):
        self._index = index
        self._values = values

    def __getitem__(self, name: str) -> Any:
        return self._values[self._index[name]]

    def get(self, name: str, default: Any = None) -> Any:
        i = self._index.get(name)
        return default if i is None else self._values[i]

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values))!r})"


def compact_row(cursor):
    """A psycopg row factory: each row a ``Row`` sharing one index of the result's column names."""
    description = cursor.description
    if description is None:
        return lambda values: values
    index = {column.name: i for i, column in enumerate(description)}
    return lambda values: Row(index, values)
