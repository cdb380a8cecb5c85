"""Storage parameters -> SQL: ``WITH (…)`` of CREATE TABLE/INDEX and ``ALTER … SET (…)``.

Keys come from the allowlist (``schemadiff.storage``) and are written as
identifiers; values are numbers, ``true``/``false`` or an enum's word as a
literal. Nothing of the spec reaches the text any other way: a key or value the
allowlist does not accept stops the compiler, whatever built the model.
"""

from __future__ import annotations

from .. import storage as st
from ..identifiers import quote_ident, quote_literal
from .verify import CompileError


def options_sql(kind: str, pairs, what: str) -> str:
    """``fillfactor = 80, toast.autovacuum_enabled = false`` for a relation of
    ``kind`` (``heap`` or an index method)."""
    out = []
    for key, value in pairs:
        p = st.param(kind, key)
        if p is None:
            raise CompileError(f"{key!r} is not a storage parameter of a {kind} relation", what)
        try:
            checked = st.check_value(p, value)
        except st.StorageError as exc:
            raise CompileError(str(exc), what) from None
        name = ".".join(quote_ident(part) for part in key.split(".", 1))
        text = st.render_value(p, checked)
        out.append(f"{name} = {quote_literal(text) if p.type == 'enum' else text}")
    return ", ".join(out)


def with_clause(kind: str, pairs, what: str) -> str:
    """`` WITH (…)``, or "" when there is nothing to set."""
    return f" WITH ({options_sql(kind, pairs, what)})" if pairs else ""
