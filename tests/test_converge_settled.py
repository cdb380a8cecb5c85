"""``converge`` keeps each offline answer for the plan (``converge._SETTLED``), keyed by both
texts, the policy's schema and every column type of the table: an answer given for one
table is never reused where any of those differ, and the answers are dropped when the
converge ends."""

from __future__ import annotations

from schemadiff.introspect import converge as cv
from schemadiff.model import Column, Schema, Table

POLICY = "EXISTS (SELECT 1 FROM t WHERE t.id = 1)"
SERVER = "(EXISTS ( SELECT 1 FROM public.t WHERE (t.id = 1)))"


def test_an_answer_is_kept_under_its_schema_and_types_only():
    cv._SETTLED.clear()
    types = cv._Types([("c", "integer")])
    assert cv._same_cheap(POLICY, SERVER, types, "public") is True
    # Same texts, another schema: the table named without one is another table.
    assert cv._same_cheap(POLICY, SERVER, types, "other") is False
    assert cv._same_cheap(POLICY, SERVER, cv._Types([("c", "text")]), "other") is False
    assert cv._same_cheap(POLICY, SERVER, types, "public") is True
    assert len(cv._SETTLED) == 3
    # Without the key (a plain dict), nothing is kept.
    assert cv._same_cheap(POLICY, SERVER, {"c": "integer"}, "public") is True
    assert len(cv._SETTLED) == 3
    cv._SETTLED.clear()


def test_a_converge_leaves_no_answer_behind():
    cols = (Column(name="id", type="bigint"), Column(name="n", type="integer", default="1"))
    desired = Schema(tables=(Table(schema="public", name="t", columns=cols),))
    current = Schema(tables=(Table(schema="public", name="t", columns=(
        Column(name="id", type="bigint"), Column(name="n", type="integer", default="(1)")),),))
    out = cv.converge(desired, current)
    assert out.tables[0].columns[1].default == "(1)"  # the database's spelling of an equal default
    assert out.tables[0].columns[0] is cols[0]  # an unchanged column is the spec's own object
    assert cv._SETTLED == {}
