"""One line per item in human output that CI logs read.

A spec's expression can hold line breaks (``check: |`` block scalars). Printed
as they are, a line of them could begin with ``::`` and be taken by GitHub
Actions as a workflow command (a spoofed annotation, ``::stop-commands::``).
Every piece of spec text printed in the text formats goes through ``one_line``.
"""

from __future__ import annotations


def one_line(text: str) -> str:
    """Line breaks shown as `` ⏎ ``: the text stays on the line it starts on."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ⏎ ")
