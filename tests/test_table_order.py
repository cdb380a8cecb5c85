"""``table_order`` (a heap-based Kahn's algorithm, linear-ish) gives exactly the
order its definition gives — the smallest ready table next, the smallest
remaining one when only cycles are left — computed here the slow, obvious way."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from schemadiff.compile.schema import table_order
from schemadiff.model import Column, ForeignKey, QualifiedName, Table


def by_definition(tables):
    by_name = {t.qualified: t for t in tables}
    deps = {t.qualified: {k.ref_table for k in t.foreign_keys if k.ref_table in by_name and k.ref_table != t.qualified}
            for t in tables}
    done, out, remaining = set(), [], sorted(by_name)
    while remaining:
        ready = [q for q in remaining if deps[q] <= done]
        chosen = ready[0] if ready else remaining[0]
        out.append(chosen)
        done.add(chosen)
        remaining.remove(chosen)
    return out


@st.composite
def graphs(draw):
    names = draw(st.lists(st.tuples(st.sampled_from(["a", "public"]), st.integers(0, 40)), min_size=1, max_size=30,
                          unique=True))
    names = [QualifiedName(s, f"t{i}") for s, i in names]
    targets = names + [QualifiedName("ext", "outside")]
    tables = []
    for q in names:
        refs = draw(st.lists(st.sampled_from(targets), max_size=3))
        fks = tuple(ForeignKey(f"fk{j}", ("x",), ref, ("id",)) for j, ref in enumerate(refs))
        tables.append(Table(q.schema, q.name, (Column("x", "integer"),), foreign_keys=fks))
    return tuple(draw(st.permutations(tables)))


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_table_order_is_its_definition(tables):
    assert [t.qualified for t in table_order(tables)] == by_definition(tables)
