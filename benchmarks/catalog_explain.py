"""The server's time for each catalog query of ``introspect``, from EXPLAIN ANALYZE.

    .venv/bin/python benchmarks/catalog_explain.py DSN [--schema NAME ...] [--runs 5] [--json OUT]
    .venv/bin/python benchmarks/catalog_explain.py DSN --queries tests/catalog_before --jit on   # before round 4

Runs every query of ``introspect.read.QUERY_NAMES`` (and ``relation_graph.sql``)
in the session ``introspect`` sets up (REPEATABLE READ, READ ONLY;
``read.SESSION_SQL``: search_path, ``schemadiff.schemas``, jit off), ``--runs`` times each, as
``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)``, and prints per query the median
execution and planning time in ms, the rows, and the shared buffers hit.
``--queries DIR`` reads the ``.sql`` files from DIR instead (the queries before
round 4 are kept in ``tests/catalog_before``), and ``--jit on`` leaves JIT to the
server's setting, as ``introspect`` did before round 4. Nothing is written: every
run is rolled back. EXPLAIN ANALYZE times every plan node, so its figures are
somewhat above the queries' own.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import psycopg

from schemadiff.introspect.read import QUERY_NAMES, SESSION_SQL, load_query


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dsn")
    p.add_argument("--schema", action="append", dest="schemas", default=None)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--json", help="write the figures here")
    p.add_argument("--queries", help="read NAME.sql from this directory")
    p.add_argument("--jit", choices=("on", "off"), default="off")
    args = p.parse_args(argv)
    schemas = args.schemas or ["public"]
    figures = {}
    with psycopg.connect(args.dsn) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute(SESSION_SQL, (json.dumps(schemas),))
        if args.jit == "on":  # the server's own setting, as before round 4
            conn.execute("SELECT pg_catalog.set_config('jit', s.reset_val, true) "
                         "FROM pg_catalog.pg_settings s WHERE s.name = 'jit'")
        for name in QUERY_NAMES + ("relation_graph",):
            execution, planning = [], []
            for _ in range(args.runs):
                sql = Path(args.queries, f"{name}.sql").read_text() if args.queries else load_query(name)
                (plan,), = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql).fetchall()
                execution.append(plan[0]["Execution Time"])
                planning.append(plan[0]["Planning Time"])
                top = plan[0]["Plan"]
            figures[name] = {"execution_ms": statistics.median(execution), "planning_ms": statistics.median(planning),
                             "rows": round(top["Actual Rows"]), "shared_hit": top.get("Shared Hit Blocks")}
        conn.rollback()
    total_e = sum(f["execution_ms"] for f in figures.values())
    total_p = sum(f["planning_ms"] for f in figures.values())
    print(f"{'query':<16} {'exec ms':>9} {'plan ms':>8} {'rows':>8} {'hit':>9}")
    for name, f in figures.items():
        print(f"{name:<16} {f['execution_ms']:9.1f} {f['planning_ms']:8.1f} {f['rows']:8d} {f['shared_hit'] or 0:9d}")
    print(f"{'total':<16} {total_e:9.1f} {total_p:8.1f}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
