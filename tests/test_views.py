"""Views in the spec, end to end on the server: `sql` in dependency order, plan
against itself (the server's deparse of the spec query equals the database's),
import round trip byte-identical, judgement, the guard's shapes, migration files."""

from __future__ import annotations

import json

import psycopg
import pytest

from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"
TABLE = """\
table: item
columns:
  id: {type: integer, primary_key: true}
  status: text
  price: numeric
"""
# Written as a person writes it: unqualified columns, IN list, lower case, no casts.
ACTIVE = """\
view: active_items
query: |
  select id, status from public.item
  where status in ('new', 'open')  -- open work only
security_invoker: true
comment: Items still open.
"""
# Reads the other view: created after it.
CHEAP = """\
view: cheap_active
query: SELECT a.id, a.status FROM public.active_items a WHERE a.id > 10
check_option: cascaded
"""
FILES = {"schemadiff.yaml": ROOT, "tables/item.yaml": TABLE, "views/active_items.yaml": ACTIVE,
         "views/cheap_active.yaml": CHEAP}


def _build(pg, db, tmp_path, spec):
    script = tmp_path / "build.sql"
    result = run_cli("sql", str(spec), "-o", str(script))
    assert result.code == 0, result
    run = pg.run_psql(db, file=script)
    assert run.returncode == 0, run.stderr
    return script.read_text()


def test_sql_creates_views_in_dependency_order_and_the_plan_against_them_is_empty(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", FILES)
    script = _build(pg, db, tmp_path, spec)
    assert script.index("CREATE TABLE public.item") < script.index("CREATE VIEW public.active_items") \
        < script.index("CREATE VIEW public.cheap_active")
    result = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert result.code == 0, result  # the server's deparse of each spec query equals the database's
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        options = dict(conn.execute("SELECT relname::text, reloptions FROM pg_class WHERE relkind = 'v' "
                                       "AND relnamespace = 'public'::regnamespace").fetchall())
        assert options == {"active_items": ["security_invoker=true"], "cheap_active": ["check_option=cascaded"]}


def test_apply_through_the_guard_then_import_round_trip_is_byte_identical(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", FILES)
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    out = tmp_path / "imported"
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    assert "view" not in result.out  # nothing left out
    imported = {p.relative_to(out).as_posix(): p.read_text() for p in sorted(out.rglob("views/*.yaml"))}
    assert sorted(imported) == ["views/active_items.yaml", "views/cheap_active.yaml"]
    # the imported spec is the database's spelling: planning it is empty, and importing it again is identical
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
    assert load_spec(out).schema.views[0].comment == "Items still open."


def test_a_changed_query_is_refused_a_spacing_change_is_not(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", FILES)
    _build(pg, db, tmp_path, spec)
    respaced = write_spec(tmp_path / "respaced", {**FILES, "views/active_items.yaml": ACTIVE.replace(
        "select id, status from public.item", "SELECT   item.id,\n    item.status   FROM public.item")})
    assert run_cli("plan", str(respaced), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
    changed = write_spec(tmp_path / "changed", {**FILES, "views/active_items.yaml": ACTIVE.replace("'open'", "'held'")})
    result = run_cli("plan", str(changed), "--db", pg.dsn(db), "--format", "json")
    assert result.code == 3, result
    codes = {f["code"] for f in json.loads(result.out)["findings"]} if "findings" in json.loads(result.out) else set()
    assert "SD415" in result.out
    check = run_cli("check", str(changed), "--base", str(spec), "--format", "json")
    assert check.code == 3 and "SD415" in check.out
    removed = write_spec(tmp_path / "removed", {k: v for k, v in FILES.items() if k != "views/cheap_active.yaml"})
    drift = run_cli("plan", str(removed), "--db", pg.dsn(db), "--detailed-exitcode")
    assert drift.code == 0 and "SD311" in drift.out  # drift: kept, never dropped
    assert run_cli("check", str(removed), "--base", str(spec)).code == 3
    del codes


@pytest.mark.parametrize("query,message", [
    ("SELECT id FROM item", "without its schema"),
    ("WITH x AS (SELECT 1 AS a) SELECT x.a FROM x", "WITH"),
    ("SELECT id FROM public.item FOR UPDATE", "FOR UPDATE"),
    ("SELECT 1; DROP TABLE public.item", "exactly one SELECT"),
    ("DELETE FROM public.item RETURNING id", "exactly one SELECT"),
    ("SELECT set_config('role', 'postgres', false)", "set_config"),
    ("SELECT $1", "parameter"),
    # review F4: a star is the table's columns of the day; the view keeps the day's list, and
    # every later column makes the spec's query differ from the database's (SD415 forever).
    ("SELECT * FROM public.item", "list the columns"),
    ("SELECT i.* FROM public.item i", "list the columns"),
    ("SELECT i.id FROM public.item i WHERE EXISTS (SELECT * FROM public.item j WHERE j.id = i.id)",
     "list the columns"),
])
def test_a_query_a_view_may_not_hold_is_a_load_error_with_its_line(tmp_path, query, message):
    spec = write_spec(tmp_path / "spec", {**FILES, "views/bad.yaml": "view: bad\nquery: " + json.dumps(query) + "\n"})
    result = run_cli("validate", str(spec))
    assert result.code == 1 and "views/bad.yaml:2:" in result.err and message in result.err, result


def test_a_cycle_of_views_is_a_load_error(tmp_path):
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": ROOT, "tables/item.yaml": TABLE,
        "views/a.yaml": "view: a\nquery: SELECT b.id FROM public.b\n",
        "views/b.yaml": "view: b\nquery: SELECT a.id FROM public.a\n"})
    result = run_cli("validate", str(spec))
    assert result.code == 1 and "a cycle" in result.err


def test_migration_files_validate_views_and_roll_back_exactly(pg, db, tmp_path):
    from schemadiff.introspect.connect import connect
    from schemadiff.planning import plan_with_connection

    from .test_migration_files import roundtrip

    desired = load_spec(write_spec(tmp_path / "spec", FILES)).schema
    with connect(pg.dsn(db)) as conn:
        plan = plan_with_connection(desired, conn).plan
    w = roundtrip(pg, db, plan, desired, tmp_path / "migrations")
    rollback = w.rollback.read_text()
    assert rollback.index("DROP VIEW IF EXISTS public.cheap_active") < rollback.index(
        "DROP VIEW IF EXISTS public.active_items") < rollback.index("DROP TABLE IF EXISTS public.item")


# -- property: any query a person writes plans to nothing against itself -------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SPACE = st.sampled_from([" ", "  ", "\n", "\n  ", "\t"])
_KW = lambda word: st.sampled_from([word.lower(), word.upper(), word.capitalize()])  # noqa: E731
_LIT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Zl", "Zp", "Cf")), max_size=8)
_COND = st.one_of(
    st.builds(lambda col, lits: f"{col} IN ({', '.join(repr_sql(x) for x in lits)})",
              st.sampled_from(["status", "item.status", '"status"']), st.lists(_LIT, min_size=1, max_size=3)),
    st.builds(lambda col, n: f"{col} > {n}", st.sampled_from(["id", "item.id", "price"]), st.integers(-5, 5)),
    st.builds(lambda lit: f"lower(status) = {repr_sql(lit)}", _LIT),
    st.just("price IS NOT NULL"),
)


def repr_sql(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_QUERY = st.builds(
    lambda sel, frm, where, s1, s2, s3, cols, cond, comment:
        f"{sel}{s1}{cols}{s2}{frm} public.item{s3}{where} {cond}" + (f" -- {comment}" if comment else ""),
    _KW("select"), _KW("from"), _KW("where"), _SPACE, _SPACE, _SPACE,
    st.sampled_from(["id, status", "item.id, item.status", "id AS item_id, upper(status) AS s",
                     "count(*) AS n"]),
    _COND, st.one_of(st.none(), _LIT.filter(lambda t: "\n" not in t)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_QUERY)
def test_any_query_plans_to_nothing_against_itself_and_imports_exactly(pg, db, tmp_path_factory, query):
    tmp = tmp_path_factory.mktemp("view")
    spec = write_spec(tmp / "spec", {"schemadiff.yaml": ROOT, "tables/item.yaml": TABLE,
                                     "views/v.yaml": json.dumps({"view": "v", "query": query}, ensure_ascii=False)})
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    _build(pg, db, tmp, spec)
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, (query, again)
    out = tmp / "imported"
    assert run_cli("import", "--db", pg.dsn(db), "--out", str(out)).code == 0
    assert run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


def test_a_star_is_never_written_by_import_and_count_star_loads(pg, db, tmp_path):
    """A view the database holds as ``SELECT *`` / ``t.*`` is stored with its columns
    listed (pg_get_viewdef expands the star): import writes what the loader takes."""
    assert pg.run_psql(db, sql="CREATE TABLE public.item (id integer PRIMARY KEY, status text); "
                               "CREATE VIEW public.v_all AS SELECT * FROM public.item; "
                               "CREATE VIEW public.v_t AS SELECT i.* FROM public.item i; "
                               "CREATE VIEW public.v_n AS SELECT count(*) AS n, "
                               "pg_catalog.to_json(i.*) IS NULL AS j FROM public.item i GROUP BY i.*").returncode == 0
    out = tmp_path / "imported"
    assert run_cli("import", "--db", pg.dsn(db), "--out", str(out)).code == 0
    for name in ("v_all", "v_t"):
        text = (out / "views" / f"{name}.yaml").read_text()
        assert "*" not in text and "id" in text and "status" in text, text
    assert run_cli("validate", str(out)).code == 0
    assert run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
