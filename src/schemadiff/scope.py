"""Which object kinds `import` writes into a spec, and which it only lists.

One small table each, so that making a kind first-class is a one-line move
from ``OUT_OF_SCOPE`` to ``IMPORTED`` (with its catalog query). The kind names
in ``OUT_OF_SCOPE`` are exactly the ones ``introspect/queries/out_of_scope.sql``
returns (a test holds the two together).

``python -m schemadiff.scope`` prints both lists and their counts.
This module imports nothing of ours.
"""

from __future__ import annotations

import sys
from collections import Counter

DOCS = "docs/import.md#out-of-scope"

# Kinds import writes into the spec (and plan manages), with what it covers of each.
IMPORTED: dict[str, str] = {
    "schema": "schemas the spec creates (`schemas:`)",
    "extension": "CREATE EXTENSION, with its schema",
    "enum type": "labels in order, comment",
    "table": "columns in order, UNLOGGED, storage parameters (also its TOAST table's), comment",
    "column": "type and modifiers, NOT NULL, default, identity (ALWAYS or BY DEFAULT; its sequence's options "
              "are listed), stored generated, serial, collation (of pg_catalog), comment; "
              "of a built-in, enum, extension, domain or composite type",
    "primary key": "name, columns, comment (a comment on its index is listed)",
    "unique constraint": "name, columns, NULLS NOT DISTINCT, deferrable, comment (a comment on its index is listed)",
    "check constraint": "name, expression, NOT VALID, comment (NO INHERIT is listed)",
    "foreign key": "name, columns, referenced table and columns, ON DELETE/UPDATE, deferrable, NOT VALID, "
                   "comment (a SET NULL/SET DEFAULT column list is listed)",
    "index": "keys (columns, expressions, order, nulls, opclass, collation of pg_catalog), method, unique, partial, INCLUDE, "
             "NULLS NOT DISTINCT, storage parameters, comment (a key's operator class parameters and statistics "
             "target are listed)",
    "row level security policy": "ENABLE/FORCE on the table; policies: command, roles, USING, WITH CHECK, "
                                 "comment",
    "sequence": "type, start, increment, min/max, cache, cycle, owned by, comment (`sequences:`); "
                "a serial column's own sequence folds into the column",
    "function": "SQL and PL/pgSQL functions with input arguments only (`functions/`): arguments, returns, language, "
                "volatility, strict, security, search_path, body exactly as stored, comment",
    "trigger": "BEFORE/AFTER, row or statement, events (UPDATE OF), WHEN, function and arguments, enabled state "
               "comment (in their table's file)",
    "view": "plain views (`views/`): query, security_invoker, security_barrier, check_option, comment, "
            "comments on its columns",
    "materialized view": "materialized views (`views/`, `materialized: true`): query, comment, comments on its "
                         "columns, indexes (as a table's, without storage parameters)",
}

# Kinds import lists (never writes) and plan never touches: kind -> plural.
OUT_OF_SCOPE: dict[str, str] = {
    "view": "views",  # only the shapes the spec language does not write (see IMPORTED)
    "materialized view": "materialized views",  # only with storage parameters, a tablespace or an unwritable index
    "foreign table": "foreign tables",
    "partitioned table": "partitioned tables",
    "partition": "partitions",
    "inheriting table": "inheriting tables",
    "typed table": "typed tables",
    "sequence": "sequences",  # only one owned by a column of a table not read (from sequences.sql)
    "function": "functions",  # likewise
    "procedure": "procedures",
    "aggregate": "aggregates",
    "window function": "window functions",
    "trigger": "triggers",  # likewise
    "rule": "rules",
    "domain": "domains",
    "composite type": "composite types",
    "range type": "range types",
    "multirange type": "multirange types",
    "base type": "base types",
    "exclusion constraint": "exclusion constraints",
    "statistics object": "statistics objects",
    "grant": "grants",
    "default privileges": "default privileges",
}


def summary(kinds) -> str:
    """``not imported: 3 functions, 8 triggers, 1 view — see docs/import.md#out-of-scope``
    for the kinds of the objects left out (in the order of ``OUT_OF_SCOPE``)."""
    counts = Counter(kinds)
    order = list(OUT_OF_SCOPE) + sorted(k for k in counts if k not in OUT_OF_SCOPE)
    parts = [f"{counts[k]} {k if counts[k] == 1 else OUT_OF_SCOPE.get(k, k + 's')}" for k in order if counts[k]]
    return f"not imported: {', '.join(parts)} — see {DOCS}"


def main(out=None) -> int:
    out = out or sys.stdout
    print(f"import writes {len(IMPORTED)} object kinds into the spec:", file=out)
    for kind, what in IMPORTED.items():
        print(f"  {kind}: {what}", file=out)
    print(f"import lists {len(OUT_OF_SCOPE)} object kinds without writing them (plan never touches them; "
          f"see {DOCS}):", file=out)
    print("  " + ", ".join(OUT_OF_SCOPE), file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
