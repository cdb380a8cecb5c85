"""Materialized views and view column comments, end to end on a real server:
`sql` on an empty database (created WITH NO DATA, indexes on the empty view, the
REFRESH a follow-up in a comment), plan against itself through the server's
deparse, apply through the guard, import round trip byte-identical, judgement
(SD116, SD705, SD415, SD311, SD901, SD108), migration files that validate and roll
back exactly, load errors with their line, and a hypothesis-generated query."""

from __future__ import annotations

import json

import psycopg
import pytest

from schemadiff.guard import Catalog, check_statements
from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"
TABLE = """\
table: orders
columns:
  id: {type: integer, primary_key: true}
  customer: {type: text, nullable: false}
  total: {type: numeric, nullable: false}
"""
# Written as a person writes it: lower case, unqualified columns, a comment in the query.
TOTALS = """\
view: customer_totals
materialized: true
query: |
  select customer, sum(total) as total   -- per customer
  from public.orders group by customer
comment: Totals per customer.
columns:
  total: {comment: Sum of the orders.}
indexes:
  customer_totals_customer: {columns: [customer], unique: true, comment: Allows REFRESH CONCURRENTLY.}
  customer_totals_big: {columns: [{column: total, order: desc}], where: total > 100}
"""
# A plain view over the materialized view: created after it; a comment on its column.
BIG = """\
view: big_customers
query: SELECT t.customer FROM public.customer_totals t WHERE t.total > 1000
columns:
  customer: {comment: Who buys the most.}
"""
FILES = {"schemadiff.yaml": ROOT, "tables/orders.yaml": TABLE, "views/customer_totals.yaml": TOTALS,
         "views/big_customers.yaml": BIG}
RLS_TABLE = TABLE + "rls:\n  enabled: true\n  policies:\n    own: {using: \"customer = current_user\"}\n"


def _build(pg, db, tmp_path, spec):
    script = tmp_path / "build.sql"
    result = run_cli("sql", str(spec), "-o", str(script))
    assert result.code == 0, result
    run = pg.run_psql(db, file=script)
    assert run.returncode == 0, run.stderr
    return script.read_text()


def _rows(pg, db, sql, *args):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        return conn.execute(sql, args).fetchall()


def test_sql_creates_it_empty_with_its_indexes_and_the_plan_against_it_is_empty(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", FILES)
    script = _build(pg, db, tmp_path, spec)
    assert script.index("CREATE TABLE public.orders") < script.index(
        "CREATE MATERIALIZED VIEW public.customer_totals") < script.index("CREATE VIEW public.big_customers")
    assert "WITH NO DATA;" in script
    # the refresh is a follow-up in a comment, never a statement
    assert "--   REFRESH MATERIALIZED VIEW public.customer_totals;" in script
    assert not [line for line in script.splitlines() if line.startswith("REFRESH")]
    assert _rows(pg, db, "SELECT relkind::text, relispopulated FROM pg_class WHERE relname = 'customer_totals'") \
        == [("m", False)]
    assert sorted(_rows(pg, db, "SELECT indexrelid::regclass::text, indisunique FROM pg_index "
                                "WHERE indrelid = 'public.customer_totals'::regclass")) == [
        ("customer_totals_big", False), ("customer_totals_customer", True)]
    assert _rows(pg, db, "SELECT col_description('public.big_customers'::regclass, 1), "
                         "col_description('public.customer_totals'::regclass, 2), "
                         "obj_description('public.customer_totals'::regclass, 'pg_class')") == [
        ("Who buys the most.", "Sum of the orders.", "Totals per customer.")]
    result = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert result.code == 0, result  # the server's deparse of the spec's query equals the database's
    # the unique index is what REFRESH … CONCURRENTLY needs (after a first plain refresh)
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("INSERT INTO public.orders VALUES (1, 'ann', 2000), (2, 'bob', 5)")
        conn.execute("REFRESH MATERIALIZED VIEW public.customer_totals")
        conn.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY public.customer_totals")
        assert conn.execute("SELECT customer FROM public.big_customers").fetchall() == [("ann",)]


def test_plan_lists_the_refresh_in_text_json_and_sql_and_apply_never_runs_it(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", FILES)
    text = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert text.code == 0, text
    assert "[SD116 create-materialized-view]" in text.out
    assert "Follow-up, not run by schemadiff" in text.out and "REFRESH MATERIALIZED VIEW public.customer_totals;" \
        in text.out
    assert "new materialized view, created empty (WITH NO DATA" in text.out  # its lock text: not "new table"
    assert "new table" not in text.out.split("materialized view public.customer_totals: create")[1].split("\n")[1]
    document = json.loads(run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "json").out)
    assert document["follow_ups"] == [{"object": "materialized view public.customer_totals",
                                       "sql": "REFRESH MATERIALIZED VIEW public.customer_totals;",
                                       "run": "by you, when you choose; never by schemadiff",
                                       "why": document["follow_ups"][0]["why"]}]
    assert not [s for s in document["steps"] if s["sql"].lstrip().upper().startswith("REFRESH")]
    sql = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "sql").out
    assert "--   REFRESH MATERIALIZED VIEW public.customer_totals;" in sql
    assert not [line for line in sql.splitlines() if line.lstrip().upper().startswith("REFRESH")]
    saved = tmp_path / "plan.json"
    assert run_cli("plan", str(spec), "--db", pg.dsn(db), "--out", str(saved)).code == 0
    assert json.loads(saved.read_text())["follow_ups"] == document["follow_ups"]
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--plan", str(saved))
    assert applied.code == 0, applied
    assert "REFRESH MATERIALIZED VIEW public.customer_totals;" in applied.out  # shown, never run
    assert _rows(pg, db, "SELECT relispopulated FROM pg_class WHERE relname = 'customer_totals'") == [(False,)]
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0 and "REFRESH" not in again.out, again


def test_apply_then_import_round_trip_is_byte_identical(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", FILES)
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    out = tmp_path / "imported"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    assert "view" not in result.out  # nothing left out
    imported = {p.relative_to(out).as_posix(): p.read_text() for p in sorted(out.rglob("views/*.yaml"))}
    assert sorted(imported) == ["views/big_customers.yaml", "views/customer_totals.yaml"]
    assert "materialized: true" in imported["views/customer_totals.yaml"]
    assert "Sum of the orders." in imported["views/customer_totals.yaml"]
    assert "Who buys the most." in imported["views/big_customers.yaml"]
    assert run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
    db2 = pg.create_database()
    try:
        _build(pg, db2, tmp_path, out)
        again = tmp_path / "again"
        assert run_cli("import", "--db", pg.dsn(db2), "--out", str(again)).code == 0
        assert {p.relative_to(again).as_posix(): p.read_text() for p in sorted(again.rglob("*.yaml"))} == \
            {p.relative_to(out).as_posix(): p.read_text() for p in sorted(out.rglob("*.yaml"))}
    finally:
        pg.drop_database(db2)
    loaded = {v.name: v for v in load_spec(out).schema.views}
    original = {v.name: v for v in load_spec(spec).schema.views}
    mv = loaded["customer_totals"]
    assert mv.materialized and [ix.name for ix in mv.indexes] == ["customer_totals_big", "customer_totals_customer"]
    assert [(ix.name, ix.unique, ix.comment, ix.where) for ix in mv.indexes] == [
        ("customer_totals_big", False, None, "total > (100)::numeric"),  # the server's spelling
        ("customer_totals_customer", True, "Allows REFRESH CONCURRENTLY.", None)]
    assert [(ix.name, ix.unique, ix.comment) for ix in original["customer_totals"].indexes] == [
        (ix.name, ix.unique, ix.comment) for ix in mv.indexes]
    assert mv.column_comments == (("total", "Sum of the orders."),)


def test_a_matview_over_a_table_with_rls_is_refused_sd705_and_without_rls_allowed(pg, db, tmp_path):
    guarded = write_spec(tmp_path / "guarded", {"schemadiff.yaml": ROOT, "tables/orders.yaml": RLS_TABLE})
    assert run_cli("apply", str(guarded), "--db", pg.dsn(db), "--yes").code == 0
    over = write_spec(tmp_path / "over", {**FILES, "tables/orders.yaml": RLS_TABLE})
    result = run_cli("plan", str(over), "--db", pg.dsn(db))
    assert result.code == 3, result
    assert "SD705 materialized-view-bypasses-rls" in result.out and "public.orders" in result.out
    assert "views/customer_totals.yaml:1" in result.out  # the spec line of the refusal
    # through a security_invoker view: REFRESH invokes it as the owner, so still refused
    via = write_spec(tmp_path / "via", {
        "schemadiff.yaml": ROOT, "tables/orders.yaml": RLS_TABLE,
        "views/o.yaml": "view: o\nsecurity_invoker: true\nquery: SELECT x.customer FROM public.orders x\n",
        "views/m.yaml": "view: m\nmaterialized: true\nquery: SELECT o.customer FROM public.o o\n"})
    result = run_cli("plan", str(via), "--db", pg.dsn(db))
    assert result.code == 3 and "public.m -> public.o -> public.orders" in result.out, result
    assert _rows(pg, db, "SELECT count(*) FROM pg_class WHERE relkind IN ('m', 'v') "
                         "AND relnamespace = 'public'::regnamespace") == [(0,)]
    db2 = pg.create_database()
    try:  # the same materialized view over the same table without row level security: allowed
        plain = write_spec(tmp_path / "plain", FILES)
        allowed = run_cli("apply", str(plain), "--db", pg.dsn(db2), "--yes")
        assert allowed.code == 0 and "SD705" not in allowed.out, allowed
    finally:
        pg.drop_database(db2)


def test_changed_removed_and_taken(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", FILES)
    _build(pg, db, tmp_path, spec)
    changed = write_spec(tmp_path / "changed", {**FILES, "views/customer_totals.yaml": TOTALS.replace(
        "group by customer", "where total > 0 group by customer")})
    result = run_cli("plan", str(changed), "--db", pg.dsn(db))
    assert result.code == 3 and "SD415 change-view" in result.out and "materialized view" in result.out, result
    check = run_cli("check", str(changed), "--base", str(spec), "--format", "json")
    assert check.code == 3 and "SD415" in check.out
    plain = write_spec(tmp_path / "plain", {**FILES, "views/customer_totals.yaml": TOTALS.replace(
        "materialized: true\n", "").split("indexes:")[0]})
    assert "SD415" in run_cli("plan", str(plain), "--db", pg.dsn(db)).out
    reindexed = write_spec(tmp_path / "reindexed", {**FILES, "views/customer_totals.yaml": TOTALS.replace(
        "unique: true", "unique: false")})
    assert run_cli("plan", str(reindexed), "--db", pg.dsn(db)).code == 3
    removed = write_spec(tmp_path / "removed", {k: v for k, v in FILES.items() if k != "views/big_customers.yaml"})
    removed2 = write_spec(tmp_path / "removed2", {**{k: v for k, v in FILES.items()
                                                     if k != "views/customer_totals.yaml"},
                                                  "views/big_customers.yaml": BIG.replace(
                                                      "public.customer_totals t", "public.orders t").replace(
                                                      "t.total > 1000", "t.total > 1000")})
    drift = run_cli("plan", str(removed), "--db", pg.dsn(db), "--detailed-exitcode")
    assert drift.code == 0 and "SD311" in drift.out, drift
    assert run_cli("check", str(removed), "--base", str(spec)).code == 3
    gone = run_cli("check", str(removed2), "--base", str(spec))
    assert gone.code == 3 and "materialized view public.customer_totals" in gone.out, gone
    # SD901: the name is taken by a table the spec does not manage
    db2 = pg.create_database()
    try:
        assert pg.run_psql(db2, sql="CREATE TABLE public.customer_totals (x int)").returncode == 0
        taken = run_cli("plan", str(spec), "--db", pg.dsn(db2))
        assert taken.code == 3 and "SD901" in taken.out and "table public.customer_totals" in taken.out, taken
    finally:
        pg.drop_database(db2)


def test_a_comment_on_a_view_column_is_added_to_an_existing_view(pg, db, tmp_path):
    bare = {**FILES, "views/big_customers.yaml": BIG.split("columns:")[0],
            "views/customer_totals.yaml": TOTALS.replace("columns:\n  total: {comment: Sum of the orders.}\n", "")}
    _build(pg, db, tmp_path, write_spec(tmp_path / "bare", bare))
    spec = write_spec(tmp_path / "spec", FILES)
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 0 and "[SD108 comment]" in result.out, result
    assert "view public.big_customers" in result.out and "table public.big_customers" not in result.out
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    assert _rows(pg, db, "SELECT col_description('public.big_customers'::regclass, 1), "
                         "col_description('public.customer_totals'::regclass, 2)") == [
        ("Who buys the most.", "Sum of the orders.")]
    assert run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


def test_migration_files_validate_and_roll_back_exactly(pg, db, tmp_path):
    from schemadiff.introspect.connect import connect
    from schemadiff.planning import plan_with_connection

    from .test_migration_files import roundtrip

    desired = load_spec(write_spec(tmp_path / "spec", FILES)).schema
    with connect(pg.dsn(db)) as conn:
        plan = plan_with_connection(desired, conn).plan
    w = roundtrip(pg, db, plan, desired, tmp_path / "migrations")
    migration = w.migration.read_text()
    assert "--   REFRESH MATERIALIZED VIEW public.customer_totals;" in migration
    rollback = w.rollback.read_text()
    assert rollback.index("DROP VIEW IF EXISTS public.big_customers") < rollback.index(
        "DROP MATERIALIZED VIEW IF EXISTS public.customer_totals") < rollback.index("DROP TABLE IF EXISTS public.orders")
    assert "DROP INDEX" not in rollback  # the indexes go with the materialized view
    validation = w.validation.read_text()
    assert "customer_totals_customer" in validation and "Sum of the orders." in validation


@pytest.mark.parametrize("files,where,message", [
    ({"views/v.yaml": "view: v\nquery: SELECT o.id FROM public.orders o\nindexes:\n  v_id: [id]\n"},
     "views/v.yaml:3:", "a plain view has no indexes"),
    ({"views/v.yaml": "view: v\nmaterialized: true\nsecurity_invoker: true\nquery: SELECT o.id FROM public.orders o\n"},
     "views/v.yaml:3:", "a materialized view has no security_invoker"),
    ({"views/v.yaml": "view: v\nquery: SELECT o.id FROM public.orders o\ncolumns:\n  idd: {comment: x}\n"},
     "views/v.yaml:4:", "no output column 'idd'"),
    ({"views/v.yaml": "view: v\nmaterialized: true\nquery: SELECT o.id FROM public.orders o\nindexes:\n"
                      "  v_x: [customer]\n"}, "views/v.yaml:5:", "no output column 'customer'"),
    ({"views/v.yaml": "view: v\nmaterialized: true\nquery: SELECT o.id FROM public.orders o\nindexes:\n"
                      "  v_x: {columns: [{expression: \"pg_catalog.random() + id\"}]}\n"}, "views/v.yaml:5:", "random"),
    ({"views/v.yaml": "view: v\nmaterialized: true\nquery: SELECT o.id FROM public.orders o\ncolumns:\n"
                      "  id: {comment: x, type: int}\n"}, "views/v.yaml:5:", "type"),
])
def test_bad_view_files_are_load_errors_with_their_line(tmp_path, files, where, message):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/orders.yaml": TABLE, **files})
    result = run_cli("validate", str(spec))
    assert result.code == 1 and where in result.err and message in result.err, result
    assert "Traceback" not in result.err


@pytest.mark.parametrize("sql,reason", [
    ("CREATE MATERIALIZED VIEW public.m AS SELECT 1 AS a", "filled by the migration"),
    ("CREATE MATERIALIZED VIEW public.m AS SELECT 1 AS a WITH DATA", "filled by the migration"),
    ("CREATE TABLE public.m AS SELECT 1 AS a", "CREATE TABLE AS"),
    ("CREATE MATERIALIZED VIEW m AS SELECT 1 AS a WITH NO DATA", "not schema-qualified"),
    ("CREATE MATERIALIZED VIEW public.m (x) AS SELECT 1 AS a WITH NO DATA", "CREATE MATERIALIZED VIEW"),
    ("CREATE MATERIALIZED VIEW public.m USING heap AS SELECT 1 AS a WITH NO DATA", "CREATE MATERIALIZED VIEW"),
    ("CREATE MATERIALIZED VIEW public.m WITH (fillfactor = 50) AS SELECT 1 AS a WITH NO DATA",
     "CREATE MATERIALIZED VIEW"),
    ("CREATE MATERIALIZED VIEW IF NOT EXISTS public.m AS SELECT 1 AS a WITH NO DATA", "CREATE MATERIALIZED VIEW"),
    ("CREATE MATERIALIZED VIEW public.m AS SELECT pg_catalog.set_config('a', 'b', false) AS a WITH NO DATA",
     "set_config"),
    ("CREATE MATERIALIZED VIEW public.m AS WITH d AS (DELETE FROM public.t RETURNING 1) SELECT 1 AS a "
     "WITH NO DATA", "WITH"),
    ("REFRESH MATERIALIZED VIEW public.m", "not a statement schemadiff writes"),
])
def test_the_guard_accepts_only_the_shape_the_compiler_writes(sql, reason):
    problems = check_statements([sql], Catalog())
    assert problems and reason in problems[0].reason, (sql, problems)


def test_the_guard_accepts_the_compiled_statements_and_plain_index_only_on_the_new_matview(tmp_path):
    from schemadiff.compile.schema import compile_schema

    spec = load_spec(write_spec(tmp_path / "spec", FILES)).schema
    statements = [s.sql for s in compile_schema(spec) if "orders" not in s.sql or "VIEW" in s.sql]
    statements = [s for s in statements if not s.startswith("CREATE TABLE")]
    problems = check_statements(statements, Catalog())
    assert problems == [], problems
    # an index without CONCURRENTLY on a materialized view this plan does not create: refused
    problems = check_statements(["CREATE INDEX i ON public.customer_totals (customer)"], Catalog())
    assert problems and "CONCURRENTLY" in problems[0].reason


# -- property: any matview query a person writes plans to nothing against itself ------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SPACE = st.sampled_from([" ", "  ", "\n", "\n  ", "\t"])
_KW = lambda word: st.sampled_from([word.lower(), word.upper(), word.capitalize()])  # noqa: E731
_LIT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Zl", "Zp", "Cf")), max_size=8)


def _sql_lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_COND = st.one_of(
    st.builds(lambda col, lits: f"{col} IN ({', '.join(_sql_lit(x) for x in lits)})",
              st.sampled_from(["customer", "orders.customer", '"customer"']), st.lists(_LIT, min_size=1, max_size=3)),
    st.builds(lambda col, n: f"{col} > {n}", st.sampled_from(["id", "orders.id", "total"]), st.integers(-5, 5)),
    st.builds(lambda lit: f"lower(customer) = {_sql_lit(lit)}", _LIT),
    st.just("total IS NOT NULL"),
)
_QUERY = st.builds(
    lambda sel, frm, where, s1, s2, s3, cols, cond, comment:
        f"{sel}{s1}{cols}{s2}{frm} public.orders{s3}{where} {cond}" + (f" -- {comment}" if comment else ""),
    _KW("select"), _KW("from"), _KW("where"), _SPACE, _SPACE, _SPACE,
    st.sampled_from(["id, customer", "orders.id, orders.customer", "id AS order_id, upper(customer) AS c",
                     "id, total * 2 AS doubled"]),
    _COND, st.one_of(st.none(), _LIT.filter(lambda t: "\n" not in t)))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_QUERY, comment=_LIT, unique=st.booleans(), bound=st.one_of(st.none(), st.integers(-3, 3)))
def test_any_matview_query_plans_to_nothing_against_itself_and_imports_exactly(pg, db, tmp_path_factory, query,
                                                                               comment, unique, bound):
    tmp = tmp_path_factory.mktemp("matview")
    key = "order_id" if "order_id" in query else "id"
    index = {"columns": [key], "unique": unique}
    if bound is not None:  # a predicate the server respells ((id > 2) …): converged through the server
        index["where"] = f"{key} > {bound}"
    view = {"view": "m", "materialized": True, "query": query, "indexes": {"m_key": index}}
    if comment:
        view["comment"] = comment
        view["columns"] = {key: {"comment": comment}}
    spec = write_spec(tmp / "spec", {"schemadiff.yaml": ROOT, "tables/orders.yaml": TABLE,
                                     "views/m.yaml": json.dumps(view, ensure_ascii=False)})
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    _build(pg, db, tmp, spec)
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, (query, again)
    out = tmp / "imported"
    assert run_cli("import", "--db", pg.dsn(db), "--out", str(out)).code == 0
    assert "materialized: true" in (out / "views" / "m.yaml").read_text()
    assert run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


@pytest.mark.parametrize("files,where,message", [
    ({"views/m.yaml": "view: m\nmaterialized: true\nquery: SELECT o.id FROM public.orders o\nindexes:\n"
                      "  orders_pkey: [id]\n"}, "views/m.yaml:5:", "the index of primary key orders_pkey"),
    ({"views/m.yaml": "view: m\nmaterialized: true\nquery: SELECT o.id FROM public.orders o\nindexes:\n"
                      "  n: [id]\n", "views/n.yaml": "view: n\nquery: SELECT o.id FROM public.orders o\n"},
     "views/", "already used by"),
    ({"views/s.yaml": "view: s\nquery: SELECT o.id FROM public.orders o\n"}, "views/s.yaml:1:", "sequence public.s"),
])
def test_a_name_taken_inside_the_spec_is_a_load_error_with_its_line(tmp_path, files, where, message):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT + "sequences:\n  s: {}\n",
                                          "tables/orders.yaml": TABLE, **files})
    result = run_cli("validate", str(spec))
    assert result.code == 1 and where in result.err and message in result.err, result


def test_the_rls_walk_goes_through_views_schemadiff_does_not_read(pg, db, tmp_path):
    """A view import leaves out (a WITH query) in a schema the spec does not name, over a
    table with row level security in another such schema: pg_depend says what it reads,
    so a new materialized view (SD705) or view (SD704) over it is refused with the path."""
    assert pg.run_psql(db, sql="""
        CREATE SCHEMA hidden; CREATE SCHEMA legacy;
        CREATE TABLE hidden.care (id integer PRIMARY KEY, owner_name text);
        ALTER TABLE hidden.care ENABLE ROW LEVEL SECURITY;
        CREATE VIEW legacy.care_ids AS WITH x AS (SELECT id FROM hidden.care) SELECT x.id FROM x;
        CREATE VIEW legacy.plain_ids AS SELECT 1 AS id;""").returncode == 0
    base = {"schemadiff.yaml": ROOT + "external:\n  tables: [legacy.care_ids, legacy.plain_ids]\n",
            "tables/orders.yaml": TABLE}
    mat = write_spec(tmp_path / "mat", {**base, "views/m.yaml":
                                        "view: m\nmaterialized: true\nquery: SELECT c.id FROM legacy.care_ids c\n"})
    result = run_cli("plan", str(mat), "--db", pg.dsn(db))
    assert result.code == 3 and "SD705" in result.out and "public.m -> legacy.care_ids -> hidden.care" in result.out, \
        result
    plain = write_spec(tmp_path / "plain", {**base, "views/v.yaml":
                                            "view: v\nquery: SELECT c.id FROM legacy.care_ids c\n"})
    result = run_cli("plan", str(plain), "--db", pg.dsn(db))
    assert result.code == 3 and "SD704" in result.out and "public.v -> legacy.care_ids -> hidden.care" in result.out, \
        result
    fine = write_spec(tmp_path / "fine", {**base, "views/m.yaml":
                                          "view: m\nmaterialized: true\nquery: SELECT c.id FROM legacy.plain_ids c\n"})
    result = run_cli("plan", str(fine), "--db", pg.dsn(db))
    assert result.code == 0 and "SD116" in result.out, result


@pytest.mark.parametrize("query", [
    "SELECT o.id FROM public.orders o -- a trailing comment",
    "SELECT o.id FROM public.orders o; -- and a semicolon",
    "SELECT o.id /* inside */ FROM public.orders o /* last */",
])
def test_a_comment_at_the_end_of_the_query_never_swallows_with_no_data(pg, db, tmp_path, query):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/orders.yaml": TABLE,
                                          "views/m.yaml": "view: m\nmaterialized: true\nquery: " + json.dumps(query)
                                          + "\n"})
    script = _build(pg, db, tmp_path, spec)
    assert "WITH NO DATA;" in script and "--" not in script.split("CREATE MATERIALIZED VIEW")[1].split(";")[0]
    assert _rows(pg, db, "SELECT relispopulated FROM pg_class WHERE relname = 'm'") == [(False,)]
    assert run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
