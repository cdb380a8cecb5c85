"""The published JSON Schema is generated from the format models, is current,
and accepts every example spec file (and rejects what the loader rejects)."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from schemadiff.spec.jsonschema import SCHEMA_FILES, render_schemas

from .conftest import EXAMPLES, ROOT

SCHEMAS = ROOT / "schemas"


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_published_schema_is_current(name):
    rendered = render_schemas()[name]
    published = (SCHEMAS / name).read_text(encoding="utf-8")
    assert published == rendered, "schemas/ is stale: run `schemadiff json-schema --out schemas`"


def _validator(name):
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


SPEC_FILES = sorted(EXAMPLES.glob("*/schema/**/*.yaml"))


@pytest.mark.parametrize("path", SPEC_FILES, ids=[str(p.relative_to(EXAMPLES)) for p in SPEC_FILES])
def test_example_files_validate_against_the_schema(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    name = (SCHEMA_FILES[0] if path.name == "schemadiff.yaml" else SCHEMA_FILES[2] if "function" in data
            else SCHEMA_FILES[3] if "view" in data else SCHEMA_FILES[1])
    errors = sorted(_validator(name).iter_errors(data), key=str)
    assert errors == []


def test_every_example_file_names_its_schema_for_editors():
    for path in SPEC_FILES:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("$schema=", 1)[1]).resolve()
        assert target.exists(), f"{path}: {target} does not exist"
        assert target.name in SCHEMA_FILES


@pytest.mark.parametrize("doc", [
    {"table": "t", "columns": {"a": {"type": "text", "nulable": False}}},
    {"table": "t", "columns": ["a"]},
    {"table": "t", "columns": {"a": "text"}, "indexes": {"i": {"columns": ["a"], "method": "bogus"}}},
    {"table": "t", "columns": {"a": {"type": "uuid", "on_delete": "cascad"}}},
    {"columns": {"a": "text"}},
])
def test_schema_rejects_what_the_loader_rejects(doc):
    assert list(_validator(SCHEMA_FILES[1]).iter_errors(doc)) != []


@pytest.mark.parametrize("doc", [{"table": "t"}, {"table": "t", "columns": {}},
                                 {"table": "t", "columns": {"id": {"type": "bigserial", "primary_key": True}}}])
def test_schema_accepts_what_the_loader_accepts(doc):
    assert list(_validator(SCHEMA_FILES[1]).iter_errors(doc)) == []
