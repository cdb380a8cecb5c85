"""The loader's memos and shortcuts of round 5 give what the work they skip gives.

Each memo is a pure function of its key (a text, and the default schema where it reads one);
each shortcut skips work only where that work finds nothing. Compared here with the direct
computation on texts that hit every branch. No timing is measured here.
"""

from __future__ import annotations

import pytest

from schemadiff.expressions import ExpressionError, parse_expression
from schemadiff.identifiers import NameSyntaxError
from schemadiff.model import QualifiedName
from schemadiff.relnames import with_queries
from schemadiff.spec.names import qualify
from schemadiff.spec.resolve import ResolveError, Resolver, _type_name, _unqualified_casts, _unqualified_type_names
from schemadiff.spec.tables import _with_queries

POLICY_TEXTS = [
    "tenant_id = current_setting('app.tenant_id', true)::uuid",
    "id IN (WITH x AS (SELECT 1 AS id) SELECT id FROM x)",
    "id IN (with x AS (SELECT 1 AS id) SELECT id FROM x)",
    "id IN (WiTh RECURSIVE x(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM x WHERE id < 3) SELECT id FROM x)",
    "width > 0", "'with' = note", "\"WITH\" = 1", "id IN (SELECT a FROM b WHERE b.c = 'x')",
    "id IN (WITH \"Q\" AS (SELECT 1 AS id) SELECT id FROM \"Q\")", "İ = 'wİth'", "not sql at all (",
]


@pytest.mark.parametrize("text", POLICY_TEXTS)
def test_with_queries_shortcut(text):
    assert _with_queries(text) == with_queries(text)


TYPE_TEXTS = ["text", "mood", " text ", "text[]", "text [] []", "public.mood", "mood[]", '"My Type"', '"a.b".c',
              "x.y.z", '"unterminated', "", " ", "[]", "varchar(10)", "numeric(12,2)[]", "double precision",
              "other.mood", "MOOD", "vec(3)", "public.vec(384)[]"]


@pytest.mark.parametrize("schema", ["public", "other", "Odd Schema"])
@pytest.mark.parametrize("text", TYPE_TEXTS)
def test_type_name_memo(text, schema):
    raw = text.strip()
    base = raw
    while base.endswith("[]"):
        base = base[:-2].rstrip()
    try:
        as_name = qualify(base, schema)
    except NameSyntaxError:
        as_name = None
    assert _type_name(text, schema) == (raw, base, as_name)


def _resolved(resolver: Resolver, text: str):
    try:
        return ("ok", resolver.type_text(text))
    except ResolveError as exc:
        return ("error", str(exc), exc.hint)


def test_type_text_reads_the_resolver_state_on_every_call():
    """The memo holds no verdict: one text, resolvers with other enums, external types and default
    schemas, in turn and again, each as a fresh process would say it."""
    mood = QualifiedName("public", "mood")
    states = [Resolver("public"), Resolver("public", enums={mood: object()}),
              Resolver("public", external_types={QualifiedName("public", "vec"), mood}),
              Resolver("other", enums={mood: object()}), Resolver("other", enums={QualifiedName("other", "mood"): 1})]
    first = {(i, t): _resolved(r, t) for i, r in enumerate(states) for t in TYPE_TEXTS}
    for _ in range(2):
        for i, r in reversed(list(enumerate(states))):
            for t in TYPE_TEXTS:
                assert _resolved(r, t) == first[(i, t)]
    assert first[(0, "mood[]")][0] == "error" and first[(1, "mood[]")] == ("ok", "public.mood[]")
    assert first[(3, "mood")][0] == "error" and first[(4, "mood")] == ("ok", "other.mood")


CAST_TEXTS = ["'a'::mood", "'a'::public.mood", "CAST(x AS mood)", "x::text::mood[]", "'{}'::\"Mood\"[]",
              "json_value(j, '$' RETURNING mood)", "1", "a = b", "(SELECT 'a'::mood)", "mood 'a'"]


@pytest.mark.parametrize("text", CAST_TEXTS)
def test_unqualified_casts_memo(text):
    try:
        parsed = parse_expression(text)
    except ExpressionError:
        pytest.skip("not an expression")
    assert _unqualified_casts(parsed) == tuple(_unqualified_type_names(parsed.tree))
    assert _unqualified_casts(parse_expression(text)) == tuple(_unqualified_type_names(parsed.tree))


# -- one walk for the function policy, the casts and the loader's unqualified casts ----------------

def _corpus_trees():
    """Parse trees of every expression shape the tests name, and of every statement of the golden SQL."""
    import json
    from pathlib import Path

    from pglast.parser import parse_sql_json

    from .test_perf_equivalence import EXPRESSIONS

    trees = []
    for text in EXPRESSIONS + CAST_TEXTS + POLICY_TEXTS + [
            "nextval('public.s'::regclass)", "auth.uid() = u", "pg_catalog.lower(x) || 'a'::pg_catalog.text",
            "x IN (SELECT a FROM b TABLESAMPLE evil.m (1))", "a OPERATOR(evil.+) b", "$1 > 0",
            "EXISTS (SELECT 1 FROM t FOR UPDATE)", "CURRENT_DATE > d", "xmlserialize(DOCUMENT x AS public.d)",
            "ARRAY[1,2]::int[]", "row(1, 'a'::public.mood)::public.pair", "lower(x) COLLATE \"C\""]:
        try:
            trees.append(parse_expression(text).tree)
        except ExpressionError:
            pass
    for sql in sorted((Path(__file__).parent / "golden" / "sql").glob("*.sql")):
        trees += [s["stmt"] for s in json.loads(parse_sql_json(sql.read_text())).get("stmts") or ()]
    return trees


def test_walk_once_is_both_walks():
    from schemadiff.casts import _type_name, type_names
    from schemadiff.funcpolicy import _walk, walk_once

    trees = _corpus_trees()
    assert len(trees) > 150
    for tree in trees:
        walked = walk_once(tree)
        assert list(walked.nodes) == list(_walk(tree))
        assert [_type_name(t) for t in walked.types] == list(type_names(tree))


def test_a_judgement_with_the_walk_is_the_judgement_without():
    from schemadiff.funcpolicy import CONTEXTS, judge_tree, walk_once
    from schemadiff.speccalls import Callee

    mood, vec = QualifiedName("public", "mood"), QualifiedName("public", "vec")
    externals = [(), frozenset({QualifiedName("auth", "uid"), QualifiedName("evil", "m")})]
    cast_sets = [None, frozenset({mood}), frozenset({mood, vec})]
    functions = [(), (Callee("public", "f", 1, "v"), Callee("auth", "uid", 0, "i"))]
    judged = 0
    for tree in _corpus_trees():
        walked = walk_once(tree)
        for context in CONTEXTS:
            for external in externals:
                for casts in cast_sets:
                    for fns in functions:
                        want = judge_tree(tree, context, external, casts=casts, functions=fns)
                        assert judge_tree(tree, context, external, casts=casts, functions=fns, walked=walked) == want
                        judged += want is not None
    assert judged > 500  # problems of every kind, not only clean trees


@pytest.mark.parametrize("text", ["text", "uuid", "varchar(32)", "numeric(12,2)", "text[]", "serial", "public.mood"])
def test_shorthand_models_equal_fresh_ones(text):
    from schemadiff.spec import format as f
    from schemadiff.spec.tables import _shorthand_column, _shorthand_index_key

    for _ in range(2):
        assert _shorthand_column(text) == f.ColumnSpec(type=text)
        assert _shorthand_column(text).model_fields_set == f.ColumnSpec(type=text).model_fields_set == {"type"}
        assert _shorthand_index_key(text) == f.IndexColumnSpec(column=text)
        assert _shorthand_index_key(text).model_fields_set == {"column"}
    with pytest.raises(Exception):  # frozen: a value shared by every column written so cannot change
        _shorthand_column(text).nullable = False
