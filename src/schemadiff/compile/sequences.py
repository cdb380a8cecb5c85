"""Sequences -> SQL: ``CREATE SEQUENCE`` with every option spelled out,
``ALTER SEQUENCE … OWNED BY`` once the owning table exists, ``ALTER SEQUENCE``
for the options a rule allows to change, ``COMMENT ON SEQUENCE``.

Names go through ``quote_ident``; every option is an ``int`` of the model (or one
of three type names the loader allows), written with ``%d``; never ``RESTART``
or ``setval``: a plan does not move a sequence's current value.
"""

from __future__ import annotations

from ..identifiers import quote_ident, quote_qualified
from ..model import SEQUENCE_TYPES, Sequence
from .statements import Statement
from .verify import Expect, checked

# The options ALTER SEQUENCE may carry when a rule allowed the change, in the order written.
ALTERABLE = ("type", "increment", "minvalue", "maxvalue", "start", "cache")


def _type(name: str) -> str:
    if name not in SEQUENCE_TYPES:
        raise ValueError(f"not a sequence type: {name!r}")
    return name


def _int(value: int) -> str:
    if type(value) is not int:
        raise ValueError(f"not an integer: {value!r}")
    return "%d" % value


def _option(key: str, value) -> str:
    if key == "type":
        return f"AS {_type(value)}"
    if key == "cycle":
        return "CYCLE" if value else "NO CYCLE"
    words = {"increment": "INCREMENT BY", "minvalue": "MINVALUE", "maxvalue": "MAXVALUE", "start": "START WITH",
             "cache": "CACHE"}[key]
    return f"{words} {_int(value)}"


def create_sequence(s: Sequence) -> Statement:
    opts = " ".join(_option(k, getattr(s, k)) for k in ("type", "increment", "minvalue", "maxvalue", "start",
                                                         "cache", "cycle"))
    what = f"sequence {s.schema}.{s.name}"
    sql = f"CREATE SEQUENCE {quote_qualified(s.schema, s.name)} {opts}"
    return Statement(checked(sql, Expect("CreateSeqStmt", (s.schema, s.name), what)), "create_sequence", what)


def owned_by(s: Sequence) -> Statement:
    what = f"sequence {s.schema}.{s.name}"
    if s.owned_by is None:
        raise ValueError(f"{what} has no owner")
    table, column = s.owned_by
    sql = f"ALTER SEQUENCE {quote_qualified(s.schema, s.name)} OWNED BY {quote_qualified(s.schema, table)}." \
          f"{quote_ident(column)}"
    return Statement(checked(sql, Expect("AlterSeqStmt", (s.schema, s.name), what)), "sequence_owned_by", what)


def alter_sequence(before: Sequence, after: Sequence, keys: tuple[str, ...]) -> str:
    """``ALTER SEQUENCE`` setting ``keys`` (of ``ALTERABLE``) to ``after``'s values."""
    what = f"sequence {after.schema}.{after.name}"
    opts = " ".join(_option(k, getattr(after, k)) for k in ALTERABLE if k in keys)
    sql = f"ALTER SEQUENCE {quote_qualified(after.schema, after.name)} {opts}"
    return checked(sql, Expect("AlterSeqStmt", (after.schema, after.name), what))


def comment_on_sequence(s: Sequence) -> Statement:
    from .ddl import comment_sql
    what = f"comment on sequence {s.schema}.{s.name}"
    return Statement(comment_sql("sequence", (s.schema, s.name), s.comment or "", what), "comment", what)
