"""Canonical type text: what PostgreSQL's ``format_type()`` prints.

A spec may say ``varchar(255)``, ``int``, ``timestamptz`` or ``decimal(12,2)``;
the catalog says ``character varying(255)``, ``integer``,
``timestamp with time zone`` and ``numeric(12,2)``. The type text is parsed
with PostgreSQL's own grammar (pglast), then printed the way ``format_type``
prints it, so a spec and an introspected database compare like with like.

User-defined types (enums, extension types) are resolved by the caller, which
knows the spec's names; this module answers for built-in types only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pglast import parse_sql
from pglast.parser import ParseError

from .identifiers import make_object_name, quote_ident, quote_literal, quote_qualified


class TypeError_(ValueError):
    """A type the spec language cannot express (message says why)."""


# pg_catalog internal names -> (display name, how typmods print)
_BUILTIN_INTERNAL = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
}

# Types format_type() prints under their own name, no modifiers allowed.
_PLAIN = frozenset(
    """
    text uuid json jsonb xml bytea date money inet cidr macaddr macaddr8
    tsvector tsquery oid regclass regtype regproc regprocedure point line lseg
    box path polygon circle int4range int8range numrange tsrange tstzrange
    daterange int4multirange int8multirange nummultirange tsmultirange
    tstzmultirange datemultirange pg_lsn txid_snapshot pg_snapshot jsonpath name
    """.split()
)

_SERIALS = {"serial": "integer", "serial4": "integer", "bigserial": "bigint",
            "serial8": "bigint", "smallserial": "smallint", "serial2": "smallint"}

# Interval field masks (typmod bits, src/include/utils/datetime.h) as printed.
_INTERVAL_FIELDS = {
    1 << 2: "year", 1 << 1: "month", 1 << 3: "day", 1 << 10: "hour",
    1 << 11: "minute", 1 << 12: "second",
    (1 << 2) | (1 << 1): "year to month",
    (1 << 3) | (1 << 10): "day to hour",
    (1 << 3) | (1 << 10) | (1 << 11): "day to minute",
    (1 << 3) | (1 << 10) | (1 << 11) | (1 << 12): "day to second",
    (1 << 10) | (1 << 11): "hour to minute",
    (1 << 10) | (1 << 11) | (1 << 12): "hour to second",
    (1 << 11) | (1 << 12): "minute to second",
}
_INTERVAL_FULL_RANGE = 0x7FFF


@dataclass(frozen=True)
class ParsedType:
    """A type name as the grammar read it: ``names`` folded as SQL folds them."""

    names: tuple[str, ...]
    typmods: tuple[int, ...]
    array: bool


def parse_type(text: str) -> ParsedType:
    """Parse ``text`` as exactly one SQL type name."""
    if not text or not text.strip():
        raise TypeError_("the type is empty")
    if ";" in text or "--" in text or "/*" in text:
        raise TypeError_(f"{text!r} is not a type name")
    try:
        stmts = parse_sql(f"SELECT NULL::{text}")
    except ParseError as exc:
        raise TypeError_(f"{text!r} is not a type name ({exc})") from None
    stmt = stmts[0].stmt if len(stmts) == 1 else None
    target = stmt.targetList if stmt is not None and stmt.targetList else ()
    if (
        stmt is None
        or len(target) != 1
        or stmt.fromClause
        or stmt.whereClause
        or type(target[0].val).__name__ != "TypeCast"
    ):
        raise TypeError_(f"{text!r} is not a type name")
    type_name = target[0].val.typeName
    if type_name.setof:  # only a function's result may be a set, and the spec has none
        raise TypeError_(f"{text!r}: SETOF is not a type (a set-returning function is not in the spec language)")
    typmods: list[int] = []
    for mod in type_name.typmods or ():
        val = getattr(mod, "val", None)
        ival = getattr(val, "ival", None)
        if ival is None:
            raise TypeError_(f"{text!r}: type modifiers must be integers")
        typmods.append(int(ival))
    return ParsedType(
        names=tuple(n.sval for n in type_name.names),
        typmods=tuple(typmods),
        array=bool(type_name.arrayBounds),
    )


def _mods(typmods: tuple[int, ...]) -> str:
    return "(" + ",".join(str(m) for m in typmods) + ")" if typmods else ""


def _within(text: str, display: str, what: str, value: int, low: int, high: int) -> None:
    """PostgreSQL's bounds for a type modifier (it rejects the rest, or, for a
    time precision above 6, stores 6)."""
    if not low <= value <= high:
        raise TypeError_(f"{text!r}: the {what} of {display} must be between {low} and {high}")


def _builtin(parsed: ParsedType, text: str) -> str | None:
    """format_type() text for a built-in type, or None if not built-in."""
    names = parsed.names
    if len(names) == 2 and names[0] == "pg_catalog":
        internal = names[1]
    elif len(names) == 1:
        internal = names[0]
    else:
        return None
    mods = parsed.typmods

    def no_mods(display: str) -> str:
        if mods:
            raise TypeError_(f"{text!r}: type {display} takes no modifier")
        return display

    if internal in _SERIALS:  # the plain name is read by serial_base; here with [] or a modifier
        raise TypeError_(f"{text!r}: a serial type takes no modifier and has no array form")
    if internal in _BUILTIN_INTERNAL:
        return no_mods(_BUILTIN_INTERNAL[internal])
    if internal in ("varchar", "bpchar"):
        display = "character varying" if internal == "varchar" else "character"
        if len(mods) > 1:
            raise TypeError_(f"{text!r}: {display} takes one length")
        if not mods:
            if internal == "varchar":
                return display
            return "bpchar" if len(names) == 1 else "character(1)"
        _within(text, display, "length", mods[0], 1, 10485760)
        return f"{display}({mods[0]})"
    if internal == "numeric":
        if mods:
            _within(text, "numeric", "precision", mods[0], 1, 1000)
        if len(mods) == 2:
            _within(text, "numeric", "scale", mods[1], -1000, 1000)
        if len(mods) == 1:
            return f"numeric({mods[0]},0)"
        if len(mods) == 2:
            return f"numeric({mods[0]},{mods[1]})"
        if mods:
            raise TypeError_(f"{text!r}: numeric takes a precision and a scale")
        return "numeric"
    if internal in ("timestamp", "timestamptz", "time", "timetz"):
        zone = "with time zone" if internal.endswith("tz") else "without time zone"
        base = internal.removesuffix("tz")
        if len(mods) > 1:
            raise TypeError_(f"{text!r}: {base} takes one precision")
        if mods:  # above 6 PostgreSQL warns and stores 6: the spec would never match its database
            _within(text, base, "precision", mods[0], 0, 6)
        precision = f"({mods[0]})" if mods else ""
        return f"{base}{precision} {zone}"
    if internal in ("bit", "varbit"):
        display = "bit varying" if internal == "varbit" else "bit"
        if len(mods) > 1:
            raise TypeError_(f"{text!r}: {display} takes one length")
        if not mods:
            return display if internal == "varbit" or len(names) == 1 else "bit(1)"
        _within(text, display, "length", mods[0], 1, 83886080)
        return f"{display}({mods[0]})"
    if internal == "interval":
        if not mods:
            return "interval"
        fields = mods[0]
        precision = mods[1] if len(mods) > 1 else None
        out = "interval"
        if fields != _INTERVAL_FULL_RANGE:
            if fields not in _INTERVAL_FIELDS:
                raise TypeError_(f"{text!r}: unsupported interval fields")
            out += " " + _INTERVAL_FIELDS[fields]
        if precision is not None:
            out += f"({precision})"
        return out
    if internal == "char":  # the one-byte internal type, only ever written quoted (unquoted char is bpchar)
        return no_mods('"char"')
    if internal in _PLAIN:
        return no_mods(internal)
    return None


@lru_cache(maxsize=16384)
def canonical_builtin_type(text: str) -> tuple[str | None, ParsedType]:
    """(format_type text or None when the name is not built in, the parse);
    cached: a schema names the same few types over and over."""
    parsed = parse_type(text)
    base = _builtin(parsed, text)
    if base is not None and parsed.array:
        base += "[]"
    return base, parsed


def qualified_type_text(schema: str, name: str, array: bool = False, typmods: tuple[int, ...] = ()) -> str:
    """How format_type() prints a type outside ``search_path``: the modifiers
    (integers, as the grammar read them) follow the name, ``[]`` follows them."""
    return f"{quote_ident(schema)}.{quote_ident(name)}" + _mods(typmods) + ("[]" if array else "")


def strip_outer_parens(text: str) -> str:
    """``(a > 0)`` -> ``a > 0``: drop parentheses that wrap the whole text
    (the server prints check, predicate and policy expressions that way).
    String literals and quoted identifiers are skipped while matching."""
    while text.startswith("(") and text.endswith(")") and _closing_paren(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


# Quoted text (a doubled quote inside it is part of it; one never closed runs to the end)
# and parentheses: the only tokens _closing_paren looks at, found in C rather than by a
# loop per character (the catalog read strips every check, predicate and policy text).
_PAREN_TOKENS = re.compile(r"'(?:[^']|'')*'?|\"(?:[^\"]|\"\")*\"?|[()]")


def _closing_paren(text: str) -> int:
    """The index of the parenthesis that closes the first one opened, or -1."""
    depth = 0
    for m in _PAREN_TOKENS.finditer(text):
        token = m.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            if depth == 0:
                return m.start()
    return -1


@lru_cache(maxsize=16384)
def serial_base(text: str) -> str | None:
    """The integer type of a serial type name (``serial`` -> ``integer``,
    ``bigserial``/``serial8`` -> ``bigint``, ``smallserial``/``serial2`` ->
    ``smallint``), or None: anything else, including ``serial[]``. Cached, and
    only a text that can spell one is parsed (every column's type is asked)."""
    if "serial" not in text.lower():
        return None
    try:
        parsed = parse_type(text)
    except TypeError_:
        return None
    if len(parsed.names) == 1 and not parsed.array and not parsed.typmods:
        return _SERIALS.get(parsed.names[0])
    return None


def serial_sequence(table: str, column: str) -> str:
    """The sequence ``CREATE TABLE … serial`` names for a column when the name is
    free: PostgreSQL's ``ChooseRelationName(table, column, "seq")``."""
    return make_object_name(table, column, "seq")


def serial_default(schema: str, table: str, column: str) -> str:
    """A serial column's default as the server prints it with ``search_path =
    pg_catalog``: ``nextval('public."User_id_seq"'::regclass)``."""
    return f"nextval({quote_literal(quote_qualified(schema, serial_sequence(table, column)))}::regclass)"
