"""Whether a change's relation is a materialized view the database already holds."""

from __future__ import annotations


def existing_matview(name, ctx) -> bool:
    """``name`` is a materialized view in the database (not one this plan creates)."""
    return any(v.materialized and v.qualified == name for v in ctx.current.views)
