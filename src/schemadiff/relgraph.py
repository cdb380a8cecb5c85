"""What the database says a relation reads: the edges of its views' rewrite rules
(``pg_depend``), for the row level security walk of SD704 and SD705 through views
schemadiff does not read (out of scope, or in schemas the spec does not name)."""

from __future__ import annotations

from dataclasses import dataclass

from .model import QualifiedName


@dataclass(frozen=True)
class RelationFacts:
    kind: str  # "table" | "view" | "materialized view"
    rls: bool = False  # a table with row level security enabled
    invoker: bool = False  # a view with security_invoker
    reads: frozenset[QualifiedName] = frozenset()  # the relations a view's rule depends on
