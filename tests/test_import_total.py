"""Property: any database PostgreSQL accepts, within scope, imports to a spec that
loads with no error and plans to nothing against the database it came from.

The databases are written as people write DDL (not by our compiler): random
tables with varchar(n), numeric(p,s), arrays, timestamptz(3), enums, defaults
(``NULL::varchar`` included), NOT NULL, zero columns, UNLOGGED, storage
parameters on tables (their TOAST tables too), indexes and keys, primary keys, unique
and check constraints, one- and two-column foreign keys with every ON DELETE
action (``SET NULL`` on a NOT NULL column included), partial, expression,
descending, INCLUDE and gin/brin indexes, comments, domain-typed columns;
standalone sequences (every option, ascending and descending, owned and unowned,
commented, UNLOGGED, a column's ``nextval`` default), serial columns, and serial
columns whose sequence is no longer exactly serial's (the table renamed but the
sequence not, the column renamed, the increment or another option altered, the
default dropped, the column nullable, the sequence commented or owning a second).
"""

from __future__ import annotations

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s

from schemadiff.identifiers import quote_ident, quote_literal
from schemadiff.spec import load_spec

from .conftest import run_cli
from .pg import EMPTY_PUBLIC

# type -> (defaults a person writes, toastable, btree-able)
TYPES = {
    "integer": (["0", "42", "-1"], False),
    "bigint": (["0", "7"], False),
    "smallint": (["1"], False),
    "text": (["''", "'x''y'", "NULL::character varying", "'a'::text"], True),
    "varchar(20)": (["'a'", "NULL::varchar", "''::character varying"], True),
    "character varying(255)": (["'b'"], True),
    "numeric(12,2)": (["0", "1.50"], True),
    "numeric": (["0"], True),
    "boolean": (["true", "false"], False),
    "timestamptz(3)": (["now()", "CURRENT_TIMESTAMP"], False),
    "timestamp(3)": (["CURRENT_TIMESTAMP"], False),
    "date": (["CURRENT_DATE"], False),
    "uuid": (["gen_random_uuid()"], False),
    "jsonb": (["'{}'::jsonb", "'[]'"], True),
    "text[]": (["'{}'", "ARRAY[]::text[]"], True),
    "integer[]": (["'{1,2}'"], True),
    "varchar(20)[]": (["'{}'"], True),
}
NAMES = ["id", "name", "Order", "created at", "x", "Kind", "total", "tags", "note", "a_b"]
TABLE_NAMES = ["t", "Orders", "line item", "users", "TAG", "q"]
ACTIONS = ["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]
COMMENTS = ["a comment", "it's quoted", "back\\slash", "line\nbreak"]
TABLE_STORAGE = [("fillfactor", s.integers(10, 100)), ("autovacuum_enabled", s.booleans()),
                 ("autovacuum_vacuum_scale_factor", s.sampled_from([0.0, 0.05, 0.2, 1.5])),
                 ("log_autovacuum_min_duration", s.integers(-1, 1000)),
                 ("vacuum_index_cleanup", s.sampled_from(["auto", "on", "off", "true"])),
                 ("parallel_workers", s.integers(0, 8))]
TOAST_STORAGE = [("toast.autovacuum_enabled", s.booleans()), ("toast.vacuum_truncate", s.booleans())]
SERIALS = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}
SEQUENCE_NAMES = ["seq0", "Order Seq", "ids"]
# what turns a serial column's sequence into an explicit one (a statement about table q, column c, sequence s)
UNSERIAL = ["ALTER SEQUENCE {s} INCREMENT BY 2", "ALTER SEQUENCE {s} CACHE 10", "ALTER SEQUENCE {s} CYCLE",
            "ALTER SEQUENCE {s} MAXVALUE 5000", "ALTER SEQUENCE {s} START WITH 7", "ALTER TABLE {q} RENAME COLUMN {c} TO \"sid 2\"",
            "ALTER TABLE {q} ALTER COLUMN {c} DROP DEFAULT", "ALTER TABLE {q} ALTER COLUMN {c} DROP NOT NULL",
            "COMMENT ON SEQUENCE {s} IS 'the ids'"]
INDEX_STORAGE = {"btree": [("fillfactor", s.integers(10, 100)), ("deduplicate_items", s.booleans())],
                 "gin": [("fastupdate", s.booleans()), ("gin_pending_list_limit", s.integers(64, 4096))],
                 "brin": [("pages_per_range", s.integers(1, 256)), ("autosummarize", s.booleans())]}


def _value(v) -> str:
    if isinstance(v, bool):
        return s_bool(v)
    if isinstance(v, str):
        return quote_literal(v)
    return str(v)


def s_bool(v: bool) -> str:
    return "on" if v else "off"


@s.composite
def _options(draw, choices) -> str:
    picked = draw(s.lists(s.sampled_from(range(len(choices))), unique=True, max_size=3))
    if not picked:
        return ""
    return " WITH (" + ", ".join(f"{choices[i][0]} = {_value(draw(choices[i][1]))}" for i in sorted(picked)) + ")"


@s.composite
def _sequence(draw, name: str) -> str:
    """CREATE SEQUENCE with options a person writes; always valid together."""
    parts = []
    kind = draw(s.sampled_from([None, "smallint", "integer", "bigint"]))
    if kind:
        parts.append(f"AS {kind}")
    increment = draw(s.sampled_from([None, 1, 3, -1, -2]))
    if increment is not None:
        parts.append(f"INCREMENT BY {increment}")
    if increment is not None and increment < 0:
        low, high = draw(s.sampled_from([None, -1000, -30000])), draw(s.sampled_from([None, -1, 0, 100]))
        start_range = (low or -30000, high if high is not None else -1)
    else:
        low, high = draw(s.sampled_from([None, 0, 1, 10, -5])), draw(s.sampled_from([None, 1000, 30000]))
        start_range = (low if low is not None else 1, high or 30000)
    parts += [f"MINVALUE {low}"] if low is not None else []
    parts += [f"MAXVALUE {high}"] if high is not None else []
    if draw(s.booleans()):
        parts.append(f"START WITH {draw(s.integers(*start_range))}")
    parts += draw(s.sampled_from([[], ["CACHE 1"], ["CACHE 20"]])) + draw(s.sampled_from([[], ["CYCLE"], ["NO CYCLE"]]))
    unlogged = "UNLOGGED " if draw(s.integers(0, 5)) == 0 else ""
    return f"CREATE {unlogged}SEQUENCE {quote_ident(name)} {' '.join(parts)}".rstrip()


@s.composite
def databases(draw) -> str:
    sql: list[str] = []
    sequences = draw(s.lists(s.sampled_from(SEQUENCE_NAMES), max_size=3, unique=True))
    sql += [draw(_sequence(name)) for name in sequences]
    later: list[str] = []  # after every table and OWNED BY: what makes a serial's sequence explicit
    renames: list[str] = []  # last of all
    enums = []
    for i in range(draw(s.integers(0, 2))):
        labels = draw(s.lists(s.sampled_from(["a", "b c", "it's", "Z", "ok"]), min_size=1, max_size=4, unique=True))
        name = f"mood{i}"
        enums.append((name, labels))
        sql.append(f"CREATE TYPE {name} AS ENUM ({', '.join(map(quote_literal, labels))})")
    types = dict(TYPES)
    if draw(s.booleans()):  # a domain: the column refers to it, the domain itself is listed, not imported
        sql.append("CREATE DOMAIN positive AS integer CHECK (VALUE > 0)")
        types["positive"] = (["1"], False)
    for name, labels in enums:
        types[name] = ([quote_literal(labels[0])], False)
    tables: list[tuple[str, list[tuple[str, str]], list[str] | None]] = []  # name, columns, pk columns
    for tname in draw(s.lists(s.sampled_from(TABLE_NAMES), min_size=1, max_size=4, unique=True)):
        q = quote_ident(tname)
        cols = [(c, draw(s.sampled_from(sorted(types)))) for c in
                draw(s.lists(s.sampled_from(NAMES), max_size=5, unique=True))]
        elements = []
        not_null = set()
        for cname, ctype in cols:
            text = f"{quote_ident(cname)} {ctype}"
            if draw(s.booleans()):
                text += " NOT NULL"
                not_null.add(cname)
            defaults = types[ctype][0] + ([f"nextval({quote_literal(quote_ident(n))})" for n in sequences]
                                          if ctype in ("integer", "bigint") else [])
            if draw(s.integers(0, 2)) == 0:
                text += f" DEFAULT {draw(s.sampled_from(defaults))}"
            elements.append(text)
        serial = draw(s.booleans())
        if serial:  # a serial column (sid is none of NAMES)
            kind = draw(s.sampled_from(sorted(SERIALS)))
            elements.insert(0, f"sid {kind}")
            cols.insert(0, ("sid", SERIALS[kind]))
        # a foreign key to an earlier table's primary key: new columns of the key's types
        targets = [t for t in tables if t[2]]
        if targets and draw(s.booleans()):
            target, tcols, tpk = draw(s.sampled_from(targets))
            fk_cols = [f"{target}_{c}"[:20] for c in tpk]
            if not any(c in dict(cols) for c in fk_cols) and len(set(fk_cols)) == len(fk_cols):
                kinds = dict(tcols)
                for fc, pc in zip(fk_cols, tpk):
                    nn = draw(s.booleans())
                    elements.append(f"{quote_ident(fc)} {kinds[pc]}" + (" NOT NULL" if nn else ""))
                    cols.append((fc, kinds[pc]))
                action = draw(s.sampled_from(ACTIONS))
                elements.append(f"FOREIGN KEY ({', '.join(map(quote_ident, fk_cols))}) REFERENCES "
                                f"{quote_ident(target)} ({', '.join(map(quote_ident, tpk))}) ON DELETE {action}"
                                + draw(s.sampled_from(["", " ON UPDATE CASCADE", " DEFERRABLE"])))
        keyable = [c for c, t in cols if t != "jsonb" or True]
        pk = None
        if keyable and draw(s.booleans()):
            pk = draw(s.lists(s.sampled_from(keyable), min_size=1, max_size=2, unique=True))
            elements.append(f"PRIMARY KEY ({', '.join(map(quote_ident, pk))})"
                            + draw(_options(INDEX_STORAGE["btree"])))
        if keyable and draw(s.booleans()):
            u = draw(s.lists(s.sampled_from(keyable), min_size=1, max_size=2, unique=True))
            if u != pk:
                elements.append(f"UNIQUE{draw(s.sampled_from(['', ' NULLS NOT DISTINCT']))} "
                                f"({', '.join(map(quote_ident, u))})" + draw(_options(INDEX_STORAGE["btree"]))
                                + draw(s.sampled_from(["", " DEFERRABLE", " DEFERRABLE INITIALLY DEFERRED"])))
        ints = [c for c, t in cols if t in ("integer", "bigint", "smallint", "numeric(12,2)")]
        texts = [c for c, t in cols if t in ("text", "varchar(20)", "character varying(255)")]
        if ints and draw(s.booleans()):
            elements.append(f"CHECK ({quote_ident(draw(s.sampled_from(ints)))} >= 0)")
        if texts and draw(s.booleans()):
            c = quote_ident(draw(s.sampled_from(texts)))
            elements.append(draw(s.sampled_from([f"CHECK ({c} IN ('a', 'b'))", f"CHECK ({c} <> '')",
                                                 f"CHECK (length({c}) < 100)"])))
        unlogged = draw(s.booleans()) and not any("REFERENCES" in e for e in elements)
        toastable = any(TYPES.get(t, ([], False))[1] for _, t in cols)
        options = draw(_options(TABLE_STORAGE + (TOAST_STORAGE if toastable else [])))
        sql.append(f"CREATE {'UNLOGGED ' if unlogged else ''}TABLE {q} ({', '.join(elements)}){options}")
        # an unlogged table cannot be referenced by a logged one: only logged ones are targets
        tables.append((tname, cols, pk if pk and not unlogged else None))
        if serial:  # perhaps made not exactly serial's (DROP NOT NULL not on a primary key)
            seq = quote_ident(f"{tname}_sid_seq")
            changes = [c for c in UNSERIAL if "NOT NULL" not in c or "sid" not in (pk or ())]
            for change in draw(s.lists(s.sampled_from(changes), max_size=2, unique=True)):
                (renames if "RENAME" in change else later).append(change.format(q=q, c="sid", s=seq))
            if draw(s.integers(0, 2)) == 0:  # renamed, as Prisma renames tables: the sequence keeps its name
                renames.append(f"ALTER TABLE {q} RENAME TO {quote_ident(tname + '_v2')}")
        for i in range(draw(s.integers(0, 2))):
            if not cols:
                break
            iname = quote_ident(f"{tname}_ix{i}")
            col, ctype = draw(s.sampled_from(cols))
            kind = draw(s.integers(0, 4))
            if ctype in ("jsonb", "text[]", "integer[]", "varchar(20)[]") and kind < 2:
                method, key, where = "gin", quote_ident(col), ""
            elif ctype in ("integer", "date", "timestamptz(3)") and kind == 2:
                method, key, where = "brin", quote_ident(col), ""
            elif texts and kind == 3:
                method, key, where = "btree", f"(lower({quote_ident(draw(s.sampled_from(texts)))}))", ""
            else:
                method, key = "btree", quote_ident(col) + draw(s.sampled_from(["", " DESC", " NULLS FIRST"]))
                where = draw(s.sampled_from(["", f" WHERE {quote_ident(col)} IS NOT NULL"]))
            options = draw(_options(INDEX_STORAGE[method]))
            include = ""
            if method == "btree" and len(cols) > 1 and draw(s.booleans()):
                other = next(c for c, _ in cols if c != col)
                include = f" INCLUDE ({quote_ident(other)})"
            sql.append(f"CREATE INDEX {iname} ON {q} USING {method} ({key}){include}{options}{where}")
            if draw(s.integers(0, 3)) == 0:
                sql.append(f"COMMENT ON INDEX {iname} IS {quote_literal(draw(s.sampled_from(COMMENTS)))}")
        if draw(s.integers(0, 2)) == 0:
            sql.append(f"COMMENT ON TABLE {q} IS {quote_literal(draw(s.sampled_from(COMMENTS)))}")
        if cols and draw(s.integers(0, 2)) == 0:
            c = quote_ident(draw(s.sampled_from(cols))[0])
            sql.append(f"COMMENT ON COLUMN {q}.{c} IS {quote_literal(draw(s.sampled_from(COMMENTS)))}")
    columns = [(quote_ident(tname), quote_ident(c)) for tname, cols, _ in tables for c, _ in cols]
    for name in sequences:
        if columns and draw(s.booleans()):
            table, column = draw(s.sampled_from(columns))
            sql.append(f"ALTER SEQUENCE {quote_ident(name)} OWNED BY {table}.{column}")
        if draw(s.integers(0, 2)) == 0:
            sql.append(f"COMMENT ON SEQUENCE {quote_ident(name)} IS {quote_literal(draw(s.sampled_from(COMMENTS)))}")
    return ";\n".join(sql + later + renames) + ";"


DROP_SEQUENCES = "".join(f"DROP SEQUENCE IF EXISTS {quote_ident(n)};" for n in SEQUENCE_NAMES)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(databases())
def test_any_database_imports_loads_and_plans_to_nothing(pg, db, tmp_path_factory, ddl):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(EMPTY_PUBLIC + "DROP DOMAIN IF EXISTS positive CASCADE;" + DROP_SEQUENCES)
        conn.execute(ddl)
    out = tmp_path_factory.mktemp("spec") / "out"
    imported = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert imported.code == 0, f"{ddl}\n{imported}"
    load_spec(out)  # loads with no error
    again = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, f"{ddl}\n{again}"
    if "SEQUENCE" in ddl or "serial" in ddl:  # the spec holds the sequences exactly: applied anew, the same ones
        fresh = pg.create_database()
        try:
            if "positive" in ddl:  # a domain is listed, not imported: the spec needs it to exist
                with psycopg.connect(pg.dsn(fresh), autocommit=True) as conn:
                    conn.execute("CREATE DOMAIN positive AS integer CHECK (VALUE > 0)")
            applied = run_cli("apply", str(out), "--db", pg.dsn(fresh), "--yes")
            assert applied.code == 0, f"{ddl}\n{applied}"
            assert _sequences(pg.dsn(fresh)) == _sequences(pg.dsn(db)), ddl
        finally:
            pg.drop_database(fresh)


SEQUENCES = """
SELECT s.relname, format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache,
       q.seqcycle, obj_description(s.oid, 'pg_class'),
       (SELECT t.relname || '.' || a.attname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
         WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'a' AND d.refobjsubid > 0),
       (SELECT array_agg(c.relname || '.' || a.attname || ' ' || pg_get_expr(ad.adbin, ad.adrelid)
                         ORDER BY c.relname, a.attname)
          FROM pg_depend d JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
          JOIN pg_class c ON c.oid = ad.adrelid JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ad.adnum
         WHERE d.refobjid = s.oid AND d.refclassid = 'pg_class'::regclass)
FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid JOIN pg_namespace n ON n.oid = s.relnamespace
WHERE n.nspname = 'public' ORDER BY 1
"""


def _sequences(dsn: str) -> list[tuple]:
    """Every sequence of public as the catalog has it: options, comment, owner, the defaults using it."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(SEQUENCES).fetchall()
