"""PostgreSQL identifiers: quoting, qualified-name parsing and the server's own
rules for generated names.

Names in a spec are *exact*: ``Lead`` is the table PostgreSQL lists as ``Lead``
(and that SQL must write as ``"Lead"``). Nothing here folds case. Quoting
follows ``quote_ident()``: an identifier stays bare only when it is lower-case
ASCII, starts with a letter or underscore, and is not a keyword the grammar
reserves in any way.
"""

from __future__ import annotations

import re

from pglast import keywords as _kw

NAMEDATALEN = 64
MAX_IDENTIFIER_BYTES = NAMEDATALEN - 1

_BARE = re.compile(r"^[a-z_][a-z0-9_]*$")
_NEEDS_QUOTES_KEYWORDS = frozenset(
    _kw.RESERVED_KEYWORDS | _kw.COL_NAME_KEYWORDS | _kw.TYPE_FUNC_NAME_KEYWORDS
)


def quote_ident(name: str) -> str:
    """Quote ``name`` exactly as PostgreSQL's ``quote_ident()`` would."""
    if _BARE.match(name) and name not in _NEEDS_QUOTES_KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_qualified(schema: str | None, name: str) -> str:
    if schema is None:
        return quote_ident(name)
    return f"{quote_ident(schema)}.{quote_ident(name)}"


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_E = re.compile(r"[\\\x01-\x1f\x7f]")


def quote_literal(text: str) -> str:
    """A SQL string literal that means the same under either setting of
    ``standard_conforming_strings`` and stays on one line: ``'it''s'`` as
    PostgreSQL's ``quote_literal()`` writes it, and whenever the text holds a
    backslash or a control character an ``E'…'`` literal with the backslashes
    doubled and the control characters escaped (``E'a\\\\b\\n'``)."""
    if "\x00" in text:
        raise ValueError("a SQL string literal cannot hold a NUL character")
    quoted = text.replace("'", "''")
    if _NEEDS_E.search(text):
        return "E'" + _NEEDS_E.sub(lambda m: _ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}"), quoted) + "'"
    return "'" + quoted + "'"


def identifier_bytes(name: str) -> int:
    return len(name.encode("utf-8"))


class NameSyntaxError(ValueError):
    pass


def split_dotted(text: str) -> list[str]:
    """Split ``a.b`` / ``"My.Schema"."T"`` into parts.

    Unquoted parts are taken literally (no case folding: spec names are exact);
    double quotes only serve to include dots or surrounding spaces, and ``""``
    inside them is one quote character.
    """
    parts: list[str] = []
    i, n = 0, len(text)
    if n == 0:
        raise NameSyntaxError("empty name")
    while True:
        if i < n and text[i] == '"':
            j = i + 1
            buf = []
            while True:
                if j >= n:
                    raise NameSyntaxError(f"unterminated quote in {text!r}")
                if text[j] == '"':
                    if j + 1 < n and text[j + 1] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            part = "".join(buf)
            i = j + 1
        else:
            j = i
            while j < n and text[j] != ".":
                if text[j] == '"':
                    raise NameSyntaxError(f"unexpected quote in {text!r}")
                j += 1
            part = text[i:j]
            i = j
        if part == "":
            raise NameSyntaxError(f"empty name part in {text!r}")
        parts.append(part)
        if i >= n:
            return parts
        if text[i] != ".":
            raise NameSyntaxError(f"expected '.' after a quoted part in {text!r}")
        i += 1


def _clip_bytes(text: str, limit: int) -> str:
    """The longest prefix of ``text`` of at most ``limit`` UTF-8 bytes,
    never cutting a character in half (PostgreSQL's ``pg_mbcliplen``)."""
    out = text.encode("utf-8")[:limit]
    return out.decode("utf-8", errors="ignore")


def make_object_name(name1: str, name2: str | None, label: str | None) -> str:
    """PostgreSQL's ``makeObjectName``: ``name1_name2_label`` shortened to fit
    63 bytes by trimming the longer of ``name1``/``name2`` one byte at a time."""
    n1 = identifier_bytes(name1)
    n2 = identifier_bytes(name2) if name2 else 0
    overhead = (len(label) + 1 if label else 0) + (1 if name2 else 0)
    avail = MAX_IDENTIFIER_BYTES - overhead
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    result = _clip_bytes(name1, n1)
    if name2:
        result += "_" + _clip_bytes(name2, n2)
    if label:
        result += "_" + label
    return result


def choose_name(name1: str, name2: str | None, label: str, taken: set[str]) -> str:
    """PostgreSQL's ``ChooseConstraintName``/``ChooseRelationName``: the
    generated name, or with ``1``, ``2``… appended to the label until unused."""
    candidate = make_object_name(name1, name2, label)
    suffix = 0
    while candidate in taken:
        suffix += 1
        candidate = make_object_name(name1, name2, f"{label}{suffix}")
    return candidate


def column_names_part(columns: list[str] | tuple[str, ...]) -> str:
    """PostgreSQL joins the column names with ``_`` for index, unique and
    foreign-key names, stopping once the text passes NAMEDATALEN bytes."""
    buf = ""
    for col in columns:
        if buf:
            buf += "_"
        buf += col
        if identifier_bytes(buf) >= NAMEDATALEN:
            break
    return buf
