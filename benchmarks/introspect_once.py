"""Connect to DSN and introspect its schema once: the introspection alone, as a process.

    .venv/bin/python benchmarks/introspect_once.py DSN [--schema NAME ...]

Process start and imports are part of what is measured, so the wall time of
this process compares with that of ``pg_dump --schema-only``. Prints the table
count and the number of catalog queries.
"""

from __future__ import annotations

import argparse
import sys

import psycopg

from schemadiff.introspect import introspect


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="introspect a database once")
    p.add_argument("dsn")
    p.add_argument("--schema", action="append", dest="schemas", default=None)
    args = p.parse_args(argv)
    schemas = args.schemas or ["public"]
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        result = introspect(conn, schemas, default_schema=schemas[0])
    print(f"{len(result.schema.tables)} tables, {result.queries} queries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
