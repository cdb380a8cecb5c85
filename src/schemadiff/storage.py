"""Storage parameters (``WITH (fillfactor = 80)``, ``pg_class.reloptions``): the allowlist.

One table of PostgreSQL's own storage parameters (``src/backend/access/common/
reloptions.c``), and the only place that knows them: the spec format builds its
typed fields from it, the introspector reads catalog text with it, the compiler
and the final guard accept exactly its keys. A key that is not here is not a
storage parameter schemadiff writes, whatever it says.

Each parameter has a type (int, real, bool, enum), a range, the relations it
applies to (``heap`` for a table, ``toast`` for a table's TOAST table, written
``toast.<name>``, or an index method) and the lock ``ALTER … SET`` takes on an
existing relation: PostgreSQL's own choice per parameter. ``online`` parameters
(SHARE UPDATE EXCLUSIVE) change catalog data only and apply to later writes,
vacuums or plans; the others take ACCESS EXCLUSIVE.

This module imports nothing of ours and renders no SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INT_MAX = 2**31 - 1

HEAP, TOAST = "heap", "toast"
INDEX_METHODS = ("btree", "hash", "gist", "gin", "spgist", "brin")


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # "int" | "real" | "bool" | "enum"
    kinds: frozenset[str]  # heap, toast, and/or index methods
    low: float | None = None
    high: float | None = None
    values: tuple[str, ...] = ()  # an enum's values
    online: bool = True  # ALTER … SET takes SHARE UPDATE EXCLUSIVE (else ACCESS EXCLUSIVE)
    rebuild: bool = False  # a value of the index's structure: only a rebuild applies a change
    since: int = 0  # the first PostgreSQL major version that has it (0: every supported one)


_HT = frozenset({HEAP, TOAST})
_H = frozenset({HEAP})


def _p(name, type_, kinds, low=None, high=None, **kw) -> Param:
    return Param(name, type_, frozenset(kinds), low, high, **kw)


PARAMS: tuple[Param, ...] = (
    # tables (and, where it says toast, their TOAST tables: toast.<name>)
    _p("fillfactor", "int", {HEAP, "btree", "hash", "gist", "spgist"}, 10, 100),
    _p("toast_tuple_target", "int", _H, 128, 8160),
    _p("parallel_workers", "int", _H, 0, 1024),
    _p("autovacuum_enabled", "bool", _HT),
    _p("vacuum_truncate", "bool", _HT),
    _p("vacuum_index_cleanup", "enum", _HT, values=("auto", "on", "off")),
    _p("autovacuum_vacuum_threshold", "int", _HT, 0, INT_MAX),
    _p("autovacuum_vacuum_max_threshold", "int", _HT, -1, INT_MAX, since=18),
    _p("autovacuum_vacuum_insert_threshold", "int", _HT, -1, INT_MAX),
    _p("autovacuum_analyze_threshold", "int", _H, 0, INT_MAX),
    _p("autovacuum_vacuum_cost_limit", "int", _HT, 1, 10000),
    _p("autovacuum_freeze_min_age", "int", _HT, 0, 1_000_000_000),
    _p("autovacuum_multixact_freeze_min_age", "int", _HT, 0, 1_000_000_000),
    _p("autovacuum_freeze_max_age", "int", _HT, 100_000, 2_000_000_000),
    _p("autovacuum_multixact_freeze_max_age", "int", _HT, 10_000, 2_000_000_000),
    _p("autovacuum_freeze_table_age", "int", _HT, 0, 2_000_000_000),
    _p("autovacuum_multixact_freeze_table_age", "int", _HT, 0, 2_000_000_000),
    _p("log_autovacuum_min_duration", "int", _HT, -1, INT_MAX),
    _p("autovacuum_vacuum_cost_delay", "real", _HT, 0.0, 100.0),
    _p("autovacuum_vacuum_scale_factor", "real", _HT, 0.0, 100.0),
    _p("autovacuum_vacuum_insert_scale_factor", "real", _HT, 0.0, 100.0),
    _p("autovacuum_analyze_scale_factor", "real", _H, 0.0, 100.0),
    _p("vacuum_max_eager_freeze_failure_rate", "real", _HT, 0.0, 1.0, since=18),
    _p("user_catalog_table", "bool", _H, online=False),
    # indexes, by access method
    _p("deduplicate_items", "bool", {"btree"}),
    _p("fastupdate", "bool", {"gin"}, online=False),
    _p("gin_pending_list_limit", "int", {"gin"}, 64, INT_MAX // 1024, online=False),
    _p("buffering", "enum", {"gist"}, values=("auto", "on", "off"), online=False, rebuild=True),
    _p("pages_per_range", "int", {"brin"}, 1, 131072, online=False, rebuild=True),
    _p("autosummarize", "bool", {"brin"}, online=False),
)

TOAST_PREFIX = "toast."

# Built-in types stored inline at a fixed length (typstorage 'p'): a table of only
# these has no TOAST table, and PostgreSQL discards its toast.* parameters.
FIXED_LENGTH_TYPES = frozenset({
    "smallint", "integer", "bigint", "boolean", "real", "double precision", "date", "uuid", "oid", "money",
    "time without time zone", "time with time zone", "timestamp without time zone", "timestamp with time zone",
    "interval", "macaddr", "macaddr8", "pg_lsn", "point", "line", "lseg", "box", "circle",
})


def fixed_length(type_text: str) -> bool:
    """A column of this (canonical) type never needs TOAST: ``timestamp(3) with time zone`` too."""
    import re

    return re.sub(r"\(\d+\)", "", type_text) in FIXED_LENGTH_TYPES


def _index(params) -> dict[tuple[str, str], Param]:
    out: dict[tuple[str, str], Param] = {}
    for p in params:
        for kind in sorted(p.kinds):
            key = (kind, p.name)
            if key in out:
                raise ValueError(f"storage parameter {p.name} listed twice for {kind}")
            out[key] = p
    return out


_BY_KIND = _index(PARAMS)


def keys_for(kind: str) -> list[str]:
    """The keys a relation of ``kind`` takes as the spec writes them: a table's
    (``kind`` heap) include its TOAST table's as ``toast.<name>``."""
    keys = [name for (k, name) in _BY_KIND if k == kind]
    if kind == HEAP:
        keys += [TOAST_PREFIX + name for (k, name) in _BY_KIND if k == TOAST]
    return sorted(keys)


TABLE_KEYS = tuple(keys_for(HEAP))
INDEX_KEYS = tuple(sorted({name for (k, name) in _BY_KIND if k in INDEX_METHODS}))


def param(kind: str, key: str) -> Param | None:
    """The parameter ``key`` (``toast.x`` for a table's TOAST table) of a relation of
    ``kind`` (heap or an index method), or None when it has none of that name."""
    if kind == HEAP and key.startswith(TOAST_PREFIX):
        return _BY_KIND.get((TOAST, key[len(TOAST_PREFIX):]))
    return _BY_KIND.get((kind, key))


class StorageError(ValueError):
    pass


Value = int | float | bool | str


def check_value(p: Param, value) -> Value:
    """A spec value as the model holds it (real parameters as float, enums as their
    lower-case word); StorageError, saying what is allowed, otherwise."""
    if p.type == "bool":
        if not isinstance(value, bool):
            raise StorageError(f"{p.name} is true or false, not {value!r}")
        return value
    if p.type == "enum":
        if isinstance(value, bool):  # YAML 1.1 readers turn a bare on/off into a boolean
            value = "on" if value else "off"
        if not isinstance(value, str) or value.lower() not in p.values:
            raise StorageError(f"{p.name} is one of {', '.join(p.values)}, not {value!r}")
        return value.lower()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StorageError(f"{p.name} is a number, not {value!r}")
    if p.type == "int":
        if isinstance(value, float):
            if not value.is_integer():
                raise StorageError(f"{p.name} is a whole number, not {value!r}")
            value = int(value)
    else:
        value = float(value)
        if not math.isfinite(value):
            raise StorageError(f"{p.name} is a finite number, not {value!r}")
    if (p.low is not None and value < p.low) or (p.high is not None and value > p.high):
        shown = lambda v: f"{v:g}" if isinstance(v, float) else str(v)  # noqa: E731
        raise StorageError(f"{p.name} is between {shown(p.low)} and {shown(p.high)}, not {value}")
    return value


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _parse_bool(text: str) -> bool | None:
    """PostgreSQL's parse_bool: true/false/yes/no (any prefix), on/off (two letters
    at least), 1/0, case-insensitive."""
    t = text.strip().lower()
    if not t:
        return None
    for word, value in (("true", True), ("false", False), ("yes", True), ("no", False)):
        if word.startswith(t):
            return value
    if len(t) >= 2 and "on".startswith(t):
        return True
    if len(t) >= 2 and "off".startswith(t):
        return False
    return {"1": True, "0": False}.get(t)


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        return int(text.strip(), 0)  # 0x50: PostgreSQL's parse_int reads hexadecimal too


def parse_catalog_value(p: Param, text: str) -> Value:
    """A value as ``reloptions`` stores it (the text given to CREATE/ALTER: ``80``,
    ``0.05``, ``off``, ``true``) as the model holds it; StorageError when it is not
    one the spec can write back."""
    if p.type == "bool":
        b = _parse_bool(text)
        if b is None:
            raise StorageError(f"{p.name}={text} is not a boolean")
        return b
    if p.type == "enum":
        t = text.strip().lower()
        if p.name == "vacuum_index_cleanup" and t not in p.values:
            b = _parse_bool(t)
            t = t if b is None else ("on" if b else "off")
        return check_value(p, t)
    try:
        number: int | float = _int(text) if p.type == "int" else float(text)
    except ValueError:
        raise StorageError(f"{p.name}={text} is not a number the spec can write") from None
    return check_value(p, number)


def parse_reloptions(kind: str, options, prefix: str = "") -> tuple[tuple[tuple[str, Value], ...], list[str]]:
    """``key=value`` texts of ``pg_class.reloptions`` as sorted (key, value) pairs,
    and what could not be read (a parameter schemadiff does not know, a value it
    cannot write back): those are reported, never dropped quietly."""
    pairs: dict[str, Value] = {}
    problems: list[str] = []
    for item in options or ():
        key, _, text = item.partition("=")
        full = prefix + key
        p = param(kind, full)
        if p is None:
            problems.append(f"the storage parameter {full} is not one schemadiff knows")
            continue
        try:
            pairs[full] = parse_catalog_value(p, text)
        except StorageError as exc:
            problems.append(str(exc))
    return tuple(sorted(pairs.items())), problems


def render_value(p: Param, value: Value) -> str:
    """A checked value as SQL: a number, ``true``/``false``, or an enum's word
    (the caller quotes it as a literal). Numbers are Python's shortest exact
    spelling, which PostgreSQL's grammar reads as a numeric constant."""
    if p.type == "bool":
        return "true" if value else "false"
    if p.type == "enum":
        return str(value)
    if p.type == "int":
        return str(int(value))
    return repr(float(value))


def shown(pairs) -> str:
    """``fillfactor=80, autovacuum_enabled=false`` for messages."""
    def one(v):
        return ("true" if v else "false") if isinstance(v, bool) else repr(v) if isinstance(v, float) else str(v)
    return ", ".join(f"{k}={one(v)}" for k, v in pairs) or "none"
