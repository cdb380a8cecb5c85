"""An expression is read whole or not at all (``expressions.target_node``).

``readable``, ``comparable`` and the rule facts parse ``SELECT text`` and work on its one
target. Taking the first target of the first statement of any text would make
``1::int; select 2::int`` compare equal to ``1::int`` and ``s IN ('a', 'b'), 1`` read as
the list ``s IN ('a', 'b')``; an empty text raised TypeError. Every text that is not
exactly one expression is now left as it is (or has no facts).
"""

from __future__ import annotations

import pytest

from schemadiff.expressions import target_node
from schemadiff.introspect.humane import _spelling
from schemadiff.readable import _readable, _readable_default, comparable
from schemadiff.rules.facts import check_list

NOT_ONE = [
    "", " ", "--x", "/* */",
    "1::int; select 2::int",
    "a::int, b",
    "x::int as y",
    "1::int from t",
    "1::int where true",
    "1::int union select 2",
    "1::int order by 1",
    "1::int limit 1",
    "s IN ('a', 'b') , 1",
    "s::text IN ('a'::text) ; select 1",
]


@pytest.mark.parametrize("text", NOT_ONE)
def test_a_text_that_is_not_one_expression_is_left_as_it_is(text):
    assert target_node(text) is None
    assert _readable(text, {"a": "integer"}) == text
    assert _readable_default(text, "integer") == text
    assert comparable(text, {}) == text
    assert check_list(text, {"s": "text"}) is None
    assert _spelling(text, "public", "t") is None  # import keeps the server's text


def test_one_expression_is_read_as_before():
    assert target_node("(a)::int").__class__.__name__ == "TypeCast"
    assert comparable("1::int", {}) == "CAST(1 AS integer)"
    assert comparable("(a)::int", {}) == "CAST(a AS integer)"
    assert check_list("s IN ('a', 'b')", {"s": "text"}) == ("s", frozenset({"a", "b"}), False)
    assert _readable_default("'5'::integer", "integer") == "'5'"
    assert _spelling("(quantity >= 0) AND (quantity <= 10)", "public", "t") == "quantity >= 0 AND quantity <= 10"
