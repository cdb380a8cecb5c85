"""``import`` writes what people write (issue 16, item 7): no redundant casts or
qualification, one line, short type names — each kept only where the server
stores the same thing back, so import -> plan stays empty."""

from __future__ import annotations

import psycopg
import pytest

from schemadiff.introspect.humane import short_type
from schemadiff.normalize import canonical_builtin_type

from .conftest import run_cli

SETUP = """
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated')
  THEN CREATE ROLE authenticated NOLOGIN; END IF; END $$;
CREATE TABLE customers (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, name character varying(120) NOT NULL,
  code character(2), seen timestamp with time zone DEFAULT now(), at timestamp without time zone,
  meta jsonb NOT NULL DEFAULT '{}'::jsonb);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id uuid NOT NULL REFERENCES customers(id),
  total numeric NOT NULL DEFAULT 0, n integer, status text NOT NULL DEFAULT 'new'::text,
  CONSTRAINT orders_total_check CHECK (total >= (0)::numeric),
  CONSTRAINT orders_n_check CHECK (n > ('1.5'::numeric)::integer));
CREATE INDEX orders_lower_status ON orders (lower(status)) WHERE (status <> 'done'::text);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON orders TO authenticated
  USING (customer_id IN (SELECT id FROM customers WHERE tenant_id = current_setting('app.tenant')::uuid));
CREATE POLICY own_name ON orders FOR INSERT TO authenticated
  WITH CHECK (EXISTS (SELECT 1 FROM public.customers c WHERE c.id = orders.customer_id AND c.name <> 'x'::text));
"""


def _import(pg, db, tmp_path):
    assert pg.run_psql(db, sql=SETUP).returncode == 0
    out = tmp_path / "spec"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    return out


def test_import_writes_the_issues_policy_as_a_person_would_and_plans_to_nothing(pg, db, tmp_path):
    out = _import(pg, db, tmp_path)
    orders = (out / "tables" / "orders.yaml").read_text()
    customers = (out / "tables" / "customers.yaml").read_text()
    assert ("using: \"customer_id IN (SELECT id FROM customers WHERE tenant_id = "
            "current_setting('app.tenant')::uuid)\"") in orders
    assert "check: total >= 0" in orders
    assert "default: \"'new'\"" in orders
    assert "where: status <> 'done'" in orders
    assert "expression: lower(status)" in orders
    # The correlated reference to the policy's own table keeps its qualification;
    # the subquery's own alias goes, and so does the schema.
    assert ("with_check: EXISTS (SELECT 1 FROM customers AS c WHERE id = orders.customer_id AND name <> 'x')\n"
            in orders), orders
    assert "name: {type: varchar(120), nullable: false}" in customers
    assert "code: char(2)" in customers and "seen: {type: timestamptz, default: now()}" in customers
    assert "at: timestamp" in customers and "default: \"'{}'\"" in customers
    for text in (orders, customers):
        assert "::text" not in text and "character varying" not in text and "\\n" not in text
    plan = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err


def test_a_simplification_the_server_stores_otherwise_is_not_made(pg, db, tmp_path):
    """The server stores ``n > ('1.5'::numeric)::integer`` as ``n > (1.5)::integer``;
    without that cast, ``n > 1.5`` compares as numeric (``(n)::numeric > 1.5``),
    another expression: the cast stays."""
    out = _import(pg, db, tmp_path)
    orders = (out / "tables" / "orders.yaml").read_text()
    assert 'check: "n > (1.5)::integer"' in orders, orders
    plan = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err


@pytest.mark.parametrize("stored,short", [
    ("character varying(120)", "varchar(120)"), ("character varying", "varchar"),
    ("character varying(3)[]", "varchar(3)[]"), ("character(2)", "char(2)"),
    ("timestamp with time zone", "timestamptz"), ("timestamp(3) with time zone", "timestamptz(3)"),
    ("timestamp without time zone", "timestamp"), ("time with time zone", "timetz"),
    ("time without time zone", "time"), ("bit varying(8)", "varbit(8)"),
    ("integer", "integer"), ("double precision", "double precision"), ("public.mood", "public.mood"),
])
def test_short_type_spellings_read_back_as_the_same_type(stored, short):
    assert short_type(stored) == short
    assert canonical_builtin_type(short)[0] in (stored, None)


# -- goldens: what import writes for each example, reviewed ------------------------

import os  # noqa: E402

from .conftest import EXAMPLES, ROOT  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "import"
UPDATE = os.environ.get("SCHEMADIFF_UPDATE_GOLDEN") == "1"
NAMES = sorted(p.parent.parent.name for p in EXAMPLES.glob("*/schema/schemadiff.yaml"))


@pytest.mark.parametrize("name", NAMES)
def test_import_of_each_example_is_its_golden_and_plans_to_nothing(name, pg, db, tmp_path):
    example = EXAMPLES / name
    script = tmp_path / "schema.sql"
    assert run_cli("sql", str(example / "schema"), "-o", str(script)).code == 0
    assert pg.run_psql(db, file=example / "prerequisites.sql").returncode == 0
    built = pg.run_psql(db, file=script)
    assert built.returncode == 0, built.stderr
    out = tmp_path / "imported"
    assert run_cli("import", "--db", pg.dsn(db), "--out", str(out)).code == 0
    text = "".join(f"# ---- {p.relative_to(out).as_posix()}\n{p.read_text(encoding='utf-8')}"
                   for p in sorted(out.rglob("*.yaml")))
    path = GOLDEN / f"{name}.yaml.txt"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden {path}; run with SCHEMADIFF_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")
    plan = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err


@pytest.mark.parametrize("scs", ["on", "off"])
def test_import_probes_keep_the_canary_whatever_the_databases_strings(pg, db, tmp_path, scs):
    """The database's own expressions, holding backslashes, quotes and statement-like
    text, go back to the server as proposals; with standard_conforming_strings off
    (the database's setting) they still mean what they say, and the canary survives."""
    ddl = ("CREATE TABLE public.canary (id integer PRIMARY KEY, note text); "
           "INSERT INTO public.canary SELECT g, 'row ' || g FROM generate_series(1, 5) g; "
           "CREATE TABLE t (s text DEFAULT (E'a\\\\' || '; DELETE FROM public.canary; --'::text), "
           "CONSTRAINT t_s_check CHECK (s <> (E'x\\\\' || '''); DELETE FROM public.canary; --'::text))); "
           "ALTER TABLE t ENABLE ROW LEVEL SECURITY; "
           "CREATE POLICY p ON t USING (s IN (SELECT note FROM public.canary WHERE note <> E'\\\\'::text)); "
           f"ALTER DATABASE {db} SET standard_conforming_strings = {scs};")
    result = pg.run_psql(db, sql=ddl)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "spec"
    imported = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert imported.code == 0, imported
    text = (out / "tables" / "t.yaml").read_text()
    assert "FROM canary" in text, text  # the people's spelling was verified and kept
    plan = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 5
