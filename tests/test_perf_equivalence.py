"""The fast paths give exactly what the slow ones gave.

Speed-ups of the spec reader, the expression parser and the expression
rewrites each replaced a slower computation; these tests keep the slower one
as the reference and compare on every spec file of the examples, on the loader
trap cases and on a list of expression shapes. No timing is measured here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pglast import parse_sql
from pglast.visitors import Visitor

from schemadiff import readable as r
from schemadiff.expressions import ExpressionError, parse_expression, references
from schemadiff.spec.errors import SpecError, SpecIssue
from schemadiff.spec.yamlread import YList, YMap, _Builder, _compose, _mark, compose_nodes, read_yaml

from .test_loader_errors import CASES, MORE_CASES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_FILES = sorted((ROOT / "examples").glob("*/schema/**/*.yaml"))

EXPRESSIONS = [
    "kind IN ('a', 'b')", "a IN (SELECT b FROM c WHERE c.x = a)", "f(x, g(y)) + (SELECT max(z) FROM t)",
    "EXISTS (SELECT 1 FROM u WHERE u.t = t.id) AND t.x > 0", "x.*", '"Mixed" = lower("Other")',
    "auth.uid() = user_id", "pg_catalog.now()", "CASE WHEN a THEN b ELSE c END", "ARRAY[a, b]", "(x).y",
    "a = ANY (ARRAY[(SELECT 1)])", "coalesce(a, b) IS NOT NULL", "NULL", "NULL::text", "'x'::character varying",
    "'\"\"'", "a IS DISTINCT FROM b", "row(a, b)", "t.a + s.b + u.v.w", "count(*)", "a::integer[]",
    "(current_setting('app.tenant_id'::text, true))::uuid = tenant_id", "now() - interval '1 day'",
    "(SELECT a FROM b) = c", "state = ANY (ARRAY['open'::text, 'closed'::text])",
    "(code)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])",
    "flag = true", "CURRENT_TIMESTAMP", "transaction_timestamp()", "x > 0 AND y < 10 OR z IS NULL",
    # not one expression: the same error either way
    "1); DROP TABLE t; --", "1 --", "", "1 AS x", "a, b", "1 UNION SELECT 2", "x FROM y", "DISTINCT x",
    "x ORDER BY 1", "x FOR UPDATE", "1 LIMIT 1", "(", "a b c",
]


def _plain(value):
    """A YMap/YList tree as plain data, with every mark."""
    if isinstance(value, YMap):
        return ("map", str(value.mark), [(k, str(value.key_marks[k]), str(value.value_marks[k]), _plain(v))
                                         for k, v in value.items()])
    if isinstance(value, YList):
        return ("list", str(value.mark), [(str(value.item_marks[i]), _plain(v)) for i, v in enumerate(value)])
    return (type(value).__name__, value)


def _pure_python_read(text: str, display: str):
    """What ``read_yaml`` did before libyaml: PyYAML's pure-Python composer."""
    nodes = _compose(text, yaml.SafeLoader)
    if len(nodes) > 1:
        raise SpecError([SpecIssue(_mark(display, nodes[1]), "a spec file holds one YAML document, found several")])
    if not nodes or nodes[0] is None:
        return None
    builder = _Builder(display)
    data = builder.build(nodes[0])
    if builder.issues:  # the errors of values, collected (as parse_yaml raises them: PartialYAML)
        raise SpecError(builder.issues)
    return data


def _outcome(read):
    try:
        return ("ok", _plain(read()))
    except SpecError as exc:
        return ("error", [i.render() for i in exc.issues])


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[str(p.relative_to(ROOT)) for p in EXAMPLE_FILES])
def test_example_files_read_the_same_as_with_pure_python_yaml(path):
    fast = _outcome(lambda: read_yaml(path, "f.yaml"))
    slow = _outcome(lambda: _pure_python_read(path.read_text(encoding="utf-8"), "f.yaml"))
    assert fast == slow
    assert fast[0] == "ok"


TRAP_TEXTS = [(case[0] + ":" + name, text) for case in CASES + MORE_CASES for name, text in case[1].items()]
TRAP_TEXTS += [(f"extra-{i}", text) for i, text in enumerate([
    "a: b: c", "a:\tb", "a:b", "{a:b}", "[a:b]", "{a: 1, a: 2}", "a: &x 1\nb: *x", "a: !!python/object x",
    "a: !!str 3", "a: !custom x", "key: 'unterminated", "a: [1, 2", "? complex\n: key", "a: |\n  text\n",
    "a: >-\n  folded\n  text\n", "a: b #c", "a: 'it''s'", "\ufeffa: 1", 'a: "\\x41"', "a: 1\n---\nb: 2", "",
    "---\n", "# only a comment\n", "a: null\nb: ~\nc:", "a: 0x1F", "a: .inf", "a: 1e3", "a: +1", "a: -0",
    "a: 1.0", "a: 'yes'", "a: Yes", "a: y", "a: 12:30:00", "a:\n\t- 1", "- a\n- b", "a: [b, {c: d}, [e]]",
    "a:\n  - b\n  -\n  - c: d\n", "a: \"multi\n  line\"", "a: plain\n  continued", "<<: {a: 1}",
    "a: {<<: {b: 1}}", "[a, b]: c", "{a: 1}: b", "a: @x", "a: `x`", "a: %x", "%YAML 1.1\n---\na: 1",
    "a: \u0007", "a: 'x'\n b: 1", "a: 1\n  b: 2", "  a: 1\nb: 2",
])]


@pytest.mark.parametrize("text", [t for _, t in TRAP_TEXTS], ids=[i for i, _ in TRAP_TEXTS])
def test_trap_files_read_the_same_as_with_pure_python_yaml(tmp_path, text):
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        slow = _outcome(lambda: _pure_python_read(text, "f.yaml"))
    except yaml.YAMLError:
        slow = "invalid YAML"
    try:
        compose_nodes(text)  # libyaml's composer where it agrees with PyYAML's
        libyaml = "valid YAML"
    except yaml.YAMLError:
        libyaml = "invalid YAML"
    # The fast reader accepts exactly what PyYAML's own composer accepts ...
    assert (libyaml == "invalid YAML") == (slow == "invalid YAML")
    fast = _outcome(lambda: read_yaml(path, "f.yaml"))
    if slow == "invalid YAML":  # ... and its errors are PyYAML's (read again by the pure-Python composer)
        assert fast[0] == "error" and "invalid YAML" in fast[1][0]
    else:
        assert fast == slow


class _VisitorReferences(Visitor):
    """The pglast-Visitor implementation ``expressions.references`` replaced."""

    def __init__(self) -> None:
        super().__init__()
        self.columns, self.functions, self.subqueries = [], [], 0

    def visit_ColumnRef(self, ancestors, node):
        parts = tuple(getattr(f, "sval", None) if getattr(f, "sval", None) is not None else "*" for f in node.fields)
        chain, inside = ancestors, False
        while chain is not None and getattr(chain, "node", None) is not None:
            inside = inside or type(chain.node).__name__ == "SubLink"
            chain = chain.parent
        if not inside:
            self.columns.append(parts)

    def visit_FuncCall(self, ancestors, node):
        self.functions.append(tuple(n.sval for n in node.funcname))

    def visit_SubLink(self, ancestors, node):
        self.subqueries += 1


_SELECT_CLAUSES = (
    "distinctClause", "intoClause", "fromClause", "whereClause", "groupClause",
    "havingClause", "windowClause", "valuesLists", "sortClause", "limitOffset",
    "limitCount", "lockingClause", "withClause", "larg", "rarg",
)


def _old_single_target(sql: str):
    """The pglast-node check ``expressions`` replaced: the target, or the error text."""
    from pglast.parser import ParseError
    try:
        stmts = parse_sql(sql)
    except ParseError as exc:
        return f"not a valid SQL expression: {exc}"
    if len(stmts) != 1:
        return "must be exactly one SQL expression, found more than one statement"
    stmt = stmts[0].stmt
    if type(stmt).__name__ != "SelectStmt":
        return "must be exactly one SQL expression"
    for clause in _SELECT_CLAUSES:
        if getattr(stmt, clause, None):
            return "must be exactly one SQL expression (found extra SQL clauses)"
    if getattr(stmt, "op", None) not in (None, 0) and str(stmt.op) not in ("SETOP_NONE", "SetOperation.SETOP_NONE"):
        return "must be exactly one SQL expression"
    targets = stmt.targetList or ()
    if len(targets) != 1:
        return "must be exactly one SQL expression, found a list"
    if targets[0].name:
        return "must be an expression without an alias"
    return targets[0].val


def _old_parse(text: str):
    if not text.strip():
        return "the expression is empty"
    first = _old_single_target(f"SELECT {text}")
    if isinstance(first, str):
        return first
    second = _old_single_target(f"SELECT ({text})")
    return second if isinstance(second, str) else first


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_expressions_parse_and_refer_as_with_the_pglast_visitor(text):
    old = _old_parse(text)
    try:
        parsed = parse_expression(text)
    except ExpressionError as exc:
        assert str(exc) == old
        return
    assert not isinstance(old, str), old
    assert parsed.kind == type(old).__name__ == type(parsed.node).__name__
    refs = references(parsed)
    oracle = _VisitorReferences()
    oracle(old)
    assert refs.columns == tuple(oracle.columns)
    assert refs.functions == tuple(oracle.functions)
    assert refs.subqueries == oracle.subqueries


TYPES = [{"kind": "text", "state": "text", "code": "character varying(8)", "flag": "boolean", "x": "integer"},
         {"kind": "character varying(4)", "state": "character(1)", "code": "text", "flag": "boolean"},
         {}]


def _is_expression(text: str) -> bool:
    try:
        parse_expression(text)
    except ExpressionError:
        return False
    return True


@pytest.mark.parametrize("text", [e for e in EXPRESSIONS if _is_expression(e)])
def test_cached_rewrites_equal_fresh_ones(text):
    for types in TYPES + TYPES:  # twice: the second pass reads the caches
        assert r.readable(text, types) == r._readable(text, types)
        assert r.comparable(text, types) == r._comparable(text, types)
        for column_type in ("text", "character varying(8)", "integer"):
            assert r.readable_default(text, column_type) == r._readable_default(text, column_type)
