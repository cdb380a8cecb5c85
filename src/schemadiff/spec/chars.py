"""Which characters each kind of spec string may hold.

YAML's double-quoted escapes can spell any character (``"\\0"``, ``"\\e"``,
``"\\u202e"``). None of them belongs in a name, and few in text; each one that
reached SQL or a terminal would be a way to cut a statement short, to rewrite a
CI log, or to show a reviewer something other than what runs. Refused:

- names (tables, columns, indexes, roles, schemas, collations…): every control
  character, line break and format character (bidirectional overrides,
  zero-width characters);
- text (comments, enum labels): the same, except a line break and a tab;
- expressions: the same as text, plus a carriage return.

The messages show the character escaped (``\\x00``, ``\\u202e``), never as itself.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional embeddings, overrides and isolates: they reorder what a reviewer reads.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _show(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _first_bad(text: str, allowed: frozenset[str], format_chars: bool) -> str | None:
    if text.isprintable():  # no control, format or line-break character, so no _BIDI one (tests/test_chars.py)
        return None
    for ch in text:
        if ch in allowed:
            continue
        category = unicodedata.category(ch)
        if ch in _BIDI or ch in _LINE_BREAKS or category in ("Cc", "Cs", "Co") or (format_chars and category == "Cf"):
            return ch
    return None


def _check(text: str, allowed: frozenset[str], what: str, format_chars: bool) -> str:
    bad = _first_bad(text, allowed, format_chars)
    if bad is not None:
        name = "a NUL character" if bad == "\x00" else f"the character {_show(bad)}"
        if bad in _BIDI:
            name += " (a bidirectional control: it changes the order a reader sees)"
        raise ValueError(f"{what} holds {name}, which it may not hold")
    return text


_NOTHING = frozenset()


def check_name_chars(text: str) -> str:
    if text.isprintable():  # the common case, without the calls below (every name of a spec comes here)
        return text
    return _check(text, _NOTHING, "a name", format_chars=True)


def check_text_chars(text: str) -> str:
    return _check(text, frozenset("\n\t"), "the text", format_chars=False)


def check_expression_chars(text: str) -> str:
    return _check(text, frozenset("\n\t\r"), "the expression", format_chars=False)


_OPCLASS = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$")


def check_opclass(text: str) -> str:
    if not _OPCLASS.match(text):
        raise ValueError(f"{text!r} is not an operator class name: write `name` or `schema.name` "
                         "(letters, digits, _ and $)")
    return text


def check_identifier_text(text: str) -> str:
    if not text.isprintable():
        check_name_chars(text)
    if len(text) > 15 and (size := len(text.encode("utf-8"))) > 63:  # 15 characters are 60 bytes at most
        raise ValueError(f"the name is {size} bytes long; PostgreSQL allows 63 and would silently truncate it")
    return text
