"""One line per item in human output that CI logs and terminals read.

A spec's text can hold line breaks (``check: |`` block scalars) and, in a hostile
pull request, any other character YAML can spell. Printed as they are, a line of
them could begin with ``::`` and be taken by GitHub Actions as a workflow command
(a spoofed annotation, ``::stop-commands::``), an escape sequence could rewrite
the terminal, a bidirectional override could make a reviewer read another text.
Every piece of spec text printed — reports, warnings, errors — goes through
``one_line``.
"""

from __future__ import annotations

import re
import unicodedata

# Line breaks of every kind (what str.splitlines splits on).
_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def _visible(ch: str) -> str:
    if ch == "\t" or ch == " ":
        return ch
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or ch == "\x7f":
        code = ord(ch)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return ch


def one_line(text: str) -> str:
    """Line breaks shown as `` ⏎ ``, control and format characters (escape
    sequences, NUL, bidirectional overrides, zero-width characters) as ``\\xNN``
    / ``\\uNNNN``: the text stays on the line it starts on, and shows what it holds."""
    text = _BREAKS.sub(" ⏎ ", text)
    if text.isprintable():
        return text
    return "".join(_visible(ch) for ch in text)
