"""Write src/schemadiff/data/pg_functions.json from a live PostgreSQL.

    python scripts/pg_catalog_snapshot.py postgresql://…/postgres

The snapshot is what `check`, the loader's function policy and `apply`'s guard
know about pg_catalog without a database: every function name with the
volatilities of its overloads ("i", "s", "v", or several), every operator
symbol, every operator class, and every type that is not a domain (the types an
expression may cast to: ``casts.py``). Take it from the newest PostgreSQL release; tests/test_funcpolicy.py
holds it against the server the tests run on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psycopg

OUT = Path(__file__).resolve().parent.parent / "src" / "schemadiff" / "data" / "pg_functions.json"

FUNCTIONS = """
SELECT p.proname, string_agg(DISTINCT p.provolatile::text, '' ORDER BY p.provolatile::text)
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pg_catalog' AND p.prokind IN ('f', 'a', 'w')
GROUP BY 1 ORDER BY 1
"""
OPERATORS = """
SELECT DISTINCT o.oprname FROM pg_catalog.pg_operator o
JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode
WHERE n.nspname = 'pg_catalog' AND p.provolatile <> 'v' ORDER BY 1
"""
OPCLASSES = """
SELECT DISTINCT c.opcname FROM pg_catalog.pg_opclass c
JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace WHERE n.nspname = 'pg_catalog' ORDER BY 1
"""

TYPES = """
SELECT t.typname FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'pg_catalog' AND t.typtype <> 'd' ORDER BY 1
"""


def snapshot(dsn: str) -> dict:
    with psycopg.connect(dsn) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
        functions = {name: vol for name, vol in conn.execute(FUNCTIONS)}
        operators = [name for (name,) in conn.execute(OPERATORS)]
        opclasses = [name for (name,) in conn.execute(OPCLASSES)]
        types = [name for (name,) in conn.execute(TYPES)]
    return {
        "comment": "pg_catalog functions (name -> volatilities of its overloads: i immutable, s stable, "
                   f"v volatile), non-volatile operators, operator classes and types (no domain), read from PostgreSQL {version} by "
                   "scripts/pg_catalog_snapshot.py. Used where there is no database to ask.",
        "server_version": version,
        "functions": functions,
        "operators": operators,
        "opclasses": opclasses,
        "types": types,
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/pg_catalog_snapshot.py DSN")
    OUT.write_text(json.dumps(snapshot(sys.argv[1]), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT.name}")
