"""Can PostgreSQL implement this foreign key? Decided before ``apply``.

``ALTER TABLE … ADD FOREIGN KEY`` fails with "foreign key constraint … cannot be
implemented" when the referencing and the referenced column's types cannot be
compared by an equality operator of the referenced column's btree operator
class: PostgreSQL takes an operator of that operator family between the two
types, or else casts the referencing type *implicitly* to the referenced one.
Which pairs pass is a property of ``pg_amop`` and ``pg_cast``; this module
writes the built-in part of it down as a rule set:

* the same type (modifiers aside: ``varchar(20)`` may reference ``varchar(80)``);
* two types of one cross-type btree family: ``smallint``/``integer``/``bigint``;
  ``real``/``double precision``; ``text``/``varchar``/``char(n)``/``name``;
  ``date``/``timestamp``/``timestamptz``; ``inet``/``cidr``; ``bit``/``varbit``;
  but not ``name`` referencing ``char(n)``;
* an implicit cast from the referencing to the referenced type: an integer
  type to ``numeric``, ``real`` or ``double precision``; ``numeric`` to ``real``
  or ``double precision``; ``time`` to ``interval``;
* arrays: both arrays, of the same element type.

``tests/test_fk_apply_time.py`` holds the rule set to the server's verdict on
every pair of 29 types, on each PostgreSQL version the suite runs on.

An enum matches only itself. Types outside this list (extension types,
domains) are not judged: the server decides at apply. ``live_problems`` asks
the same of a table that exists only in the database (an ``external`` one),
and whether it has the referenced columns and a unique key on them.
"""

from __future__ import annotations

import re

from .model import ForeignKey, QualifiedName, Schema

_GROUPS = [
    {"smallint", "integer", "bigint"},
    {"real", "double precision"},
    {"text", "character varying", "character", "name"},
    {"date", "timestamp without time zone", "timestamp with time zone"},
    {"inet", "cidr"},
    {"bit", "bit varying"},
]
_IMPLICIT = {  # referencing type -> referenced types it is implicitly cast to
    "smallint": {"numeric", "real", "double precision"},
    "integer": {"numeric", "real", "double precision"},
    "bigint": {"numeric", "real", "double precision"},
    "numeric": {"real", "double precision"},
    "time without time zone": {"interval"},
}
# Pairs of one group that still fail: ``char(n)``'s operator class (bpchar_ops) has
# no operator with ``name``, and there is no implicit cast from ``name`` to it.
_EXCEPT = {("name", "character")}
_OTHER_BUILTINS = {"numeric", "uuid", "boolean", "bytea", "jsonb", "money", "oid", "interval",
                   "time without time zone", "time with time zone", "macaddr", "macaddr8", "pg_lsn", '"char"'}
KNOWN = set().union(*_GROUPS) | _OTHER_BUILTINS

_MODIFIER = re.compile(r"\([^()]*\)")


def _base(type_text: str) -> tuple[str, int]:
    """(the type without modifiers, array depth): ``character varying(20)[]`` -> (character varying, 1)."""
    text = type_text.strip()
    depth = 0
    while text.endswith("[]"):
        text, depth = text[:-2].rstrip(), depth + 1
    text = _MODIFIER.sub("", text).strip()
    text = re.sub(r"\s+", " ", text)
    return text, depth


def comparable(fk_type: str, pk_type: str, enums: set[str] = frozenset()) -> bool | None:
    """True / False when the rule set decides, None when it does not know the types."""
    a, da = _base(fk_type)
    b, db = _base(pk_type)
    if da != db or (da and a != b):  # arrays: of the same element type only (array_ops has no cross-type operator)
        return False if (a in KNOWN or a in enums) and (b in KNOWN or b in enums) else None
    if a == b:
        return True
    if a in enums or b in enums:
        return False if (a in KNOWN or a in enums) and (b in KNOWN or b in enums) else None
    if a not in KNOWN or b not in KNOWN:
        return None
    if any(a in g and b in g for g in _GROUPS):
        return (a, b) not in _EXCEPT
    return b in _IMPLICIT.get(a, ())


def type_problem(table: str, fk_column: str, fk_type: str, ref: str, pk_column: str, pk_type: str,
                 enums: set[str] = frozenset()) -> str | None:
    if comparable(fk_type, pk_type, enums) is not False:
        return None
    return (f"{table}.{fk_column} ({fk_type}) cannot reference {ref}.{pk_column} ({pk_type}): PostgreSQL has no "
            f"equality operator between {_base(fk_type)[0]} and {_base(pk_type)[0]}, so it cannot implement the "
            "foreign key")


_LIVE_SQL = """
SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typtype::text
  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
 WHERE a.attrelid = %(rel)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
"""
_KEYS_SQL = """
SELECT ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(i.indkey) k
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k)
  FROM pg_catalog.pg_index i
 WHERE i.indrelid = %(rel)s::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
   AND i.indisvalid
"""


def live_problems(conn, desired: Schema, current: Schema) -> list[tuple[QualifiedName, ForeignKey, str]]:
    """Foreign keys the plan adds whose referenced table is not the spec's (it exists
    only in the database): the table, its columns, a unique key on them, and the
    types, as the catalog says. Every name is qualified: search_path does not matter."""
    managed = {t.qualified for t in desired.tables}
    existing = {(t.qualified, k.name) for t in current.tables for k in t.foreign_keys}
    out: list[tuple[QualifiedName, ForeignKey, str]] = []
    cache: dict[QualifiedName, tuple | None] = {}
    for t in desired.tables:
        types = {c.name: c.type for c in t.columns}
        for fk in t.foreign_keys:
            ref = fk.ref_table
            if ref in managed or (t.qualified, fk.name) in existing:
                continue
            if ref not in cache:
                rel = f'"{ref.schema.replace(chr(34), chr(34) * 2)}"."{ref.name.replace(chr(34), chr(34) * 2)}"'
                exists = conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL", (rel,)).fetchone()[0]
                if not exists:
                    cache[ref] = None
                else:
                    cols = {r[0]: (r[1], r[2]) for r in conn.execute(_LIVE_SQL, {"rel": rel}).fetchall()}
                    keys = [set(r[0]) for r in conn.execute(_KEYS_SQL, {"rel": rel}).fetchall()]
                    cache[ref] = (cols, keys)
            found = cache[ref]
            if found is None:  # not here (a throwaway database, a development one): the target's apply decides
                continue
            cols, keys = found
            missing = [c for c in fk.ref_columns if c not in cols]
            if missing:
                out.append((t.qualified, fk, f"foreign key {fk.name} references {ref}({missing[0]}), a column "
                                             f"{ref} does not have in the database"))
                continue
            if set(fk.ref_columns) not in keys:
                out.append((t.qualified, fk, f"foreign key {fk.name}: {ref}({', '.join(fk.ref_columns)}) has no "
                                             "primary key or unique constraint in the database, which PostgreSQL "
                                             "requires of referenced columns"))
                continue
            enums = {cols[c][0] for c in fk.ref_columns if cols[c][1] == "e"}
            for mine, theirs in zip(fk.columns, fk.ref_columns):
                problem = type_problem(t.name, mine, types.get(mine, "?"), str(ref), theirs, cols[theirs][0], enums)
                if problem is not None:
                    out.append((t.qualified, fk, f"foreign key {fk.name}: {problem}"))
    return out
