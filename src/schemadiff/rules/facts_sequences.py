"""Which sequence option changes keep every writer working (shared by SD203 and SD411)."""

from __future__ import annotations

from ..model import SEQUENCE_TYPES


def incompatible(before, after, changed: tuple[str, ...]) -> list[str]:
    """Why each changed option of a sequence could break a writer or a reader; [] when none could."""
    out = []
    for key in changed:
        b, a = getattr(before, key), getattr(after, key)
        if key == "type" and SEQUENCE_TYPES.index(a) < SEQUENCE_TYPES.index(b):
            out.append(f"type {b} -> {a} narrows it (values already handed out may not fit)")
        elif key == "maxvalue" and a < b:
            out.append(f"maxvalue {b} -> {a} tightens it (nextval() fails sooner; may be below the current value)")
        elif key == "minvalue" and a > b:
            out.append(f"minvalue {b} -> {a} tightens it (nextval() fails sooner; may be above the current value)")
        elif key == "increment" and (a > 0) != (b > 0):
            out.append(f"increment {b} -> {a} reverses it (it would hand out values already used)")
        elif key == "cycle":
            out.append(f"cycle {b} -> {a} changes what happens at the end "
                       + ("(wrapping around repeats values)" if a else "(nextval() starts failing there)"))
        elif key == "owned_by" and b is not None:
            out.append(f"owned_by {'.'.join(b)} -> {'none' if a is None else '.'.join(a)} changes what dropping "
                       "a column drops")
    return out
