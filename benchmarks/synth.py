"""A synthetic, deterministic PostgreSQL schema of N tables, as SQL.

Every table has the same realistic mix, so the work per table is constant and
the figures for different N can be compared:

* 15 columns: uuid, text, varchar(n), integer, bigint, numeric(12,2), boolean,
  timestamptz, date, jsonb, text[] and one shared enum type;
* NOT NULLs and defaults (now(), gen_random_uuid(), 'x', 0, false, an enum label);
* a primary key, a UNIQUE, a foreign key to the previous table, two CHECKs
  (an ``IN (...)`` list, the same in every table, and a range whose bound
  differs from table to table, so that caches keyed by expression text do not
  make every table after the first free);
* three indexes: a plain one on the FK column, a DESC one and a partial one;
* row-level security enabled, with one policy;
* a table comment and a column comment.

No randomness: the same N always gives the same text.

    .venv/bin/python benchmarks/synth.py 1000 > synth.sql
"""

from __future__ import annotations

import argparse
import sys

ENUM = "item_status"
# Statements per transaction when loading: a single transaction for 5,000
# tables would need more lock slots than a default server has.
BATCH = 100


def table_name(i: int) -> str:
    return f"t{i:05d}"


def table_sql(i: int) -> str:
    t = table_name(i)
    fk = (f",\n    CONSTRAINT {t}_parent_fk FOREIGN KEY (parent_id) REFERENCES {table_name(i - 1)} (id) "
          "ON DELETE SET NULL") if i > 1 else ""
    return f"""CREATE TABLE {t} (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,
    parent_id uuid,
    code varchar(32) NOT NULL,
    name text NOT NULL DEFAULT 'x',
    kind text NOT NULL DEFAULT 'a',
    quantity integer NOT NULL DEFAULT 0,
    total_cents bigint NOT NULL DEFAULT 0,
    price numeric(12,2),
    active boolean NOT NULL DEFAULT false,
    status {ENUM} NOT NULL DEFAULT 'active',
    created_at timestamptz NOT NULL DEFAULT now(),
    due_on date,
    attributes jsonb,
    tags text[],
    CONSTRAINT {t}_pkey PRIMARY KEY (id),
    CONSTRAINT {t}_tenant_code_key UNIQUE (tenant_id, code),
    CONSTRAINT {t}_kind_check CHECK (kind IN ('a', 'b', 'c', 'd')),
    CONSTRAINT {t}_quantity_check CHECK (quantity >= 0 AND quantity <= {1000 * i}){fk}
);
CREATE INDEX {t}_parent_idx ON {t} (parent_id);
CREATE INDEX {t}_tenant_created_idx ON {t} (tenant_id, created_at DESC);
CREATE INDEX {t}_due_idx ON {t} (due_on) WHERE due_on IS NOT NULL;
ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
CREATE POLICY {t}_tenant_isolation ON {t}
    USING (tenant_id = current_setting('app.tenant_id', true)::uuid);
COMMENT ON TABLE {t} IS 'Synthetic table {i} of the benchmark schema';
COMMENT ON COLUMN {t}.code IS 'Business code, unique per tenant';
"""


def schema_sql(n: int, *, batch: int = BATCH) -> str:
    """The whole schema: the enum type, then ``n`` tables, ``batch`` tables per transaction."""
    if n < 1:
        raise ValueError("n must be at least 1")
    parts = ["SET client_min_messages = warning;\n",
             f"CREATE TYPE {ENUM} AS ENUM ('draft', 'active', 'archived');\n"]
    for i in range(1, n + 1):
        if (i - 1) % batch == 0:
            parts.append("BEGIN;\n")
        parts.append(table_sql(i))
        if i % batch == 0 or i == n:
            parts.append("COMMIT;\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("tables", type=int, help="number of tables")
    args = p.parse_args(argv)
    sys.stdout.write(schema_sql(args.tables))
    return 0


if __name__ == "__main__":
    sys.exit(main())
