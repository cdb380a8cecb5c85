"""The state a saved plan records: one pass over the model gives the whole
fingerprint and each object's hash, equal to hashing a schema holding only it."""

from __future__ import annotations

import pytest

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
