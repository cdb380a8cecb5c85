"""Writing YAML that ``yamlread`` reads back exactly.

A string is written plain when that is unambiguous under our reader (and
pleasant to read), otherwise double-quoted with JSON-style escapes, which YAML's
double-quoted style accepts unchanged.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache

from .yamlread import (
    _BASE_PREFIX, _BOOL, _DATE, _FLOAT, _INT, _NULL, _OCTAL_LIKE, _SEXAGESIMAL, _SPECIAL_FLOAT,
    _UNDERSCORE_NUM, _YAML11_BOOL,
)

# Plain scalars we emit: no YAML indicators anywhere, so safe in block and flow context.
_PLAIN_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .()'<>=!+*/$-]*$")
_TYPED = (_NULL, _YAML11_BOOL, _INT, _FLOAT, _OCTAL_LIKE, _BASE_PREFIX, _UNDERSCORE_NUM, _SEXAGESIMAL,
          _SPECIAL_FLOAT, _DATE)
# What YAML may not hold raw (PyYAML's reader refuses U+FFFE/U+FFFF in a stream), escaped as \uXXXX.
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def plain_ok(text: str) -> bool:
    if not _PLAIN_SAFE.match(text) or text != text.strip() or "  " in text:
        return False
    if text in _BOOL or any(p.match(text) for p in _TYPED):
        return False
    # PyYAML's own resolver must also leave it a string (e.g. "y" stays text).
    return text.lower() not in ("y", "n", "yes", "no", "on", "off", "true", "false", "null")


def quoted(text: str) -> str:
    out = json.dumps(text, ensure_ascii=False)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", out)


@lru_cache(maxsize=65536)
def _string(text: str) -> str:
    """A string scalar (cached: keys and many values repeat in every file)."""
    return text if plain_ok(text) else quoted(text)


def scalar(value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):  # read back as the same float
        mantissa, e, exponent = repr(value).partition("e")
        return mantissa + ("" if "." in mantissa else ".0") + e + exponent
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")


def flow(value) -> str:
    """A value in flow style: scalars, [a, b], {k: v}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def block(value, indent: int = 0, width: int = 100) -> list[str]:
    """Lines of a mapping in block style; nested values in flow style when
    they fit in ``width`` columns, in block style otherwise."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{scalar(key)}:"
            if isinstance(item, (dict, list, tuple)) and item:
                one_line = f"{head} {flow(item)}"
                if len(one_line) <= width:
                    lines.append(one_line)
                elif isinstance(item, dict):
                    lines.append(head)
                    lines.extend(block(item, indent + 1, width))
                else:
                    lines.append(head)
                    for element in item:
                        text = flow(element)
                        if len(pad) + 4 + len(text) <= width or not isinstance(element, dict):
                            lines.append(f"{pad}  - {text}")
                        else:
                            sub = block(element, indent + 2, width)
                            lines.append(f"{pad}  - {sub[0].lstrip()}")
                            lines.extend(sub[1:])
            else:
                lines.append(f"{head} {flow(item)}")
        return lines
    raise TypeError("block() takes a mapping")


_BLOCK_SAFE = re.compile(r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]*$")


def literal_block(key: str, text: str) -> list[str]:
    """``key: |`` and the text as a literal block scalar, indented two spaces, with
    the chomping and indentation indicators that make it read back exactly; a
    quoted scalar when no block scalar does (checked by reading it back)."""
    from .yamlread import parse_yaml

    if _BLOCK_SAFE.match(text) and text.strip():
        content = text[:-1] if text.endswith("\n") else text
        chomp = "-" if not text.endswith("\n") else ("+" if content.endswith("\n") or content == "" else "")
        first = next((line for line in content.split("\n") if line.strip()), "")
        indent = "2" if first[:1] in (" ", "\t") else ""
        lines = [f"{scalar(key)}: |{indent}{chomp}"] + [("  " + line) if line else "" for line in content.split("\n")]
        try:
            back = parse_yaml(("\n".join(lines) + "\n").encode("utf-8"), "<body>")
        except Exception:  # noqa: BLE001 — any failure: the quoted form below
            back = None
        if isinstance(back, dict) and back.get(key) == text:
            return lines
    return [f"{scalar(key)}: {quoted(text)}"]
