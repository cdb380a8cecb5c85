"""What differs between the database's object and the spec's, field by field.

A finding such as ``! change policy tenant_isolation [SD406]`` must say what
changed, or a reviewer cannot tell a real change from a phantom one: for every
change that replaces one object by another (``before``: the database's,
``after``: the spec's), each field that differs, with both values as text. The
text plan prints them under the finding, the JSON plan carries them as
``differences``.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from enum import Enum

# Fields that say nothing a reviewer needs (the name is the object's, in the finding).
_SKIP = frozenset({"name"})


def _text(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return "(" + ", ".join(_text(v) for v in value) + ")"
    if is_dataclass(value):
        parts = [_text(getattr(value, f.name)) for f in fields(value)
                 if getattr(value, f.name) not in (None, (), False)]
        return " ".join(parts)
    return str(value)


def _compare(label: str, before, after, out: list[tuple[str, str, str]]) -> None:
    if before == after:
        return
    if is_dataclass(before) and is_dataclass(after) and type(before) is type(after):
        for f in fields(before):
            if f.name in _SKIP and label == "":
                continue
            _compare(f"{label}.{f.name}" if label else f.name, getattr(before, f.name), getattr(after, f.name), out)
        return
    if (isinstance(before, tuple) and isinstance(after, tuple) and len(before) == len(after)
            and any(is_dataclass(v) for v in before)):
        for i, (b, a) in enumerate(zip(before, after), 1):
            _compare(f"{label}[{i}]", b, a, out)
        return
    out.append((label, _text(before), _text(after)))


def differences(change) -> list[tuple[str, str, str]]:
    """(field, the database's value, the spec's value) for each field that differs,
    or [] for a change that is not a replacement of one object by another."""
    before, after = getattr(change, "before", None), getattr(change, "after", None)
    if not (is_dataclass(before) and is_dataclass(after)):
        return []
    out: list[tuple[str, str, str]] = []
    _compare("", before, after, out)
    return out
