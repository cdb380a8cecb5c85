"""``readable`` leaves an expression in which no rewrite can fire without building
pglast's nodes (``_may_rewrite``); what it returns is what the full path returns."""

from __future__ import annotations

from hypothesis import given, settings

import schemadiff.readable as readable

from .test_convergence_property import COLUMNS, expressions

SERVER_TEXTS = [
    "(quantity >= 0) AND (quantity <= 1000)",
    "kind = ANY (ARRAY['a'::text, 'b'::text])",
    "(v)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])",
    "s = 'x'::text",
    "v = 'TypeCast'",
    "n > 0",
    "n = ANY (ARRAY[1, 2])",
    "lower(s) <> 'a'::text",
    "(s IS NOT NULL)",
    "EXISTS (SELECT 1 FROM t WHERE t.s = 'a'::text)",
]



def _check(text: str) -> None:
    fast = readable._readable(text, COLUMNS)
    real = readable._may_rewrite
    try:
        readable._may_rewrite = lambda text: True
        slow = readable._readable(text, COLUMNS)
    finally:
        readable._may_rewrite = real
    assert fast == slow, text
    if not real(text):
        assert fast == text


def test_server_texts_read_as_before():
    for text in SERVER_TEXTS:
        _check(text)
    assert readable._readable("kind = ANY (ARRAY['a'::text, 'b'::text])", {"kind": "text"}) == "kind IN ('a', 'b')"
    assert readable._readable("n = ANY (ARRAY[1, 2])", COLUMNS) == "n IN (1, 2)"  # an = ANY without a cast
    assert not readable._may_rewrite("(quantity >= 0) AND (quantity <= 1000)")


@settings(max_examples=300, deadline=None)
@given(pair=expressions())
def test_random_spellings_read_as_before(pair):
    for text in pair:
        _check(text)


def _full(text: str) -> str:
    """``readable`` without the early return (``_any_rewrite_site``)."""
    real = readable._any_rewrite_site
    try:
        readable._any_rewrite_site = lambda text: True
        readable._READABLE.clear()
        return readable.readable(text, COLUMNS)
    finally:
        readable._any_rewrite_site = real
        readable._READABLE.clear()


EARLY = SERVER_TEXTS + [
    "a, b",  # not one expression: the full path returns it too
    "n > 0; DROP TABLE x",
    "s = '\"TypeCast\":'",  # a constant that spells a marker: the full path
    "(n)::text = ANY (ARRAY['a'::text])",
    "s = 'x'::text, n = ANY (ARRAY[1])",
    "(",
]


def test_the_early_return_gives_what_the_full_path_gives():
    for text in EARLY:
        assert readable.readable(text, COLUMNS) == _full(text), text
    assert not readable._any_rewrite_site("(quantity >= 0) AND (quantity <= 1000)")
    assert readable._any_rewrite_site("n = ANY (ARRAY[1, 2])") and readable._any_rewrite_site("s = 'x'::text")


@settings(max_examples=300, deadline=None)
@given(pair=expressions())
def test_random_spellings_early_return(pair):
    for text in pair:
        assert readable.readable(text, COLUMNS) == _full(text), text
