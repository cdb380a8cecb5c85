"""Validate YAML data against the format models, with errors that point at
the file, line and column and suggest the key that was probably meant."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Mark, SpecError, SpecIssue
from .yamlread import YList, YMap

_KIND_NAMES = {
    "str": "text", "bool": "true or false", "int": "a whole number", "float": "a number",
    "list": "a list", "dict": "a mapping", "NoneType": "nothing (null)",
}


def _kind(value: Any) -> str:
    return _KIND_NAMES.get(type(value).__name__.replace("YMap", "dict").replace("YList", "list"), type(value).__name__)


def _model_fields(cls: type[BaseModel]) -> dict[str, Any]:
    """Keys a model accepts (aliases first) -> annotation."""
    out = {}
    for name, info in cls.model_fields.items():
        out[info.alias or name] = info.annotation
    return out


def _unwrap(tp: Any) -> list[Any]:
    """The alternatives of Optional/Union/Annotated, flattened."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out = []
        for arg in typing.get_args(tp):
            out.extend(_unwrap(arg))
        return out
    return [tp]


def _tag_matches(tag: str, value: Any) -> bool | None:
    """Does a pydantic union-branch tag fit the data? None: not a tag."""
    base = tag.split("[", 1)[0]
    if base in ("str", "constrained-str"):
        return isinstance(value, str)
    if base == "bool":
        return isinstance(value, bool)
    if base == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if base == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if base == "list":
        return isinstance(value, list)
    if base == "dict":
        return isinstance(value, dict)
    if base in ("none", "NoneType"):
        return value is None
    if base and base[0].isupper():
        return isinstance(value, dict)
    if base.startswith("literal") or base.startswith("function"):
        return isinstance(value, str)
    return None


class _Located:
    def __init__(self, mark: Mark | None, key_mark: Mark | None, path: list[str], value: Any,
                 parent_keys: list[str] | None, union_point: tuple | None, dropped: bool):
        self.mark = mark
        self.key_mark = key_mark
        self.path = path
        self.value = value
        self.parent_keys = parent_keys
        self.union_point = union_point
        self.dropped = dropped


def _locate(root_cls: type[BaseModel], data: Any, loc: tuple) -> _Located:
    value = data
    mark = getattr(data, "mark", None)
    key_mark = None
    candidates: list[Any] = [root_cls]
    path: list[str] = []
    parent_keys: list[str] | None = None
    union_point = None
    dropped = False
    for element in loc:
        models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if isinstance(value, dict) and element in value:
            # A key of the data: a field of a model, or a key of a dict field.
            next_candidates: list[Any] = []
            known_here: list[str] = []
            matched = False
            for cls in models:
                fields = _model_fields(cls)
                known_here.extend(fields)
                if element in fields:
                    matched = True
                    next_candidates.extend(_unwrap(fields[element]))
            for c in candidates:
                if typing.get_origin(c) is dict:
                    matched = True
                    next_candidates.extend(_unwrap(typing.get_args(c)[1]))
            parent_keys = None if matched else (known_here or None)
            key_mark = value.key_marks.get(element) if isinstance(value, YMap) else None
            mark = value.value_marks.get(element) if isinstance(value, YMap) else mark
            value = value[element]
            path.append(str(element))
            candidates = next_candidates or candidates
            continue
        if isinstance(value, list) and isinstance(element, int) and 0 <= element < len(value):
            mark = value.item_marks[element] if isinstance(value, YList) else mark
            key_mark = None
            value = value[element]
            path.append(f"[{element}]")
            next_candidates = []
            for c in candidates:
                if typing.get_origin(c) is list:
                    next_candidates.extend(_unwrap(typing.get_args(c)[0]))
            candidates = next_candidates or candidates
            continue
        if element == "[key]":  # the error is in the key itself (a name): point at the key
            mark = key_mark or mark
            continue
        if isinstance(element, str):
            fits = _tag_matches(element, value)
            if fits is not None:
                union_point = tuple(path)
                if not fits:
                    dropped = True
                narrowed = [c for c in candidates if getattr(c, "__name__", None) == element.split("[", 1)[0]]
                if narrowed:
                    candidates = narrowed
                continue
            # A key that is not in the data: a missing or unknown field.
            fields_here: list[str] = []
            for cls in models:
                fields_here.extend(_model_fields(cls))
            parent_keys = fields_here or parent_keys
            path.append(element)
            if isinstance(value, YMap) and element in value.key_marks:
                key_mark = value.key_marks[element]
            break
    return _Located(mark, key_mark, path, value, parent_keys, union_point, dropped)


_NAMED = {"columns": "column", "indexes": "index", "policies": "policy", "enums": "enum"}


def _describe_path(path: list[str]) -> str:
    """``['columns', 'a', 'nullable']`` -> ``column a, nullable``."""
    words: list[str] = []
    i = 0
    while i < len(path):
        part = path[i]
        if part in _NAMED and i + 1 < len(path):
            words.append(f"{_NAMED[part]} {path[i + 1]}")
            i += 2
            continue
        if part.startswith("[") and words:
            words[-1] += f" #{int(part[1:-1]) + 1}"
        elif part != "rls" or i + 1 == len(path):
            words.append(part)
        i += 1
    return ", ".join(words)


def validate(model_cls: type[BaseModel], data: Any, file: str) -> BaseModel:
    if not isinstance(data, dict):
        raise SpecError([SpecIssue(Mark(file, 1, 1), f"expected a mapping at the top of the file, found {_kind(data)}")])
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_issues(model_cls, data, file, exc.errors())) from None


def _issues(model_cls, data, file, errors) -> list[SpecIssue]:
    kept: list[SpecIssue] = []
    kept_paths: set[tuple] = set()
    dropped: dict[tuple, list[tuple[_Located, dict]]] = {}
    for err in errors:
        located = _locate(model_cls, data, tuple(err["loc"]))
        if located.dropped:
            dropped.setdefault(located.union_point or (), []).append((located, err))
            continue
        issue = _issue(located, err, file)
        if issue.render() not in {k.render() for k in kept}:
            kept.append(issue)
        kept_paths.add(tuple(located.path))
    for point, items in dropped.items():
        if any(p[: len(point)] == point for p in kept_paths):
            continue
        if any(len(other) > len(point) and other[: len(point)] == point for other in dropped):
            continue  # a deeper value is what is wrong (a column's default, not the column): said there
        located, _ = items[0]
        # each union branch that failed on the value's type: its tag is the last element of the error's place
        wanted = sorted({_wanted(e["loc"][-1]) if isinstance(e["loc"][-1], str) else "a value"
                         for _, e in items if len(e["loc"]) > len(point)})
        where = _describe_path(list(point))
        kept.append(SpecIssue(located.mark, f"expected {' or '.join(wanted)}, found {_kind(located.value)}", where=where,
                              hint=_flow_hint(located, "text" in wanted)))
    return kept


def _wanted(tag: str) -> str:
    """What a pydantic union branch's tag accepts, in words."""
    base = tag.split("[", 1)[0]
    if base in ("str", "constrained-str") or base.startswith(("literal", "function")):
        return "text"
    if base in ("none", "NoneType"):
        return "nothing (null)"
    return _KIND_NAMES.get(base, "a mapping")


def _flow_hint(located: _Located, text_wanted: bool) -> str:
    """For ``default: []`` or ``default: {}`` where text was meant: YAML read a flow collection."""
    if not text_wanted or not isinstance(located.value, (list, dict)):
        return ""
    opened = "[...]" if isinstance(located.value, list) else "{...}"
    kind = "list" if isinstance(located.value, list) else "mapping"
    key = located.path[-1] if located.path else "value"
    example = ("'{}'::jsonb" if isinstance(located.value, dict) else "'[]'::jsonb") if key == "default" else "..."
    return (f"YAML reads an unquoted {opened} as a {kind}: quote the whole value for the text, "
            f"e.g. {key}: \"{example}\"")


def _issue(located: _Located, err: dict, file: str) -> SpecIssue:
    kind = err["type"]
    where = _describe_path(located.path)
    mark = located.mark or Mark(file, 1, 1)
    if kind == "extra_forbidden":
        key = located.path[-1] if located.path else "?"
        hint = ""
        if located.parent_keys:
            close = difflib.get_close_matches(key, located.parent_keys, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "valid keys: " + ", ".join(located.parent_keys)
        if re.match(r"^\s*\d*\s*\)", key):
            hint = ('a comma inside {...} separates keys: quote a type with a comma, '
                    'e.g. type: "numeric(10,2)"')
        return SpecIssue(located.key_mark or mark, f"unknown key '{key}'", where=_describe_path(located.path[:-1]), hint=hint)
    if kind == "missing":
        key = located.path[-1] if located.path else "?"
        return SpecIssue(mark, f"missing required key '{key}'", where=_describe_path(located.path[:-1]))
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        hint = ""
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",") if o.strip()]
        if isinstance(located.value, str):
            close = difflib.get_close_matches(located.value, options, n=1, cutoff=0.5)
            if close:
                hint = f"did you mean '{close[0]}'?"
        return SpecIssue(mark, f"{located.value!r} is not one of: {', '.join(options)}", where=where, hint=hint)
    if kind in ("string_type", "bool_type", "int_type", "float_type", "list_type", "dict_type", "model_type",
                "model_attributes_type", "int_from_float"):
        wanted = {"string_type": "text", "bool_type": "true or false", "int_type": "a whole number",
                  "float_type": "a number", "list_type": "a list", "dict_type": "a mapping",
                  "model_type": "a mapping", "model_attributes_type": "a mapping",
                  "int_from_float": "a whole number"}[kind]
        hint = ""
        if kind == "bool_type" and isinstance(located.value, str):
            hint = "write true or false (unquoted)"
        if kind == "string_type" and isinstance(located.value, bool):
            hint = f'quote it ("{str(located.value).lower()}") if you mean the text'
        if kind == "string_type":
            hint = hint or _flow_hint(located, True)
        return SpecIssue(mark, f"expected {wanted}, found {_kind(located.value)}", where=where, hint=hint)
    if kind in ("too_short",):
        return SpecIssue(mark, "must not be empty", where=where)
    if kind == "value_error":  # a check of spec/chars.py
        return SpecIssue(mark, str(err.get("ctx", {}).get("error", err["msg"])), where=where)
    return SpecIssue(mark, err["msg"], where=where)
