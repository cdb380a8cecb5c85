"""``normalize.strip_outer_parens`` scans with one regular expression (quoted text and
parentheses as tokens) instead of a loop per character; it must answer exactly as the
loop did, on any text: quotes doubled inside quoted text, quotes never closed,
parentheses inside quotes, unbalanced parentheses."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from schemadiff.normalize import _closing_paren, strip_outer_parens


def _closing_paren_loop(text: str) -> int:
    """The loop of the code before (reference)."""
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in ("'", '"'):
            quote = ch
            i += 1
            while i < n:
                if text[i] == quote:
                    if i + 1 < n and text[i + 1] == quote:
                        i += 2
                        continue
                    break
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _strip_loop(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and _closing_paren_loop(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


CASES = ["(a > 0)", "((a > 0) AND (b < 1))", "(a) AND (b)", "('(' || x)", "('it''s)' = x)", '("a""b)" > 0)',
         "('unclosed)", "(a))", "((a)", "()", "", "(", ")", "( (a) )", "(x = ')'::text)", "(E'\\\\)' = x)",
         "(\"q\" = 'a''')", "'''('", "(a)\n", "(\u00e9 = '\u2028)')"]


def test_known_texts_answer_as_the_loop_did():
    for text in CASES:
        assert _closing_paren(text) == _closing_paren_loop(text), text
        assert strip_outer_parens(text) == _strip_loop(text), text


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="()'\"a \\\n", max_size=24))
def test_any_text_answers_as_the_loop_did(text):
    assert _closing_paren(text) == _closing_paren_loop(text)
    assert strip_outer_parens(text) == _strip_loop(text)
    wrapped = f"({text})"
    assert strip_outer_parens(wrapped) == _strip_loop(wrapped)
