"""What the live catalog says about the objects a change touches, for the rules
that cannot judge a change from the two models alone (no SQL, no I/O here).

``introspect.column_facts`` fills it at ``plan`` time; ``check`` compares two
specs and has no catalog, so there it stays empty and these rules say nothing
(docs/rules.md says so at each rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import QualifiedName


@dataclass(frozen=True)
class CatalogFacts:
    # A new column's type text (as the model spells it) -> what makes it a domain
    # PostgreSQL checks every existing row against: "domain public.posint (CHECK posint_check)".
    constrained_domains: dict[str, str] = field(default_factory=dict)
    # A new column's type text -> the volatile default its domain (or a base domain) gives a
    # column that has none of its own: "gen_random_uuid()", computed for every existing row.
    volatile_domain_defaults: dict[str, str] = field(default_factory=dict)
    # (table, column) -> the objects that use the column and make PostgreSQL refuse
    # ALTER COLUMN TYPE ("rule _RETURN on view public.v", "policy p on table public.t"…), sorted.
    column_users: dict[tuple[QualifiedName, str], tuple[str, ...]] = field(default_factory=dict)
