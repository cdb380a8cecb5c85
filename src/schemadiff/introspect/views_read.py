"""Rows of ``queries/views.sql`` and ``queries/view_indexes.sql`` -> ``model.View``.

A view or materialized view the spec language cannot write back exactly is
left out of scope (listed by import, never touched by plan): options other
than the spec's (a materialized view has none), a tablespace, a query a view
file may not hold, or an index of a materialized view with storage
parameters or a tablespace. An INVALID index (a failed concurrent build) is
read with ``valid=False``, as a table's, so that plan rebuilds it (SD111).
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Index, IndexElement, NullsOrder, SortOrder, View
from ..normalize import strip_outer_parens
from . import routines_read


def _expr(text: str | None) -> str | None:
    return None if text is None else strip_outer_parens(text)


def _index(r: dict) -> Index | None:
    if r["tablespace"] or r["options"]:
        return None
    elements = []
    for k in r["keys"] or []:
        desc, nulls_first = bool(k["desc"]), bool(k["nulls_first"])
        nulls = NullsOrder.LAST if desc and not nulls_first else NullsOrder.FIRST if not desc and nulls_first else None
        elements.append(IndexElement(column=k["column"], expression=_expr(k["expression"]) if k["expression"] else None,
                                     order=SortOrder.DESC if desc else SortOrder.ASC, nulls=nulls,
                                     opclass=k["opclass"], collation=k["collation"]))
    return Index(r["name"], tuple(elements), r["is_unique"], r["method"], _expr(r["predicate"]),
                 tuple(r["include"] or ()), r["nulls_not_distinct"], r["comment"], valid=bool(r["valid"]))


def views_from_rows(view_rows: list[dict], index_rows: list[dict], functions=()
                    ) -> tuple[list[View], set[tuple[str, str, str]]]:
    """The views import writes, and (kind, schema, name) of each, as ``out_of_scope.sql`` names them.
    ``functions``: the database's own functions read with them, which a query may call
    (``routines_read.view``)."""
    indexes: dict[tuple[str, str], list] = {}
    for r in index_rows:
        indexes.setdefault((r["schema"], r["table_name"]), []).append(_index(r))
    views: list[View] = []
    imported: set[tuple[str, str, str]] = set()
    for r in view_rows:
        if r["tablespace"]:
            continue
        if r["materialized"] and list(r["options"] or ()):
            continue
        view = routines_read.view({**r, "options": [] if r["materialized"] else r["options"]}, functions)
        if view is None:
            continue
        own = indexes.get((r["schema"], r["name"]), [])
        if any(ix is None for ix in own):
            continue
        if own and not r["materialized"]:
            continue
        comments = tuple(sorted((name, text) for name, text in r["column_comments"] or ()))
        views.append(replace(view, materialized=bool(r["materialized"]), column_comments=comments,
                             indexes=tuple(sorted(own, key=lambda i: i.name))))
        imported.add(("materialized view" if r["materialized"] else "view", r["schema"], r["name"]))
    return views, imported
