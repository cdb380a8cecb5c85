"""No phantom changes for expressions that name other tables, their own table, or
WITH queries, whatever the spelling; a real change shows what differs (issue 16).

Each case: the database holds the object as created from one spelling; the spec
holds another, equal, spelling; ``plan`` must find nothing. And every spelling the
spec accepts must also apply: the compiled statement runs under
``search_path = pg_catalog`` and the final guard."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemadiff.identifiers import quote_ident
from schemadiff.relnames import qualify_relations, unqualified_relations

from .conftest import run_cli, write_spec

ROOT = "version: 1\nexternal: {roles: [authenticated]}\n"
CUSTOMERS = "table: customers\ncolumns: {id: {type: uuid, primary_key: true}, tenant_id: {type: uuid, nullable: false}}\n"
BASE_DDL = ("CREATE TABLE customers (id uuid PRIMARY KEY, tenant_id uuid NOT NULL); "
            "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id uuid NOT NULL, total numeric NOT NULL, "
            "note text); ")
ORDERS_COLS = ("table: orders\ncolumns:\n  id: {type: bigint, primary_key: true}\n  customer_id: {type: uuid, nullable: false}\n"
               "  total: {type: numeric, nullable: false}\n  note: text\n")
ISSUE_POLICY = "customer_id IN (SELECT id FROM customers WHERE tenant_id = current_setting('app.tenant')::uuid)"

# (id, the database's DDL after BASE_DDL, the spec's extra YAML for orders)
CASES = [
    ("issue 16: subquery with an unqualified table and a cast",
     f"CREATE POLICY tenant_isolation ON orders USING ({ISSUE_POLICY})",
     f'rls:\n  policies:\n    tenant_isolation:\n      using: "{ISSUE_POLICY}"\n'),
    ("the same, database written qualified, spec unqualified",
     "CREATE POLICY p ON orders USING (customer_id IN (SELECT customers.id FROM public.customers "
     "WHERE customers.tenant_id = (current_setting('app.tenant'::text))::uuid))",
     "rls:\n  policies:\n    p:\n      using: \"customer_id IN (SELECT id FROM customers WHERE customers.tenant_id = "
     "current_setting('app.tenant')::uuid)\"\n"),
    ("EXISTS with a correlated reference to the policy's own table",
     "CREATE POLICY p ON orders USING (EXISTS (SELECT 1 FROM customers c WHERE c.id = orders.customer_id))",
     "rls:\n  policies:\n    p: {using: \"exists (select 1 from customers c where c.id = customer_id)\"}\n"),
    ("own table's columns qualified with its name",
     "CREATE POLICY p ON orders USING (note = 'x')",
     "rls:\n  policies:\n    p: {using: \"orders.note = 'x'::text\"}\n"),
    ("with check with a subquery",
     "CREATE POLICY p ON orders FOR INSERT WITH CHECK (customer_id IN (SELECT id FROM customers))",
     "rls:\n  policies:\n    p: {for: insert, with_check: \"customer_id = ANY (SELECT id FROM customers)\"}\n"),
    ("check with a redundant numeric cast",
     "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0)",
     "checks:\n  - {name: orders_total_check, expression: \"total >= (0)::numeric\"}\n"),
    ("index expression the server must decide",
     "CREATE INDEX ix ON orders (lower(note || 'x'))",
     "indexes:\n  ix: {columns: [{expression: \"LOWER(note || 'x'::text)\"}]}\n"),
    ("index expression cast",
     "CREATE INDEX ix ON orders ((total::integer))",
     "indexes:\n  ix: {columns: [{expression: \"CAST(total AS int4)\"}]}\n"),
    ("index predicate with the table's name",
     "CREATE INDEX ix ON orders (id) WHERE total > 0",
     "indexes:\n  ix: {columns: [id], where: orders.total > 0}\n"),
]


def _orders_yaml(extra: str, generated: str | None = None) -> str:
    return ORDERS_COLS + extra


def _setup(pg, db, ddl: str) -> None:
    assert pg.run_psql(db, sql="DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') "
                               "THEN CREATE ROLE authenticated NOLOGIN; END IF; END $$;").returncode == 0
    rls = "ALTER TABLE orders ENABLE ROW LEVEL SECURITY; " if "POLICY" in ddl else ""
    result = pg.run_psql(db, sql=BASE_DDL + rls + ddl + ";")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("case_id,ddl,extra", CASES, ids=[c[0] for c in CASES])
def test_other_spellings_converge(pg, db, tmp_path, case_id, ddl, extra):
    _setup(pg, db, ddl)
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/customers.yaml": CUSTOMERS,
                                         "tables/orders.yaml": _orders_yaml(extra)})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert "No changes" in plan.out


@pytest.mark.parametrize("case_id,ddl,extra", CASES, ids=[c[0] for c in CASES])
def test_every_spelling_applies_to_an_empty_database_and_then_converges(pg, db, tmp_path, case_id, ddl, extra):
    """Spec first: the compiled statements pass the guard and the server under
    search_path = pg_catalog (an unqualified table in a subquery is the policy's
    schema's), and the database they build plans to nothing."""
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/customers.yaml": CUSTOMERS,
                                         "tables/orders.yaml": _orders_yaml(extra)})
    assert pg.run_psql(db, sql="DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') "
                               "THEN CREATE ROLE authenticated NOLOGIN; END IF; END $$;").returncode == 0
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied.out + applied.err
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def test_a_with_query_in_a_policy_is_a_load_error_not_an_apply_failure(tmp_path):
    """apply's guard admits schema-qualified tables only, and a WITH query's name is
    not one: found by validate, at the policy's line, not by apply."""
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/customers.yaml": CUSTOMERS,
                                         "tables/orders.yaml": _orders_yaml(
                                             "rls:\n  policies:\n    p: {using: \"customer_id IN (WITH c AS "
                                             "(SELECT id FROM customers) SELECT c.id FROM c)\"}\n")})
    result = run_cli("validate", str(spec))
    assert result.code == 1
    assert "orders.yaml:9:" in result.err and "a WITH query (c) is not supported in a policy" in result.err


def test_an_unqualified_name_means_the_tables_schema_not_search_path(pg, db, tmp_path):
    """A table of the same name earlier on the database's search_path (a hostile
    role setting) is not what the spec's unqualified name means: the policy on
    public.orders reading evil.customers is a real change."""
    _setup(pg, db, "CREATE SCHEMA evil; CREATE TABLE evil.customers (id uuid, tenant_id uuid); "
                   f"CREATE POLICY tenant_isolation ON orders USING ({ISSUE_POLICY.replace('FROM customers', 'FROM evil.customers')})")
    assert pg.run_psql(db, sql=f"ALTER DATABASE {db} SET search_path = evil, public").returncode == 0
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/customers.yaml": CUSTOMERS,
                                         "tables/orders.yaml": _orders_yaml(
                                             f'rls:\n  policies:\n    tenant_isolation:\n      using: "{ISSUE_POLICY}"\n')})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 3, plan.out + plan.err
    assert "SD406" in plan.out


def test_a_changed_expression_shows_before_and_after(pg, db, tmp_path):
    _setup(pg, db, f"CREATE POLICY tenant_isolation ON orders USING ({ISSUE_POLICY}); "
                   "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0); "
                   "CREATE INDEX ix ON orders (id) WHERE total > 0")
    changed = ISSUE_POLICY.replace("app.tenant", "app.other")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/customers.yaml": CUSTOMERS,
                                         "tables/orders.yaml": _orders_yaml(
                                             "checks:\n  - {name: orders_total_check, expression: total > 0}\n"
                                             "indexes:\n  ix: {columns: [id], where: total > 1}\n"
                                             f'rls:\n  policies:\n    tenant_isolation:\n      using: "{changed}"\n')})
    plan = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert plan.code == 3
    text = plan.out
    at = text.index("change policy tenant_isolation")
    block = text[at:]
    assert "using, in the database:" in block and "app.tenant" in block
    assert "using, in the spec:" in block and "app.other" in block
    assert "where, in the database: total > (0)::numeric" in text
    assert "where, in the spec: total > 1" in text
    doc = json.loads(run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "json").out)
    policy = next(f for f in doc["findings"] if f["code"] == "SD406")
    assert policy["differences"] == [{"field": "using",
                                      "database": "customer_id IN ( SELECT customers.id\n   FROM public.customers\n  WHERE "
                                                  "(customers.tenant_id = (current_setting('app.tenant'::text))::uuid))",
                                      "spec": changed}]
    index = next(f for f in doc["findings"] if f["change"] == "change index ix")
    assert index["differences"] == [{"field": "where", "database": "total > (0)::numeric", "spec": "total > 1"}]
    check = next(f for f in doc["findings"] if f["change"].startswith("change check"))
    assert check["differences"][0]["field"] == "expression"


# -- offline properties of the rewrite ---------------------------------------------

_names = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda n: n not in {"select", "from", "where", "with", "as", "in", "on", "and", "or", "not", "true", "false",
                        "null", "is", "join", "limit", "exists", "all", "any", "end", "case", "when", "then", "else",
                        "union", "table", "order", "group", "by", "having", "cast", "do", "user", "only", "lateral",
                        "natural", "inner", "left", "right", "full", "cross", "using", "offset", "fetch", "for",
                        "to", "into", "analyse", "analyze", "asc", "desc", "array", "both", "leading", "trailing",
                        "unique", "default", "distinct", "some", "check", "constraint", "primary", "references",
                        "foreign", "grant", "create", "collate", "column", "current_date", "current_time",
                        "current_timestamp", "current_user", "current_role", "current_catalog", "session_user",
                        "localtime", "localtimestamp", "deferrable", "initially", "placing", "returning",
                        "symmetric", "variadic", "window", "except", "intersect", "asymmetric", "authorization",
                        "binary", "collation", "concurrently", "freeze", "ilike", "isnull", "notnull", "outer",
                        "overlaps", "similar", "tablesample", "verbose", "like", "between", "over", "row", "do"})


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(tables=st.lists(_names, min_size=1, max_size=4), schema=_names, spaces=st.sampled_from([" ", "\n  ", "  "]))
def test_qualify_relations_touches_only_relation_names(tables, schema, spaces):
    joined = f",{spaces}".join(f"{t} AS x{i}" for i, t in enumerate(tables))
    expression = f"c IN (SELECT x0.id{spaces}FROM {joined} WHERE x0.k = 'FROM {tables[0]}')"
    out = qualify_relations(expression, schema)
    assert unqualified_relations(out) == []
    schema = quote_ident(schema)
    # Removing exactly what was added gives the original text back: nothing else moved.
    assert out.replace(f"{schema}.", "") == expression.replace(f"{schema}.", "")
    assert out.count(f"{schema}.") == expression.count(f"{schema}.") + len(tables)
    assert qualify_relations(out, schema) == out  # idempotent


@pytest.mark.parametrize("base,head,changed", [
    ("FROM customers", "FROM public.customers", False),
    ("FROM public.customers", "FROM customers", False),
    ("FROM customers", "FROM other.customers", True),
])
def test_the_gate_reads_an_unqualified_table_as_the_policys_schema(tmp_path, base, head, changed):
    """``check`` (spec against spec, no database): the two spellings of one table are
    no change; another schema's table is."""
    def spec(where, text):
        policy = ISSUE_POLICY.replace("FROM customers", text)
        return write_spec(tmp_path / where, {
            "schemadiff.yaml": "version: 1\nexternal: {roles: [authenticated], tables: [other.customers]}\n",
            "tables/customers.yaml": CUSTOMERS,
            "tables/orders.yaml": _orders_yaml(f'rls:\n  policies:\n    tenant_isolation:\n      using: "{policy}"\n')})
    result = run_cli("check", str(spec("head", head)), "--base", str(spec("base", base)))
    assert result.code == (3 if changed else 0), result
    assert ("SD406" in result.out) is changed


# -- hostile names: the schema written in front of a subquery's table ----------------

from tests.hostile import PAYLOADS  # noqa: E402


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"p{i}" for i in range(len(PAYLOADS))])
def test_the_schema_put_in_front_of_a_subquery_table_is_one_quoted_name(tmp_path, payload):
    """Any schema name the loader takes becomes exactly the schema of the subquery's
    relation in the compiled policy — one statement, nothing else named."""
    import json as _json

    from pglast.parser import parse_sql_json

    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": _json.dumps({"version": 1, "schema": payload, "schemas": [payload]}),
        "tables/t.yaml": _json.dumps({"table": "t", "columns": {"id": {"type": "bigint", "primary_key": True}},
                                      "rls": {"policies": {"p": {"using": "id IN (SELECT id FROM t)"}}}})})
    result = run_cli("sql", str(spec))
    if result.code != 0:
        assert result.code == 1 and "Traceback" not in result.err, result
        return
    policy = [line for line in result.out.splitlines() if line.startswith("CREATE POLICY")]
    assert len(policy) == 1, result.out
    stmts = _json.loads(parse_sql_json(policy[0]))["stmts"]
    assert len(stmts) == 1
    relations = []

    def walk(node):
        if isinstance(node, dict):
            if "relname" in node:
                relations.append((node.get("schemaname"), node["relname"]))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(stmts[0])
    assert relations == [(payload, "t"), (payload, "t")], relations  # the policy's table, the subquery's
