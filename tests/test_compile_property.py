"""Property: any spec the loader accepts compiles to SQL that PostgreSQL runs,
creating exactly the objects the spec names (awkward names included)."""

from __future__ import annotations

import psycopg
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemadiff.apply import LiveCatalog
from schemadiff.compile import compile_schema, render_script
from schemadiff.guard import check_statements
from schemadiff.spec import load_spec

from .conftest import write_spec

# type spelling -> literal default values valid for it
TYPES = {
    "text": ["'x'", "''", "'it''s'"],
    "varchar(40)": ["'abc'"],
    "character(3)": ["'abc'"],
    "integer": [0, 42, -7],
    "bigint": [0, 9000000000],
    "smallint": [1],
    "numeric(12,2)": [0, 1.5],
    "double precision": [0.25],
    "boolean": [True, False],
    "uuid": ["gen_random_uuid()"],
    "timestamptz": ["now()", "CURRENT_TIMESTAMP"],
    "timestamp(3)": ["now()"],
    "date": ["CURRENT_DATE", "'2024-01-01'::date"],
    "time": ["'12:00'"],
    "interval": ["'1 day'::interval"],
    "jsonb": ["'{}'::jsonb", "'[]'"],
    "json": ["'{}'"],
    "text[]": ["'{}'::text[]", "ARRAY['a', 'b']"],
    "integer[]": ["'{1,2}'"],
    "inet": ["'127.0.0.1'"],
    "bytea": ["'\\x00'::bytea"],
    "bit varying(5)": ["B'101'"],
}
COMPARABLE = {"integer", "bigint", "smallint", "numeric(12,2)", "double precision"}

# Names that stress quoting: reserved words, mixed case, spaces, quotes, dots, unicode.
AWKWARD = ["order", "user", "select", "Lead", "customerId", "a b", 'q"t', "x.y", "über", "table", "group",
           "Name", "_x", "value", "timestamp", "desc", "ÄÖÜ", "check", "primary", "limit"]
plain = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)
names = st.one_of(plain, st.sampled_from(AWKWARD), plain.map(lambda s: s.capitalize()))


def _unique(draw, strategy, n, taken):
    out = []
    while len(out) < n:
        candidate = draw(strategy)
        if candidate.lower() not in taken:
            taken.add(candidate.lower())
            out.append(candidate)
    return out


def _spec_part(name: str) -> str:
    """A name as spec text: exact, double-quoted only when it holds a dot or a quote."""
    if "." in name or '"' in name or name != name.strip():
        return '"' + name.replace('"', '""') + '"'
    return name


def _spec_ref(table: dict) -> str:
    schema = table.get("schema", "public")
    return f"{_spec_part(schema)}.{_spec_part(table['table'])}"


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@st.composite
def specs(draw):
    taken_relations: set[str] = set()
    enum_labels = draw(st.lists(st.sampled_from(["no", "yes", "on", "off", "a b", "it's", "Ünï", "x", "y", "z"]),
                                min_size=1, max_size=4, unique=True))
    enums = {"Mood": enum_labels}
    tables = []
    n_tables = draw(st.integers(1, 3))
    for t_index, table_name in enumerate(_unique(draw, names, n_tables, taken_relations)):
        taken_cols: set[str] = {"id"}
        col_names = _unique(draw, names, draw(st.integers(1, 6)), taken_cols)
        id_kind = draw(st.sampled_from(["always", "by default", "bigserial"]))
        columns = {"id": {"type": "bigserial", "primary_key": True} if id_kind == "bigserial" else
                   {"type": "bigint", "primary_key": True, "identity": id_kind}}
        col_types = {}
        for col in col_names:
            spelling = draw(st.sampled_from(sorted(TYPES) + ["Mood"]))
            col_types[col] = spelling
            spec = {"type": spelling}
            if draw(st.booleans()):
                spec["nullable"] = False
            if spelling != "Mood" and draw(st.booleans()):
                spec["default"] = draw(st.sampled_from(TYPES[spelling]))
            if spelling in COMPARABLE and draw(st.booleans()):
                spec["check"] = f"{_sql_ident(col)} >= 0 OR {_sql_ident(col)} IS NULL"
            if draw(st.booleans()):
                spec["comment"] = draw(st.sampled_from(["it's a comment", "ünïcode ✓", "line\nbreak", "--not sql"]))
            columns[col] = spec
        table = {"table": table_name, "columns": columns}
        if tables and draw(st.booleans()):
            target = draw(st.sampled_from(tables))
            columns["parent_id"] = {"type": "bigint", "references": _spec_ref(target) + "(id)",
                                    "on_delete": draw(st.sampled_from(["cascade", "set null", "restrict", "no action"]))}
            col_names.append("parent_id")
            col_types["parent_id"] = "bigint"
        if len(col_names) >= 2 and draw(st.booleans()):
            keyable = [c for c in col_names if col_types[c] != "json"]
            if keyable:
                table["unique"] = [draw(st.lists(st.sampled_from(keyable), min_size=1, max_size=2, unique=True))]
        indexes = {}
        for ix_name in _unique(draw, names, draw(st.integers(0, 2)), taken_relations):
            keys = []
            for col in draw(st.lists(st.sampled_from(col_names), min_size=1, max_size=3, unique=True)):
                if col_types[col] == "json":  # no btree operator class (the loader refuses it)
                    continue
                if draw(st.booleans()):
                    keys.append({"column": col, "order": draw(st.sampled_from(["asc", "desc"])),
                                 "nulls": draw(st.sampled_from(["first", "last"]))})
                else:
                    keys.append(col)
            text_cols = [c for c in col_names if col_types[c] == "text"]
            if text_cols and draw(st.booleans()):
                keys.append({"expression": f"lower({_sql_ident(draw(st.sampled_from(text_cols)))})"})
            if not keys:
                continue
            ix = {"columns": keys}
            if draw(st.booleans()):
                ix["where"] = f"{_sql_ident(draw(st.sampled_from(col_names)))} IS NOT NULL"
            if draw(st.booleans()):
                ix["unique"] = True
            indexes[ix_name] = ix
        if indexes:
            table["indexes"] = indexes
        if draw(st.booleans()):
            table["rls"] = {"enabled": True, "forced": draw(st.booleans()), "policies": {
                draw(names): {"for": draw(st.sampled_from(["all", "select", "update"])), "using": "true"}}}
        if draw(st.booleans()):
            table["comment"] = "Table's comment"
        if draw(st.booleans()):
            table["schema"] = "Other Schema"
        tables.append(table)
    return enums, tables


def _write(tmp_path, enums, tables):
    files = {"schemadiff.yaml": yaml.safe_dump({"version": 1, "enums": enums}, allow_unicode=True)}
    for i, t in enumerate(tables):
        files[f"tables/{i}.yaml"] = yaml.safe_dump(t, allow_unicode=True, sort_keys=False)
    return write_spec(tmp_path, files)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(specs())
def test_generated_specs_compile_to_sql_postgres_runs(pg, db, tmp_path_factory, spec):
    enums, tables = spec
    spec_dir = _write(tmp_path_factory.mktemp("spec"), enums, tables)
    loaded = load_spec(spec_dir)
    statements = compile_schema(loaded.schema)
    script = render_script(statements)
    with psycopg.connect(pg.dsn(db)) as conn:
        try:
            # apply's final guard accepts every statement the compiler writes
            assert check_statements([s.sql for s in statements], LiveCatalog(conn)) == []
            conn.execute(script)
            # Every table, column and index exists under its exact name.
            for t in loaded.schema.tables:
                rows = conn.execute(
                    "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s "
                    "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum", (t.schema, t.name)).fetchall()
                assert [r[0] for r in rows] == [c.name for c in t.columns]
                idx = conn.execute(
                    "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_class r ON r.oid = i.indrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
                    "WHERE n.nspname = %s AND r.relname = %s", (t.schema, t.name)).fetchall()
                expected = {ix.name for ix in t.indexes} | {u.name for u in t.uniques}
                expected |= {t.primary_key.name} if t.primary_key else set()
                assert {r[0] for r in idx} == expected
                pols = conn.execute(
                    "SELECT policyname FROM pg_policies WHERE schemaname = %s AND tablename = %s",
                    (t.schema, t.name)).fetchall()
                assert {r[0] for r in pols} == {p.name for p in t.policies}
        finally:
            conn.rollback()
