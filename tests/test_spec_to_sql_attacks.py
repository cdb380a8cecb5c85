"""Security I: no spec string reaches the server except as the compiler built it.

Every spec string field × a corpus of hostile payloads (tests/hostile.py): the
spec is either refused with file:line, or compiles to exactly the statements the
same spec compiles to with a harmless value (same kinds, same count), each
literal meaning the same under either ``standard_conforming_strings``. Then, on
a real server, with the setting on and off, every script we write is run the way
users run it (psql; a migration runner sending the file as one query), and
``apply`` runs the plan: a canary table keeps its rows, a victim table stays,
and the database holds exactly the objects the spec describes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as psql_sql
from pglast.parser import parse_sql_json

from schemadiff.compile.verify import literal_problem
from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec
from .hostile import FIELDS, PAYLOADS, spec_files

CANARY = ("CREATE TABLE public.canary (id integer PRIMARY KEY, note text); "
          "INSERT INTO public.canary SELECT g, 'row ' || g FROM generate_series(1, 5) g; "
          "CREATE TABLE public.victim (id integer); INSERT INTO public.victim VALUES (1);")

ERROR_LINE = re.compile(r"^\S+\.yaml:\d+:\d+: error: ")


def _kinds(script: str) -> Counter:
    stmts = json.loads(parse_sql_json(script)).get("stmts") or []
    return Counter(next(iter(s["stmt"])) for s in stmts)


def _compile(tmp_path: Path, field: str | None, value: str):
    spec = write_spec(tmp_path / "spec", spec_files(field, value))
    return spec, run_cli("sql", str(spec))


def _assert_clean_error(r) -> None:
    assert r.code == 1, r
    assert "Traceback" not in r.err
    lines = r.err.splitlines()
    errors = [line for line in lines if " error: " in line]
    assert errors and all(ERROR_LINE.match(line) for line in errors), r.err
    for line in lines:  # every line printed is one line, with nothing a terminal or a CI log would act on
        assert not line.startswith("::") and "\x1b" not in line and "\x00" not in line and "\u202e" not in line, line


# A harmless value of each field: the statements a hostile value must compile to, if any.
HARMLESS = {"extension": "pgcrypto", "extension_schema": "ext", "type": "text", "default": "'x'",
            "check": "c <> ''", "references": "app.t(id)", "collation": "C", "opclass": "text_pattern_ops"}
_BASELINE: dict[str, Counter] = {}


def _baseline(tmp_path: Path, field: str) -> Counter:
    if field not in _BASELINE:
        _, r = _compile(tmp_path / "baseline", field, HARMLESS.get(field, "okname"))
        assert r.code == 0, r
        _BASELINE[field] = _kinds(r.out)
    return _BASELINE[field]


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"p{i}" for i in range(len(PAYLOADS))])
@pytest.mark.parametrize("field", FIELDS)
def test_every_field_refuses_or_compiles_to_exactly_the_intended_statements(tmp_path, field, payload):
    _, r = _compile(tmp_path, field, payload)
    if r.code != 0:
        _assert_clean_error(r)
        return
    assert _kinds(r.out) == _baseline(tmp_path, field), r.out
    assert literal_problem(r.out) is None, r.out
    for line in r.out.splitlines():
        assert not line.startswith("::") and "\r" not in line and "\x1b" not in line, line


# -- on a real server -------------------------------------------------------------

def _prepare(pg, db: str, scs: str, role: str) -> None:
    """The canary and the victim, the database's setting, the policy's role."""
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute(psql_sql.SQL("ALTER DATABASE {} SET standard_conforming_strings = {}").format(
            psql_sql.Identifier(db), psql_sql.SQL(scs)))
    _prepare_role(pg, db, role)


def _state(pg, db: str) -> tuple[int, bool, set[tuple[str, str]]]:
    """(canary rows, victim exists, user relations) — read in a fresh session."""
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        rows = conn.execute("SELECT count(*) FROM public.canary WHERE note LIKE 'row %'").fetchone()[0]
        victim = conn.execute("SELECT to_regclass('public.victim') IS NOT NULL").fetchone()[0]
        rels = {(r[0], r[1]) for r in conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relkind IN ('r', 'i')")}
    return rows, victim, rels


def _expected_relations(spec: Path) -> set[tuple[str, str]]:
    """The relations the database must hold afterwards: the canary, the victim, and
    exactly the spec's tables, indexes and key indexes."""
    rels = {("public", "canary"), ("public", "canary_pkey"), ("public", "victim")}
    for t in load_spec(spec).schema.tables:
        rels.add((t.schema, t.name))
        rels |= {(t.schema, ix.name) for ix in t.indexes}
        rels |= {(t.schema, u.name) for u in t.uniques}
        if t.primary_key is not None:
            rels.add((t.schema, t.primary_key.name))
    for v in load_spec(spec).schema.views:  # a materialized view's indexes
        rels |= {(v.schema, ix.name) for ix in v.indexes}
    return rels


# The payloads that name objects, comments and literals: each loads, so each runs.
RUN_FIELDS = ["table", "column", "table_comment", "column_comment", "index_comment", "enum_comment", "enum_value",
              "index_name", "unique_name", "check_name", "fk_name", "policy_name", "role", "default_literal",
              "check_literal", "index_where_literal", "using_literal", "with_check_literal",
              "function_name", "function_comment", "function_body", "search_path", "trigger_name", "trigger_arg",
              "trigger_when_literal", "view_name", "view_comment", "view_query_literal",
              "matview_name", "matview_comment", "matview_index_name", "view_column_comment", "matview_query_literal",
              "pk_comment", "unique_comment", "check_comment", "fk_comment", "policy_comment", "trigger_comment"]
RUN_PAYLOADS = [
    "x'; DROP TABLE public.canary; --",
    "x\\'; DROP TABLE public.canary; --",
    "x\\\\'; DROP TABLE public.victim; --",
    "\\",
    'x"; DROP TABLE public.canary; --',
    "$$; DROP TABLE public.canary; $$",
    "*/ DROP TABLE public.canary; /*",
    "x\\' || (SELECT 1) || '",
]


def _run_as_runner(pg, db: str, script: str) -> str | None:
    """Send the whole file as one query, as migration runners do (the server lexes
    it all before running the first statement: a leading SET changes nothing)."""
    try:
        with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
            conn.execute(script.encode())
    except psycopg.Error as exc:
        return str(exc)
    return None


def _runner_statements(script: str) -> list[str]:
    """The file as a naive migration runner splits it: at ``;`` + line end, psql's
    own commands and our leading SET dropped (each piece is lexed by the server
    with the database's setting, whatever the file meant)."""
    script = script.replace("\\set ON_ERROR_STOP on", "").replace("SET standard_conforming_strings = on;", "")
    pieces = [p.strip() for p in script.split(";\n")]
    return [p for p in pieces if p and not all(line.startswith("--") for line in p.splitlines())]


def _reset(pg, db: str, schema: str) -> None:
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(psql_sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(psql_sql.Identifier(schema)))


@pytest.mark.parametrize("scs", ["on", "off"])
@pytest.mark.parametrize("payload", RUN_PAYLOADS, ids=[f"p{i}" for i in range(len(RUN_PAYLOADS))])
def test_sql_scripts_keep_the_canary_under_either_setting(pg, tmp_path, payload, scs):
    """For each payload, every field at once would not load; one field at a time does.
    The script of each (field, payload) runs through psql, as one query, and split
    as a naive runner splits it, with standard_conforming_strings on and off (the
    database's setting; the last two without our leading SET)."""
    db = pg.create_database()
    try:
        _prepare(pg, db, scs, "reader")
        for field in RUN_FIELDS:
            spec, r = _compile(tmp_path / field, field, payload)
            assert r.code == 0, (field, r)
            expected = _expected_relations(spec)
            schema = load_spec(spec).schema.tables[0].schema
            if field == "role":
                _prepare_role(pg, db, payload)
            for mode in ("psql", "one-query", "naive-runner"):
                if mode == "psql":
                    path = tmp_path / field / "script.sql"
                    path.write_text(r.out, encoding="utf-8")
                    done = pg.run_psql(db, file=path)
                    assert done.returncode == 0, (field, mode, done.stderr)
                elif mode == "one-query":
                    script = r.out.replace("SET standard_conforming_strings = on;", "")
                    error = _run_as_runner(pg, db, script)
                    assert error is None, (field, mode, error)
                else:
                    for stmt in _runner_statements(r.out):
                        error = _run_as_runner(pg, db, stmt)
                        assert error is None, (field, mode, error, stmt)
                rows, victim, rels = _state(pg, db)
                assert rows == 5 and victim, (field, mode, scs)
                assert rels == expected, (field, mode, rels ^ expected)
                with psycopg.connect(pg.dsn(db)) as conn:  # the literal arrived intact
                    if field.endswith("comment") or field == "enum_value":
                        texts = {t for (t,) in conn.execute(
                            "SELECT description FROM pg_description UNION ALL "
                            "SELECT enumlabel::text FROM pg_enum")}
                        assert payload in texts, (field, mode, scs, texts)
                    # the function and the trigger exist exactly as written
                    body, config = conn.execute("SELECT prosrc, proconfig FROM pg_proc WHERE pronamespace = "
                                                "%s::regnamespace", (schema,)).fetchone()
                    assert (field != "function_body") or body.endswith(f"RETURN NEW; -- {payload}\nEND;\n"), body
                    assert (field != "search_path") or len(config) == 1, config
                    args, = conn.execute("SELECT encode(tgargs, 'hex') FROM pg_trigger t JOIN pg_class c "
                                         "ON c.oid = t.tgrelid WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal",
                                         (schema,)).fetchone()
                    first = bytes.fromhex(args).split(b"\0")[0].decode()
                    assert (field != "trigger_arg") or first == payload, (args, payload, mode)
                    if field == "view_query_literal":  # the literal arrived intact in the view's query
                        assert conn.execute("SELECT count(*) FROM pg_class WHERE relkind = 'v' AND "
                                            "relnamespace = %s::regnamespace", (schema,)).fetchone()[0] == 1
                    # the materialized view exists, empty (WITH NO DATA: never filled by a script)
                    assert conn.execute("SELECT count(*) FROM pg_class WHERE relkind = 'm' AND NOT relispopulated "
                                        "AND relnamespace = %s::regnamespace", (schema,)).fetchone()[0] == 1
                    if field == "matview_query_literal":  # the literal arrived intact: refresh, read it back
                        mv = next(v for v in load_spec(spec).schema.views if v.materialized)
                        conn.execute(psql_sql.SQL("REFRESH MATERIALIZED VIEW {}.{}").format(
                            psql_sql.Identifier(mv.schema), psql_sql.Identifier(mv.name)))
                        got = conn.execute(psql_sql.SQL("SELECT {} FROM {}.{}").format(
                            psql_sql.Identifier("c"), psql_sql.Identifier(mv.schema),
                            psql_sql.Identifier(mv.name))).fetchone()[0]
                        assert got == payload, (mode, scs, got)

                _reset(pg, db, schema)
    finally:
        pg.drop_database(db)


def _prepare_role(pg, db: str, role: str) -> None:
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(psql_sql.SQL("CREATE ROLE {}").format(psql_sql.Identifier(role)))


def _apply_spec(spec: Path, dsn: str):
    return run_cli("apply", str(spec), "--db", dsn, "--yes")


@pytest.mark.parametrize("scs", ["on", "off"])
def test_apply_and_plan_scripts_keep_the_canary_on_an_existing_table(pg, tmp_path, scs):
    """Payloads in what a plan adds to an existing table (a comment changed, an enum
    value, a column with a default and a check, an index predicate): through apply,
    and through `plan --format sql` and `--write-migration` run as one query."""
    base = write_spec(tmp_path / "base", spec_files())
    for i, payload in enumerate(RUN_PAYLOADS[:5]):
        files = spec_files()
        table = json.loads(files["tables/t.yaml"])
        root = json.loads(files["schemadiff.yaml"])
        table["comment"] = payload
        table["columns"]["extra"] = {"type": "text", "default": "'" + payload.replace("'", "''") + "'",
                                     "comment": payload}
        table["indexes"]["t_extra_idx"] = {"columns": ["extra"],
                                           "where": "extra <> '" + payload.replace("'", "''") + "'",
                                           "comment": payload}
        root["enums"]["mood"]["values"].append(payload)
        for key in ("unique", "checks", "foreign_keys"):  # changed comments on existing constraints
            table[key][0]["comment"] = payload
        table["checks"].append({"expression": "extra <> ''", "name": "t_extra_check", "comment": payload})  # new
        table["rls"]["policies"]["p_read"]["comment"] = payload
        table["triggers"]["t_touch"]["comment"] = payload
        head = write_spec(tmp_path / f"head{i}", {"schemadiff.yaml": json.dumps(root) + "\n",
                                                  "tables/t.yaml": json.dumps(table) + "\n",
                                                  "functions/touch.yaml": files["functions/touch.yaml"],
                                                  "views/t_view.yaml": files["views/t_view.yaml"]})
        for mode in ("apply", "plan-sql", "migration"):
            db = pg.create_database()
            try:
                _prepare(pg, db, scs, "reader")
                assert _apply_spec(base, pg.dsn(db)).code == 0
                if mode == "apply":
                    r = _apply_spec(head, pg.dsn(db))
                    assert r.code == 0, (payload, r)
                else:
                    if mode == "plan-sql":
                        r = run_cli("plan", str(head), "--db", pg.dsn(db), "--format", "sql")
                        assert r.code == 0, r
                        scripts = [r.out]
                    else:
                        out = tmp_path / f"migrations{i}{scs}"
                        out.mkdir(exist_ok=True)
                        r = run_cli("plan", str(head), "--db", pg.dsn(db), "--write-migration", str(out),
                                    "--name", "attack", "--convention", "golang-migrate")
                        assert r.code == 0, r
                        ups = sorted(out.glob("*.up.sql"))
                        scripts = [p.read_text(encoding="utf-8") for p in ups]
                    for script in scripts:
                        for stmt in _runner_statements(script):
                            assert _run_as_runner(pg, db, stmt) is None, stmt
                rows, victim, _ = _state(pg, db)
                assert rows == 5 and victim, (payload, mode, scs)
                with psycopg.connect(pg.dsn(db)) as conn:
                    comment = conn.execute("SELECT obj_description('app.t'::regclass, 'pg_class')").fetchone()[0]
                    default = conn.execute("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef d JOIN pg_attribute a "
                                           "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                                           "WHERE a.attname = 'extra'").fetchone()[0]
                    labels = [t for (t,) in conn.execute("SELECT enumlabel::text FROM pg_enum ORDER BY enumsortorder")]
                    value = conn.execute("SELECT " + default).fetchone()[0]
                    members = conn.execute(
                        "SELECT array_agg(obj_description(oid, 'pg_constraint') ORDER BY conname) FROM pg_constraint "
                        "WHERE conrelid = 'app.t'::regclass AND contype IN ('u', 'c', 'f') AND conname <> 't_c_check' "
                        "UNION ALL SELECT array_agg(obj_description(oid, 'pg_policy')) FROM pg_policy "
                        "WHERE polrelid = 'app.t'::regclass UNION ALL SELECT array_agg(obj_description(oid, "
                        "'pg_trigger')) FROM pg_trigger WHERE tgrelid = 'app.t'::regclass AND NOT tgisinternal").fetchall()
                assert comment == payload and value == payload and labels[-1] == payload, (mode, scs, comment, value)
                assert [m for (texts,) in members for m in texts] == [payload] * 6, (mode, scs, members)
            finally:
                pg.drop_database(db)


# -- property: arbitrary strings in every field ---------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_FRAGMENTS = ["'", "''", "\\", "\\'", "$$", "$a$", ";", "--", "/*", "*/", "\n", "\r", "\x00", "\x1b", "E'", "U&'",
              "(", ")", '"', "::", " ", "DROP TABLE public.canary", "x", "\u202e", "\u2028", "é", "%", "&"]
_TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=24),
    st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=8).map("".join),
    st.sampled_from(PAYLOADS),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=_TEXT)  # spec_files reads "" as "unset": no empty strings
def test_any_string_in_any_field_is_refused_with_its_line_or_compiles_to_the_intended_statements(
        tmp_path_factory, field, value):
    tmp = tmp_path_factory.mktemp("prop")
    if field == "extension_schema" and value == "app":
        value = "ext"  # the spec's own schema: one CREATE SCHEMA fewer than the baseline's new schema
    _, r = _compile(tmp, field, value)
    if r.code != 0:
        _assert_clean_error(r)
        return
    assert _kinds(r.out) == _baseline(tmp_path_factory.mktemp("base"), field), (field, value, r.out)
    assert literal_problem(r.out) is None, r.out
    for line in r.out.splitlines():
        assert not line.startswith("::") and "\r" not in line and "\x1b" not in line and "\x00" not in line, line


# -- the attacks of the issue, one by one -------------------------------------------

def _one_table(tmp_path: Path, table_yaml: str, root: str = "version: 1\n") -> Path:
    return write_spec(tmp_path / "spec", {"schemadiff.yaml": root, "tables/t.yaml": table_yaml})


@pytest.mark.parametrize("command", ["validate", "sql", "plan", "check"])
def test_an_opclass_that_closes_the_statement_is_refused_by_every_command(tmp_path, command):
    spec = _one_table(tmp_path, "table: t\ncolumns:\n  c: text\nindexes:\n  ix: {columns: [{column: c, opclass: "
                                "\"text_pattern_ops); DROP TABLE canary; CREATE INDEX ix2 ON public.t (c\"}]}\n")
    extra = {"plan": ["--format", "sql"], "check": ["--base", str(tmp_path / "base")]}.get(command, [])
    (tmp_path / "base").mkdir()
    r = run_cli(command, str(spec), *extra)
    _assert_clean_error(r)
    assert "tables/t.yaml:5:" in r.err and "is not an operator class name" in r.err, r.err
    assert "DROP TABLE" not in r.out


def test_an_extension_operator_class_must_be_qualified(tmp_path):
    spec = _one_table(tmp_path, "table: t\ncolumns:\n  c: text\nindexes:\n"
                                "  ix: {method: gin, columns: [{column: c, opclass: gin_trgm_ops}]}\n")
    r = run_cli("validate", str(spec))
    _assert_clean_error(r)
    assert "public.gin_trgm_ops" in r.err, r.err
    qualified = _one_table(tmp_path / "q", "table: t\ncolumns:\n  c: text\nindexes:\n"
                                           "  ix: {method: gin, columns: [{column: c, opclass: public.gin_trgm_ops}]}\n")
    r = run_cli("sql", str(qualified))
    assert r.code == 0 and "USING gin (c public.gin_trgm_ops)" in r.out, r


@pytest.mark.parametrize("default, message", [
    ("1 IS NOT NULL", "does not take this expression after DEFAULT"),
    ("1 IN (1, 2)", "does not take this expression after DEFAULT"),
])
def test_a_default_must_stand_after_default(tmp_path, default, message):
    spec = _one_table(tmp_path, f"table: t\ncolumns:\n  c: {{type: boolean, default: \"{default}\"}}\n")
    r = run_cli("validate", str(spec))
    _assert_clean_error(r)
    assert "tables/t.yaml:3:" in r.err and message in r.err, r.err


@pytest.mark.parametrize("where", ["comment", "collation", "role", "constraint", "opclass", "extension"])
def test_a_nul_character_is_a_load_error_shown_escaped(tmp_path, where):
    nul = "x\\0y"  # YAML's escape for NUL, inside a double-quoted scalar
    table = {"comment": f"table: t\ncomment: \"{nul}\"\ncolumns:\n  c: text\n",
             "collation": f"table: t\ncolumns:\n  c: {{type: text, collation: \"{nul}\"}}\n",
             "role": f"table: t\ncolumns:\n  c: text\nrls: {{policies: {{p: {{to: [\"{nul}\"], using: \"true\"}}}}}}\n",
             "constraint": f"table: t\ncolumns:\n  c: integer\nchecks:\n  - {{name: \"{nul}\", expression: c > 0}}\n",
             "opclass": f"table: t\ncolumns:\n  c: text\nindexes:\n  ix: [{{column: c, opclass: \"{nul}\"}}]\n",
             "extension": "table: t\ncolumns:\n  c: text\n"}[where]
    root = f"version: 1\nextensions: [\"{nul}\"]\n" if where == "extension" else "version: 1\n"
    r = run_cli("validate", str(_one_table(tmp_path, table, root)))
    _assert_clean_error(r)
    assert "\x00" not in r.err and ("NUL" in r.err or "\\x00" in r.err), r.err


def test_warnings_and_errors_cannot_start_a_workflow_command(tmp_path):
    """A name may hold `::` (PostgreSQL allows it) but no line break; an expression may
    hold line breaks, and every message that quotes it keeps it on one line."""
    # The hint quotes the default, whose second line would begin with `::`.
    spec = _one_table(tmp_path, "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"
                                "  c: {type: boolean, default: \"'a'\\n::text IS NOT NULL\"}\n")
    r = run_cli("validate", str(spec))
    assert r.code == 1, r
    assert not any(line.startswith("::") for line in (r.out + r.err).splitlines()), r.err
    assert "⏎" in r.err, r.err
    spec = _one_table(tmp_path / "w", "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"
                                      "indexes:\n  \"::stop-commands::tok\": [id]\n")
    r = run_cli("validate", str(spec))
    assert r.code == 0 and "repeats the index" in r.err, r
    assert all(line.startswith(("/", "    hint:", str(tmp_path))) for line in r.err.splitlines()), r.err


# -- plan reads the database: its probes and catalog reads under hostile settings ------

# One expression as PostgreSQL reads it with the setting on ('a\' is a string holding a
# backslash, then a second string); with it off, the first string ends where the second
# began, the probe statement ends at `;`, and the second string's text runs as SQL.
def _splitting(close: str) -> str:
    return "c <> 'a\\' || '" + close + "; DELETE FROM public.canary; COMMIT; --'"


@pytest.mark.parametrize("what", ["check", "default", "where", "using"])
def test_plan_probes_on_a_database_with_standard_conforming_strings_off(pg, db, tmp_path, what):
    """`plan` asks the server whether a changed expression is the same as the stored one
    (convergence): the spec's text goes into probe statements on the user's database.
    They are written like the compiler's, on a session pinned to the standard setting."""
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute("CREATE TABLE public.t (c text DEFAULT 'x', CONSTRAINT t_c_check CHECK (c <> 'x'))")
        conn.execute("CREATE INDEX t_c_idx ON public.t (c) WHERE c <> 'x'")
        conn.execute("ALTER TABLE public.t ENABLE ROW LEVEL SECURITY")
        conn.execute("CREATE POLICY p ON public.t USING (c <> 'x')")
        conn.execute(psql_sql.SQL("ALTER DATABASE {} SET standard_conforming_strings = off").format(
            psql_sql.Identifier(db)))
    expr = {"check": _splitting(")"), "default": "'a\\' || '; DELETE FROM public.canary; COMMIT; --'",
            "where": _splitting(""), "using": _splitting(")")}[what]
    col = {"type": "text", "default": expr if what == "default" else "'x'",
           "check": expr if what == "check" else "c <> 'x'"}
    table = {"table": "t", "columns": {"c": col},
             "indexes": {"t_c_idx": {"columns": ["c"], "where": expr if what == "where" else "c <> 'x'"}},
             "rls": {"policies": {"p": {"using": expr if what == "using" else "c <> 'x'"}}}}
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\n", "tables/t.yaml": json.dumps(table)})
    r = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "json")
    assert r.code in (0, 3), r
    rows, victim, _ = _state(pg, db)
    assert rows == 5 and victim, r


def test_plan_and_import_never_call_a_look_alike_function_first_on_search_path(pg, db, tmp_path):
    """A database whose search_path puts another schema before pg_catalog: every name
    schemadiff uses resolves in pg_catalog all the same (the session is pinned with
    schema-qualified calls before anything else)."""
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute("CREATE SCHEMA evil; CREATE TABLE public.t (c text CHECK (c <> 'x')); "
                     "CREATE SEQUENCE public.calls")  # nextval is never rolled back: it counts the calls
        for fn, args, returns in [("set_config", "text, text, boolean", "text"), ("pg_get_expr", "pg_node_tree, oid",
                                                                                  "text"),
                                  ("format_type", "oid, integer", "text"), ("quote_ident", "text", "text")]:
            conn.execute(f"CREATE FUNCTION evil.{fn}({args}) RETURNS {returns} LANGUAGE plpgsql AS "
                         "$$ BEGIN PERFORM pg_catalog.nextval('public.calls'); DELETE FROM public.canary; "
                         "RETURN NULL; END $$")
        conn.execute(psql_sql.SQL("ALTER DATABASE {} SET search_path = evil, pg_catalog, public").format(
            psql_sql.Identifier(db)))
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\n",
                                          "tables/t.yaml": "table: t\ncolumns:\n  c: {type: text, check: \"c <> 'y'\"}\n"})
    r = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert r.code in (0, 3) and "Traceback" not in r.err, r
    r = run_cli("import", "--db", pg.dsn(db), "--out", str(tmp_path / "imported"))
    assert r.code == 0, r
    rows, victim, _ = _state(pg, db)
    assert rows == 5 and victim
    with psycopg.connect(pg.dsn(db)) as conn:
        assert conn.execute("SELECT is_called FROM public.calls").fetchone()[0] is False, "a look-alike ran"


@pytest.mark.parametrize("payload", [RUN_PAYLOADS[1], RUN_PAYLOADS[4], RUN_PAYLOADS[7]], ids=["p1", "p4", "p7"])
def test_check_prove_runs_hostile_text_as_data(tmp_path, payload):
    """`check --prove` builds the base, runs the approved migration and compares it with
    the head built fresh: a payload in a new table's names, comments and literals is
    created exactly as written, and the proof holds."""
    base = write_spec(tmp_path / "base", spec_files())
    files = spec_files()
    table = json.loads(files["tables/t.yaml"])
    table["table"] = "t2"
    table["comment"] = payload
    table["columns"]["c"]["comment"] = payload
    table["columns"]["c"]["default"] = "'" + payload.replace("'", "''") + "'"
    table["foreign_keys"][0]["references"] = "app.t2(id)"
    table["unique"][0]["name"] = "t2_n_key"
    table["checks"][0]["name"] = payload[:60]
    table["indexes"] = {payload[:60]: table["indexes"]["t_c_idx"]}
    table["rls"]["policies"] = {payload[:60]: table["rls"]["policies"]["p_read"]}
    head = write_spec(tmp_path / "head", {**files, "tables/t2.yaml": json.dumps(table) + "\n"})
    r = run_cli("check", str(head), "--base-dir", str(base), "--prove")
    assert r.code == 0, r
    assert "schemadiff: proved" in r.err, r.err
