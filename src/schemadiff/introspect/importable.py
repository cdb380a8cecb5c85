"""Functions import must leave out although plan reads them: import never writes a
spec its loader refuses (``searchpath.problem``: a SECURITY DEFINER function without
``pg_temp`` last, a ``pg_temp_N`` or ``pg_toast`` schema in a search_path).

Plan keeps them in the database's picture: a spec function of the same signature is
then a change (refused), not a CREATE the server would reject.
"""

from __future__ import annotations

from dataclasses import replace

from .. import searchpath
from ..model import Function, Schema
from .read import OutOfScope


def problem(fn: Function) -> str | None:
    """Why the loader would refuse ``fn`` as import would write it, or None."""
    if fn.security_definer and fn.search_path is None:
        return "SECURITY DEFINER without its own search_path"
    if fn.search_path is None:
        return None
    found = searchpath.problem(fn.search_path, fn.security_definer)
    return None if found is None else found[0]


def split(schema: Schema) -> tuple[Schema, list[OutOfScope]]:
    """``schema`` without the functions import cannot write, and those functions as left
    out (with the reason). A trigger that runs one names it as an external function."""
    kept, out = [], []
    for fn in schema.functions:
        why = problem(fn)
        if why is None:
            kept.append(fn)
        else:
            out.append(OutOfScope("function", fn.schema, f"{fn.name}({', '.join(a.type for a in fn.args)})", why))
    if not out:
        return schema, []
    left = {fn.qualified for fn in schema.functions} - {fn.qualified for fn in kept}
    used = {tr.function for t in schema.tables for tr in t.triggers}
    external = replace(schema.external, functions=tuple(sorted(set(schema.external.functions) | (left & used))))
    return replace(schema, functions=tuple(kept), external=external), out
