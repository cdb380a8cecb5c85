"""The state a saved plan records: one pass over the model gives the whole
fingerprint and each object's hash, equal to hashing a schema holding only it."""

from __future__ import annotations

import json

import pytest

from schemadiff.fingerprint import digest, encode
from schemadiff.model import Schema
from schemadiff.plan import fingerprint, fingerprint_and_state
from schemadiff.spec import load_spec

from .conftest import EXAMPLES

NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "schema").is_dir())


@pytest.mark.parametrize("name", NAMES)
def test_fingerprint_and_state_agree_with_their_definition(name):
    schema = load_spec(EXAMPLES / name / "schema").schema
    whole, state = fingerprint_and_state(schema)
    assert whole == fingerprint(schema)
    expected = {f"table {t.schema}.{t.name}": fingerprint(Schema(tables=(t,)))[7:23] for t in schema.tables}
    expected |= {f"type {e.schema}.{e.name}": fingerprint(Schema(enums=(e,)))[7:23] for e in schema.enums}
    expected |= {f"extension {x.name}": fingerprint(Schema(extensions=(x,)))[7:23] for x in schema.extensions}
    expected |= {f"function {f.display()}": fingerprint(Schema(functions=(f,)))[7:23] for f in schema.functions}
    expected |= {f"view {v.schema}.{v.name}": fingerprint(Schema(views=(v,)))[7:23] for v in schema.views}
    assert state == expected and len(set(state.values())) == len(state)


def test_fingerprint_sees_a_change():
    schema = load_spec(EXAMPLES / "customer_care" / "schema").schema
    t = schema.tables[0]
    from dataclasses import replace
    moved = replace(schema, tables=(replace(t, comment="other"),) + schema.tables[1:])
    assert fingerprint(moved) != fingerprint(schema)
    assert fingerprint_and_state(moved)[1][f"table {t.schema}.{t.name}"] != \
        fingerprint_and_state(schema)[1][f"table {t.schema}.{t.name}"]


# -- the definition, written out the slow way: what every saved plan so far was made with ---------

import hashlib  # noqa: E402
import json  # noqa: E402
from dataclasses import fields, is_dataclass, replace  # noqa: E402
from enum import Enum  # noqa: E402

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


def _as_data(value):
    if is_dataclass(value):
        return {f.name: _as_data(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_as_data(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_data(v) for k, v in value.items()}
    return value


def _defined(schema: Schema) -> str:
    blob = json.dumps(_as_data(schema), sort_keys=True, ensure_ascii=False).encode("utf-8")
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def _synthetic() -> Schema:
    """Every kind of object the model holds, a few of each (the examples lack sequences)."""
    from schemadiff.model import Sequence, View

    schemas = [load_spec(EXAMPLES / name / "schema").schema for name in NAMES]
    seqs = (Sequence(schema="public", name="s1"), Sequence(schema="public", name="s2", increment=2))

    def unique(key, label):  # one object per name, as in one database (the examples share some)
        return tuple({label(x): x for s in schemas for x in getattr(s, key)}.values())

    return Schema(
        schemas=tuple(sorted({s for x in schemas for s in x.schemas})),
        extensions=unique("extensions", lambda x: x.name),
        enums=unique("enums", lambda x: x.qualified),
        tables=unique("tables", lambda x: x.qualified),
        sequences=seqs,
        functions=unique("functions", lambda x: x.display()),
        views=unique("views", lambda x: (x.schema, x.name)) + (
            View(schema="public", name="v1", query="SELECT 1 AS one"),
            View(schema="public", name="v2", query="SELECT 2 AS two", security_invoker=True, check_option="local",
                 comment="a view")),
    )


def test_the_bytes_hashed_are_those_of_the_definition():
    """Same bytes as before: a plan saved by an earlier version is judged as it was."""
    for schema in [Schema(), _synthetic()] + [load_spec(EXAMPLES / n / "schema").schema for n in NAMES]:
        whole, state = fingerprint_and_state(schema)
        assert whole == fingerprint(schema) == _defined(schema)
        alone = Schema()
        for key, label in (("tables", lambda t: f"table {t.schema}.{t.name}"),
                           ("sequences", lambda q: f"sequence {q.schema}.{q.name}"),
                           ("views", lambda v: f"view {v.schema}.{v.name}")):
            for obj in getattr(schema, key):
                assert state[label(obj)] == _defined(replace(alone, **{key: (obj,)}))[7:23]


# The ``comment`` of keys, checks, foreign keys, policies and triggers came after cafda4b:
# it is in every hash since, so a plan saved before is stale (test_member_comments), never
# misjudged. Without it, the bytes hashed are still cafda4b's.
MEMBER_COMMENT_OWNERS = ("primary_key", "uniques", "checks", "foreign_keys", "policies", "triggers")


def before_member_comments(data: dict) -> dict:
    """A model's definition data (``json.loads(encode(...))``) as cafda4b's model gave it."""
    for t in data["tables"]:
        for key in MEMBER_COMMENT_OWNERS:
            for item in [t[key]] if isinstance(t[key], dict) else t[key] or []:
                del item["comment"]
    return data


def _digest_before(value) -> str:
    return digest(json.dumps(before_member_comments(json.loads(encode(value))), sort_keys=True,
                             ensure_ascii=False))


def test_fingerprints_pinned_from_earlier_versions():
    """Values the code of commit cafda4b computed (the plan format is still v1): the
    model hashed as it was then gives them still; with the comment fields, new values."""
    assert fingerprint(Schema()) == "sha256:dcc4511d80f3a253cb25196600f0ef8d964eb35d9092abf392af28dad33113a3"
    schema = load_spec(EXAMPLES / "customer_care" / "schema").schema
    whole, state = fingerprint_and_state(schema)
    assert _digest_before(schema) == "sha256:209e55129bbaeef7d7b12a89f2d637cb5e7a7b67535e03e6a91646fe6f5e989e"
    table = next(t for t in schema.tables if t.name == "customer_care_state")
    assert _digest_before(Schema(tables=(table,)))[7:23] == "5dc810eb8ed3a370"
    assert whole == "sha256:63d54165b03c79a52196ce8ec0dedd2e2229df555fbd4b502a7d1f7ed728bc1c"
    assert state["table public.customer_care_state"] != "5dc810eb8ed3a370"
    whole, state = fingerprint_and_state(load_spec(EXAMPLES / "engagement" / "schema").schema)
    assert _digest_before(load_spec(EXAMPLES / "engagement" / "schema").schema) \
        == "sha256:5f084b09e1823f00acd5bb9f9fe49891a576e691ea40648a086609b8a6f46f31"
    assert state["function public.update_updated_at_column()"] == "51bb77aceb7e5f71"  # no table: unchanged


def _paths(value, path=()):
    """Every field reachable in a model object: (path, value) down to the leaves."""
    if is_dataclass(value):
        for f in fields(value):
            yield from _paths(getattr(value, f.name), path + (f.name,))
    elif isinstance(value, tuple) and value:
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))
        yield path, value
    else:
        yield path, value


def _other(value):
    """A value of the field that is not ``value``."""
    if isinstance(value, Enum):
        return next(m for m in type(value) if m is not value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, tuple):
        return value[:-1]
    if value is None:
        return "x"
    raise AssertionError(f"no other value for {value!r}")


def _set(obj, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(obj, tuple):
        return obj[:head] + (_set(obj[head], rest, new),) + obj[head + 1:]
    return replace(obj, **{head: _set(getattr(obj, head), rest, new)})


_SCHEMA = _synthetic()
_LEAVES = [(key, i, path) for key in ("tables", "enums", "sequences", "functions", "views", "extensions")
           for i, obj in enumerate(getattr(_SCHEMA, key)) for path, value in _paths(obj)
           if value != ()]  # an empty tuple's items have no type to make one from


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_LEAVES))
def test_every_field_of_every_object_moves_the_fingerprint(leaf):
    """Any field of any object (a column's type, a policy's role list, an index
    element's order, a trigger's WHEN, ...) changed: the whole fingerprint and that
    object's own hash both change, and no other object's."""
    key, i, path = leaf
    objs = getattr(_SCHEMA, key)
    obj = objs[i]
    old = dict(_paths(obj))[path]
    moved_obj = _set(obj, path, _other(old))
    moved = replace(_SCHEMA, **{key: objs[:i] + (moved_obj,) + objs[i + 1:]})
    before, before_state = fingerprint_and_state(_SCHEMA)
    after, after_state = fingerprint_and_state(moved)
    assert after != before
    assert after == _defined(moved)
    changed = {k for k in before_state if before_state[k] != after_state.get(k)} | (after_state.keys() - before_state.keys())
    assert changed, f"{key}[{i}] {path}: no object's hash moved"
    assert len(changed) <= 2  # the object itself (and its new label, when the field is part of its name)


def test_every_field_is_reached():
    """The leaves sampled above cover every field of every kind of object in the model."""
    from schemadiff import model

    seen = {(type(o).__name__, f) for o, f in _fields_seen(_SCHEMA)}
    for cls in (model.Table, model.Column, model.CheckConstraint, model.Index, model.IndexElement,
                model.Policy, model.ForeignKey, model.Sequence, model.EnumType, model.Function, model.View):
        missing = {f.name for f in fields(cls)} - {f for c, f in seen if c == cls.__name__}
        assert not missing, f"{cls.__name__}: {sorted(missing)}"


def _fields_seen(value):
    if is_dataclass(value):
        for f in fields(value):
            yield value, f.name
            yield from _fields_seen(getattr(value, f.name))
    elif isinstance(value, tuple):
        for v in value:
            yield from _fields_seen(v)


def test_a_plan_hashes_its_state_only_when_asked(monkeypatch):
    """``build_plan`` keeps the state it was made against and hashes it on first use
    (a plan shown as text never asks); what it gives is what it gave when computed
    at once: the state's fingerprint, each object's hash, and the steps' fingerprint."""
    import schemadiff.plan as plan_module
    from schemadiff.plan import build_plan, plan_fingerprint

    desired = load_spec(EXAMPLES / "engagement" / "schema").schema
    current = replace(desired, tables=desired.tables[1:])
    calls = []
    real = plan_module.fingerprint_and_state
    monkeypatch.setattr(plan_module, "fingerprint_and_state", lambda s: calls.append(s) or real(s))
    plan = build_plan(current, desired)
    assert plan.steps and not calls
    whole, state = real(current)
    assert (plan.database_fingerprint, plan.state) == (whole, state) and len(calls) == 1
    assert plan.fingerprint == plan_fingerprint(whole, plan.steps) != plan_fingerprint(whole, [])
    assert len(calls) == 1
    offline = build_plan(current, desired, mode="spec")
    assert (offline.fingerprint, offline.state, offline.database_fingerprint) == ("", {}, "")
