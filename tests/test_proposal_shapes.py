"""``humane._proposal`` rewrites once per expression shape (``introspect.shapes``): for
every text, what it returns is what the rewrite of that very text returns."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from schemadiff.expressions import ExpressionError, parse_expression
from schemadiff.introspect import humane, shapes

from .test_convergence_property import expressions


def _direct(text: str, schema: str = "public", name: str | None = None) -> str | None:
    """The definition: the text rewritten on its own."""
    out = humane._spelling(text, schema, name)
    if out is None or out == text:
        return None
    try:
        parse_expression(out)
    except ExpressionError:
        return None
    return out


def _fresh():
    humane._proposal.cache_clear()
    humane._SHAPES.clear()


# Families: one shape, many numbers (the first of each family makes the template).
FAMILIES = [
    ["(quantity >= 0) AND (quantity <= 1000)", "(quantity >= 0) AND (quantity <= 2000)",
     "quantity >= 0 AND quantity <= 3000",  # already as people write it: no proposal
     "(quantity >= 0) AND (quantity <= 1000000007)", "(quantity >= 0) AND (quantity <= 1)"],
    ["(total >= (5)::numeric)", "(total >= (7)::numeric)", "(total >= (1000000008)::numeric)"],
    ["(n BETWEEN 3 AND 0x10)", "(n BETWEEN 1_000 AND 2)", "(n BETWEEN 0o17 AND 0b101)"],
    # type modifiers are printed by value: never a hole
    ["((v)::character varying(5) = 'a'::text)", "((v)::character varying(6) = 'a'::text)"],
    ["(c = 'a'::bpchar(1))", "(c = 'a'::bpchar(2))"],
    ["('1 day'::interval day < (x)::interval)", "('1 day'::interval hour < (x)::interval)"],
    # a sentinel's digits elsewhere in the text: the template is refused, each text rewritten
    ["(x1000000007 > (3)::integer)", "(x1000000007 > (4)::integer)"],
    ["((s)::text <> '1000000007'::text AND n > (3)::integer)", "((s)::text <> '1000000007'::text AND n > (9)::integer)"],
    # subqueries are not shaped
    ["(n IN (SELECT 1 FROM t LIMIT 2))", "(n IN (SELECT 1 FROM t LIMIT 3))"],
    # negative and zero constants are part of the shape
    ["(n > '-5'::integer)", "(n > (-5))", "(n > (-6))", "(n > 0)", "(n > 1)"],
    ["(arr[1] > (2)::integer)", "(arr[3] > (4)::integer)", "((arr)[1:2] = ARRAY[(1)::integer])"],
]


def test_each_family_as_each_text_alone():
    for family in FAMILIES:
        for order in (family, list(reversed(family))):
            _fresh()
            for text in order:
                assert humane._proposal(text, "public", None) == _direct(text), text
    _fresh()
    humane._proposal(FAMILIES[0][0], "public", None)
    humane._proposal(FAMILIES[0][1], "public", None)
    assert any(isinstance(t, str) for per in humane._SHAPES.values() for t in per.templates.values())


def test_the_synthetic_checks_share_one_template():
    _fresh()
    calls = []
    real = humane._spelling
    try:
        humane._spelling = lambda *a: calls.append(a) or real(*a)
        for i in range(1, 101):
            text = f"(quantity >= 0) AND (quantity <= {1000 * i})"
            assert humane._proposal(text, "public", None) == f"quantity >= 0 AND quantity <= {1000 * i}"
    finally:
        humane._spelling = real
    assert len(calls) == 2  # the first text, then (when the second comes) its sentinel copy


def test_a_template_that_does_not_give_the_first_result_is_refused():
    seen = []
    per = shapes.Shapes(lambda t: seen.append(t) or ("x > 1" if "1000000007" in t else t))
    assert per("n > 5") == "n > 5"
    assert per("n > 6") == "n > 6"  # not "x > 6": the template failed its check
    assert per.templates and all(v is shapes._UNSHAPED for v in per.templates.values())


def test_a_shape_seen_once_is_rewritten_once():
    seen = []
    per = shapes.Shapes(lambda t: seen.append(t) or t.upper())
    for i in range(1, 30):
        assert per(f"c{i} > {i}") == f"C{i} > {i}"  # every text its own shape (the column differs)
    assert len(seen) == 29


@settings(max_examples=300, deadline=None)
@given(pair=expressions(), numbers=st.lists(st.integers(1, 2**31 - 1), min_size=3, max_size=3))
def test_random_expressions_and_numbers(pair, numbers):
    import re

    _fresh()
    for text in pair:
        assert humane._proposal(text, "public", None) == _direct(text), text
        for k in numbers:  # the same shape with other positive numbers
            other = re.sub(r"\b[1-9][0-9]*\b", str(k), text)
            assert humane._proposal(other, "public", None) == _direct(other), other
