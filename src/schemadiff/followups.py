"""What a plan leaves for the user to run when they choose: today, the first
``REFRESH MATERIALIZED VIEW`` of each materialized view it creates (created
WITH NO DATA, it cannot be read before). Shown in text, JSON, SQL and migration
files as a note or a comment; schemadiff never runs one."""

from __future__ import annotations

from . import changes as c
from .identifiers import quote_qualified
from .model import View

WHY = ("created WITH NO DATA: it cannot be read until refreshed; the refresh runs its query over every row it "
       "reads, so run it when you choose")
TITLE = "Follow-up, not run by schemadiff (run it when you choose):"


def refresh_sql(v: View) -> str:
    return f"REFRESH MATERIALIZED VIEW {quote_qualified(v.schema, v.name)};"


def of_views(views) -> list[tuple[str, str]]:
    """(object, SQL) for each materialized view among ``views``, in the given order."""
    return [(f"materialized view {v.schema}.{v.name}", refresh_sql(v)) for v in views if v.materialized]


def of_changes(changes) -> list[tuple[str, str]]:
    """(object, SQL) for each materialized view the changes create, once each, in order."""
    seen: dict[int, c.AddView] = {}
    for ch in changes:
        if isinstance(ch, c.AddView):
            seen.setdefault(id(ch), ch)
    return of_views(ch.view for ch in seen.values())


def of_plan(plan) -> list[tuple[str, str]]:
    """The follow-ups of a plan's steps (none when it is refused or has no steps)."""
    if plan.refused:
        return []
    return of_changes(s.change for s in plan.steps)


def comment_lines(items: list[tuple[str, str]]) -> list[str]:
    """SQL comments (never statements): one line each; the SQL is built from quoted names only."""
    if not items:
        return []
    return [f"-- {TITLE}", *(f"--   {sql}" for _, sql in items), f"-- ({WHY})"]
