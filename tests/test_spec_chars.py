"""spec/chars.py's fast path: a printable text holds no character any check refuses.

The checks return at once for ``str.isprintable()`` text; that is exact only if every
character a check can refuse (a line break, a bidirectional control, a control, format,
surrogate or private-use character) is not printable. Every code point is tried.
"""

from __future__ import annotations

import sys
import unicodedata

import pytest

from schemadiff.spec import chars


def _refusable(ch: str) -> bool:
    """What ``_first_bad`` refuses with nothing allowed and format characters refused (the most)."""
    return ch in chars._BIDI or ch in chars._LINE_BREAKS or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cf")


def test_no_printable_character_is_refused_by_any_check():
    printable_refused = [hex(c) for c in range(sys.maxunicode + 1) if chr(c).isprintable() and _refusable(chr(c))]
    assert printable_refused == []


def test_every_bidirectional_control_is_not_printable():
    assert not any(ch.isprintable() for ch in chars._BIDI)


@pytest.mark.parametrize("text", ["id", "x\u202ey", "a\nb", "a\tb", "\x00", "\u200b", "e\u0301", "\ud800", "名前",
                                  "a" * 63, "é" * 31, "é" * 32, "\U0001f600" * 15, "\U0001f600" * 16])
def test_the_checks_say_what_the_slow_path_says(text):
    def outcome(fn, value):
        try:
            return ("ok", fn(value))
        except ValueError as exc:
            return ("error", str(exc))

    def slow_identifier(value):
        chars._check(value, frozenset(), "a name", format_chars=True)
        size = len(value.encode("utf-8"))
        if size > 63:
            raise ValueError(f"the name is {size} bytes long; PostgreSQL allows 63 and would silently truncate it")
        return value

    assert outcome(chars.check_name_chars, text) == outcome(
        lambda v: chars._check(v, frozenset(), "a name", format_chars=True), text)
    assert outcome(chars.check_identifier_text, text) == outcome(slow_identifier, text)
