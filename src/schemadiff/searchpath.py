"""What a function's own ``search_path`` may hold: one rule for the loader, the
guard and import (import must never write a spec its loader refuses).

PostgreSQL searches ``pg_temp`` (the calling session's temporary schema) FIRST
for tables and views when the setting does not name it, and ``pg_catalog``
first when the setting does not name that. So:

- no ``pg_*`` schema but ``pg_catalog`` and ``pg_temp``: ``pg_temp_3`` is some
  other session's temporary schema, ``pg_toast*`` holds no function or table
  of yours; the prefix is reserved, whatever the case of its letters;
- ``pg_temp`` only as the last entry, where it can hide nothing;
- a SECURITY DEFINER function must list ``pg_temp`` last: left out, the
  caller's temporary tables are searched before the function's own schemas
  and run with the owner's rights (PostgreSQL's "Writing SECURITY DEFINER
  Functions Safely").

This module imports nothing of ours.
"""

from __future__ import annotations

DEFINER_HINT = "write `search_path: [pg_catalog, public, pg_temp]` (the schemas it uses, in order, then pg_temp)"


def problem(path, definer: bool) -> tuple[str, str] | None:
    """(message, hint) when ``path`` (the schema names, in order) is not one a
    function of the spec may have, else None."""
    path = list(path)
    if not [name for name in path if name != "pg_temp"]:  # [pg_temp] alone: unqualified tables are the caller's
        return "search_path must name the function's schemas (before pg_temp)", DEFINER_HINT if definer else ""
    for i, name in enumerate(path):
        if name == "pg_temp":
            if i != len(path) - 1:
                return ("pg_temp must be the last entry of search_path: before it, any session's temporary objects "
                        "stand in for the function's own", "move pg_temp to the end")
            continue
        if name.lower().startswith("pg_") and name != "pg_catalog":
            return (f"search_path names {name!r}: no pg_* schema but pg_catalog (and pg_temp, last) may be listed",
                    "a pg_temp_N or pg_toast* schema belongs to the server or to another session; "
                    "name the schemas the function uses")
    if definer and path[-1] != "pg_temp":
        return ("a SECURITY DEFINER function must list pg_temp last in its search_path: otherwise the caller's "
                "temporary tables are searched first and read with the owner's rights", DEFINER_HINT)
    return None
