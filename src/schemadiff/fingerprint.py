"""The database state a saved plan is checked against: a hash of the model, and
one per object (so a stale plan can say what moved).

Definition (unchanged since plans were first saved; ``schemadiff.plan/v1``): the
SHA-256 of ``json.dumps(data, sort_keys=True, ensure_ascii=False)`` in UTF-8,
where ``data`` is the model as ``dataclasses.asdict`` would give it (each
dataclass a dict of all its fields, an enum its value, a tuple a list). An
object's own hash is that of a schema holding only it, cut to 16 hex digits.

How it is computed here: C's JSON encoder walks the model itself (``default``
turns a dataclass into a dict of its fields, an enum into its value), each
object of the schema is encoded once, and the text of the whole schema and of
each one-object schema are joined from those pieces, exactly as the encoder
would have written them (``{"key": value, ...}`` in sorted key order, ``", "``
and ``": "`` between items). So the bytes hashed are the same as before, and
plans saved by earlier versions are judged stale or current as before.
``tests/test_fingerprint.py`` compares both against the definition above.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass
from enum import Enum

from .model import Schema

_FIELDS: dict[type, tuple[str, ...]] = {}


def _default(value):
    """What the C encoder cannot write by itself: a dataclass (as the dict of its
    fields) or an enum that is not a str (as its value)."""
    names = _FIELDS.get(type(value))
    if names is None:
        if not is_dataclass(value) or isinstance(value, type):
            if isinstance(value, Enum):
                return value.value
            raise TypeError(f"cannot fingerprint a {type(value).__name__}")
        names = _FIELDS[type(value)] = tuple(f.name for f in fields(value))
    return {n: getattr(value, n) for n in names}


_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=_default).encode


def encode(value) -> str:
    """``value`` as the fingerprint's JSON text."""
    return _ENCODE(value)


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# The schema's lists of objects, with the label of each object in the state.
_OBJECTS = (
    ("tables", lambda t: f"table {t.schema}.{t.name}"),
    ("enums", lambda e: f"type {e.schema}.{e.name}"),
    ("sequences", lambda q: f"sequence {q.schema}.{q.name}"),
    ("functions", lambda fn: f"function {fn.display()}"),
    ("views", lambda v: f"view {v.schema}.{v.name}"),
    ("extensions", lambda x: f"extension {x.name}"),
)
_EMPTY = Schema()


def fingerprint(schema: Schema) -> str:
    """A stable hash of a model (the database state a plan was made against)."""
    return digest(encode(schema))


def fingerprint_and_state(schema: Schema) -> tuple[str, dict[str, str]]:
    """``fingerprint(schema)`` and a hash per object (that of a schema holding only
    it), each object encoded once."""
    keys = sorted(_default(_EMPTY))
    key_text = {k: encode(k) + ": " for k in keys}
    lists = {k for k, _ in _OBJECTS}
    # The members of the one-object schema: every other field as in an empty schema.
    empty = {k: key_text[k] + encode(getattr(_EMPTY, k)) for k in keys}
    whole = []
    encoded: dict[str, list[str]] = {}
    for k in keys:
        value = getattr(schema, k)
        if k in lists:
            parts = encoded[k] = [encode(o) for o in value]
            whole.append(key_text[k] + "[" + ", ".join(parts) + "]")
        else:
            whole.append(key_text[k] + encode(value))
    state = {}
    for k, label in _OBJECTS:
        at = keys.index(k)
        before = ", ".join(empty[n] for n in keys[:at])
        after = ", ".join(empty[n] for n in keys[at + 1:])
        head = "{" + before + (", " if before else "") + key_text[k] + "["
        tail = "]" + (", " if after else "") + after + "}"
        for obj, text in zip(getattr(schema, k), encoded[k]):
            state[label(obj)] = digest(head + text + tail)[7:23]
    return digest("{" + ", ".join(whole) + "}"), state
