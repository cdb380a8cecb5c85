"""The JSON Schema of spec files, generated from the format models.

``schemas/`` in the repository holds the output; a test fails when it is
stale. Regenerate with ``schemadiff json-schema --out schemas``.
"""

from __future__ import annotations

import json

from .format import FunctionSpec, RootSpec, TableSpec, ViewSpec

SCHEMA_FILES = ("schemadiff-root.schema.json", "schemadiff-table.schema.json", "schemadiff-function.schema.json",
                "schemadiff-view.schema.json")
BASE_ID = "https://schemadiff.dev/schemas/v1/"


def _schema(model, name: str, title: str) -> dict:
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_ID + name,
        "title": title,
        **schema,
    }


def render_schemas() -> dict[str, str]:
    docs = {
        SCHEMA_FILES[0]: _schema(RootSpec, SCHEMA_FILES[0], "schemadiff spec root (schemadiff.yaml)"),
        SCHEMA_FILES[1]: _schema(TableSpec, SCHEMA_FILES[1], "schemadiff table file"),
        SCHEMA_FILES[2]: _schema(FunctionSpec, SCHEMA_FILES[2], "schemadiff function file"),
        SCHEMA_FILES[3]: _schema(ViewSpec, SCHEMA_FILES[3], "schemadiff view file"),
    }
    return {name: json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n" for name, doc in docs.items()}
