"""SQL text that means the same whatever the session's settings, on one line.

``standard_conforming_strings`` decides how a plain ``'…'`` string holding a
backslash is read, and a database (``ALTER DATABASE … SET``) or a role can turn it
off; a migration runner that sends a whole file as one query has the server read
all of it before a leading ``SET`` runs. So whatever we send or write has its string
constants in a form both settings read alike: ``E'…'`` with the backslashes doubled
(``quote_literal``) wherever a backslash, a ``U&`` escape or a control character
stands in one. The decisions are made by PostgreSQL's own lexer (pglast), reading
as the server does with the setting on: the meaning we intend.

Used by the compiler (``compile.verify``) and by everything else that puts a spec
expression into a statement for the server (``introspect.converge``'s probes).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from pglast.parser import ParseError, parse_sql_json, scan

from .identifiers import quote_literal


class SqlTextError(ValueError):
    """Text that cannot be made to mean the same under both settings."""


def _first_constant(sql: str) -> dict:
    try:
        stmt = json.loads(parse_sql_json(sql))["stmts"][0]["stmt"]["SelectStmt"]
    except (ParseError, KeyError, IndexError) as exc:
        raise SqlTextError(f"not a string constant ({exc})") from None
    return stmt["targetList"][0]["ResTarget"]["val"]["A_Const"]


def _string_value(token_text: str) -> str:
    """The value of one string-constant token, as PostgreSQL reads it."""
    node = _first_constant(f"SELECT {token_text}")
    return node["sval"]["sval"] if "sval" in node else ""


def literal_problem(sql: str) -> str | None:
    """Why ``sql`` would mean something else with ``standard_conforming_strings``
    off (a plain string literal holding a backslash, a ``U&`` string), or None."""
    try:
        tokens = scan(sql)
    except ParseError as exc:
        return f"does not scan ({exc})"
    for tok in tokens:
        text = sql[tok.start:tok.end + 1]
        if tok.name in ("USCONST", "UIDENT"):
            return f"a Unicode-escape literal ({text[:40]}) is read differently with standard_conforming_strings off"
        if tok.name == "SCONST" and text[:1] == "'" and "\\" in text:
            return (f"the literal {text[:40]} holds a backslash: it is read differently with "
                    "standard_conforming_strings off")
    return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _rewrite(tok, text: str) -> bool:
    """Is this string constant to be written again by ``quote_literal``? A plain
    one with a backslash (its meaning depends on the setting), a ``U&`` one (an
    error with the setting off), any one holding a line break or another control
    character (it would span lines of the output: ``E'…\\n…'`` keeps it on one)."""
    if tok.name == "USCONST":
        return True
    if tok.name != "SCONST":
        return False
    return (text[:1] == "'" and "\\" in text) or bool(_CONTROL.search(text))


def _may_hold_a_rewrite(sql: str) -> bool:
    """False when no string constant of ``sql`` can need rewriting, decided without
    the lexer: no backslash, no ``&`` (of ``U&``), no ``$`` (of a dollar quote), no
    control character, and no line break that a quote could stand before."""
    if "\\" in sql or "&" in sql or "$" in sql:
        return True
    if "\n" in sql:
        return "'" in sql or bool(_CONTROL.search(sql.replace("\n", "")))
    return bool(_CONTROL.search(sql))


@lru_cache(maxsize=16384)
def pin_literals(sql: str) -> str:
    """``sql`` with every literal written to mean the same under either setting,
    on one line."""
    if not _may_hold_a_rewrite(sql):
        return sql
    tokens = scan(sql)
    out, last = [], 0
    for tok in tokens:
        if tok.start < last:  # the UESCAPE clause of a string just rewritten
            continue
        text = sql[tok.start:tok.end + 1]
        rewrite = _rewrite(tok, text)
        if tok.name == "UIDENT":
            raise SqlTextError(f"a Unicode-escape identifier ({text[:40]})")
        if rewrite:
            out += [sql[last:tok.start], quote_literal(_string_value(_token_with_uescape(sql, tokens, tok)))]
            last = _end_with_uescape(sql, tokens, tok)
    out.append(sql[last:])
    return "".join(out)


def flat(expression: str) -> str:
    """An expression on one line: every run of white space that holds a line
    break becomes one space, and comments go (``parse_expression`` has proved the
    text is one expression; its tokens are kept exactly, so is its meaning)."""
    if not _CONTROL.search(expression) and "/*" not in expression:
        return expression
    out, last = [], 0
    for tok in scan(expression):
        gap = expression[last:tok.start]
        out.append(" " if _CONTROL.search(gap) else gap)
        if tok.name in ("SQL_COMMENT", "C_COMMENT"):
            out.append(" ")
        else:
            out.append(expression[tok.start:tok.end + 1])
        last = tok.end + 1
    return "".join(out).strip()


def _uescape_tokens(tokens, tok):
    i = tokens.index(tok)
    if tok.name == "USCONST" and i + 2 < len(tokens) and tokens[i + 1].name == "UESCAPE":
        return tokens[i + 2]
    return None


def _token_with_uescape(sql: str, tokens, tok) -> str:
    end = _uescape_tokens(tokens, tok)
    return sql[tok.start:(end.end if end else tok.end) + 1]


def _end_with_uescape(sql: str, tokens, tok) -> int:
    end = _uescape_tokens(tokens, tok)
    return (end.end if end else tok.end) + 1
