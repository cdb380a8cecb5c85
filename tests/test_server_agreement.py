"""Canonical forms computed offline must be exactly what PostgreSQL itself
produces: generated constraint names (makeObjectName / ChooseConstraintName),
type text (format_type) and identifier quoting (quote_ident)."""

from __future__ import annotations

import psycopg
import pytest

from schemadiff.identifiers import choose_name, column_names_part, quote_ident
from schemadiff.normalize import canonical_builtin_type

TYPE_SPELLINGS = [
    "int", "int4", "integer", "int2", "smallint", "int8", "bigint", "bool", "boolean",
    "float", "float8", "double precision", "float4", "real", "float(10)", "float(40)",
    "varchar", "varchar(255)", "character varying(20)", "char", "char(3)", "character(10)", "bpchar",
    "text", "text[]", "int[]", "varchar(20)[]", "integer[][]",
    "numeric", "numeric(5)", "numeric(12,2)", "decimal(5,2)", "dec(3,1)",
    "timestamp", "timestamp(3)", "timestamptz", "timestamp with time zone", "timestamp(6) with time zone",
    "timestamp without time zone", "time", "time(2)", "timetz", "time with time zone", "date",
    "interval", "interval year to month", "interval day to second", "interval(3)", "interval hour",
    "bit", "bit(8)", "varbit", "bit varying(5)", "uuid", "json", "jsonb", "jsonb[]", "inet", "cidr",
    "macaddr", "bytea", "money", "xml", "tsvector", "tsquery", "point", "int4range", "tstzrange",
]


@pytest.fixture
def conn(pg, db):
    with psycopg.connect(pg.dsn(db), autocommit=True) as c:
        yield c


def test_type_text_is_format_type(conn):
    mismatches = []
    for i, spelling in enumerate(TYPE_SPELLINGS):
        ours, _ = canonical_builtin_type(spelling)
        conn.execute(f"CREATE TABLE t{i} (c {spelling})")
        (server,) = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'c'",
            (f"t{i}",),
        ).fetchone()
        if ours != server:
            mismatches.append((spelling, ours, server))
    assert mismatches == []


NAME_CASES = [
    ("orders", ["customer_id"]),
    ("a" * 60, ["b" * 60]),
    ("short", ["a_very_long_column_name_that_goes_on_and_on_and_on_and_on_forever"]),
    ("tbl", ["c1", "c2", "c3"]),
    ("t" * 40, [f"column_{i}_with_a_long_name" for i in range(5)]),
    ("Ünïcödé_täble_" + "é" * 20, ["çolumn_" + "ß" * 20]),
    ("Lead", ["customerId"]),
]


@pytest.mark.parametrize("table,columns", NAME_CASES)
def test_generated_constraint_names_match_postgres(conn, table, columns):
    qt = quote_ident(table)
    cols = [quote_ident(c) for c in columns]
    conn.execute("CREATE TABLE ref (x int PRIMARY KEY)")
    definition = ", ".join(f"{c} int" for c in cols)
    conn.execute(f"CREATE TABLE {qt} (id int, {definition}, PRIMARY KEY (id), UNIQUE ({', '.join(cols)}), "
                 f"CHECK ({cols[0]} > 0), CHECK ({' + '.join(cols)} > 0 OR {cols[0]} IS NULL), "
                 f"FOREIGN KEY ({cols[0]}) REFERENCES ref (x))")
    rows = conn.execute(
        "SELECT contype, conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p','u','c','f') "
        "ORDER BY oid", (qt,)).fetchall()
    server = {(t, n) for t, n in rows}
    taken: set[str] = {table}
    ours = set()
    for kind, name2, label in [("p", None, "pkey"), ("u", column_names_part(columns), "key"),
                               ("c", columns[0], "check"),
                               ("c", None if len(columns) > 1 else columns[0], "check"),
                               ("f", column_names_part(columns[:1]), "fkey")]:
        name = choose_name(table, name2, label, taken)
        taken.add(name)
        ours.add((kind, name))
    assert ours == server


@pytest.mark.parametrize("word", ["order", "user", "select", "Lead", "customerId", "a b", 'q"t', "über",
                                  "_ok", "ok$1", "1abc", "table", "name", "value", "type", "timestamp",
                                  "between", "authorization", "int", "left", "overlaps"])
def test_quote_ident_matches_server(conn, word):
    (server,) = conn.execute("SELECT quote_ident(%s)", (word,)).fetchone()
    assert quote_ident(word) == server
