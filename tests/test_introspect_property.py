"""Property: spec -> SQL -> database -> introspect gives back the loaded model.

Structure must match exactly (names, types, nullability, identity, keys,
foreign keys and their actions, index keys/order/nulls/method/include, RLS,
policies, comments, enum labels in order). Expression *text* is the server's
own after a round trip (``IN`` becomes ``= ANY``), so expressions are compared
by the columns they use: a wrong expression attached to a wrong object fails.
"""

from __future__ import annotations

from dataclasses import replace

import psycopg
from hypothesis import HealthCheck, given, settings

from schemadiff.compile import compile_schema, render_script
from schemadiff.expressions import parse_expression, references
from schemadiff.introspect import introspect
from schemadiff.spec import load_spec

from .pg import EMPTY_PUBLIC
from .test_compile_property import _write, specs

_RESET = EMPTY_PUBLIC + 'DROP SCHEMA IF EXISTS "Other Schema" CASCADE;\n'


def _columns_used(text):
    if text is None:
        return None
    return frozenset(ref[-1] for ref in references(parse_expression(text)).columns)


def _shape(t):
    return replace(
        t,
        columns=tuple(replace(c, default=c.default is not None, generated=_columns_used(c.generated))
                      for c in t.columns),
        checks=tuple(replace(c, expression=_columns_used(c.expression)) for c in t.checks),
        indexes=tuple(replace(ix, where=_columns_used(ix.where),
                              elements=tuple(replace(e, expression=_columns_used(e.expression)) for e in ix.elements))
                      for ix in t.indexes),
        policies=tuple(replace(p, using=_columns_used(p.using), with_check=_columns_used(p.with_check))
                       for p in t.policies),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(specs())
def test_introspection_round_trips_generated_specs(pg, db, tmp_path_factory, spec):
    enums, tables = spec
    loaded = load_spec(_write(tmp_path_factory.mktemp("spec"), enums, tables)).schema
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute(_RESET)
        conn.execute(render_script(compile_schema(loaded)))
        try:
            found = introspect(conn, ["public", *loaded.schemas]).schema
        finally:
            conn.execute(_RESET)
    assert found.schemas == loaded.schemas
    assert found.enums == loaded.enums
    assert found.external.types == () and found.external.tables == ()
    assert [t.qualified for t in found.tables] == [t.qualified for t in loaded.tables]
    for got, want in zip(found.tables, loaded.tables):
        assert _shape(got) == _shape(want)
