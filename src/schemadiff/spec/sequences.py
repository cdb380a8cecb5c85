"""The root's `sequences:` section -> ``model.Sequence`` objects.

Sequences live in ``schemadiff.yaml`` beside the enums: like an enum, a sequence
is a small named object of a schema with a handful of options, and one line per
sequence reads better than a file each. Every option left out becomes the value
``CREATE SEQUENCE`` would choose, so the model always holds concrete values and
compares equal to what introspection reads.
"""

from __future__ import annotations

from ..identifiers import NameSyntaxError, split_dotted
from ..model import SEQUENCE_BOUNDS, QualifiedName, Sequence, Table, sequence_defaults
from . import format as f
from .context import FileContext
from .resolve import ResolveError, check_identifier


def build_sequences(root: f.RootSpec, ctx: FileContext) -> list[Sequence]:
    out: list[Sequence] = []
    for name, s in root.sequences.items():
        path = ("sequences", name)
        q = QualifiedName(s.schema_ or root.schema_, name)
        where = f"sequence {q}"
        try:
            check_identifier(name, "sequence name")
        except ResolveError as exc:
            ctx.error(path, str(exc), hint=exc.hint, key=True)
        if s.increment == 0:
            ctx.error(path + ("increment",), "INCREMENT must not be zero", where)
            continue
        low, high = SEQUENCE_BOUNDS[s.type]
        dmin, dmax = sequence_defaults(s.type, s.increment)
        minvalue = dmin if s.minvalue is None else s.minvalue
        maxvalue = dmax if s.maxvalue is None else s.maxvalue
        bad = False
        for key, value in (("minvalue", minvalue), ("maxvalue", maxvalue)):
            if not low <= value <= high:
                ctx.error(path + (key,), f"{key} {value} is out of range for type {s.type} ({low} to {high})", where)
                bad = True
        if not bad and minvalue >= maxvalue:
            ctx.error(path + ("minvalue",), f"minvalue ({minvalue}) must be less than maxvalue ({maxvalue})", where)
            bad = True
        start = (minvalue if s.increment > 0 else maxvalue) if s.start is None else s.start
        if not bad and not minvalue <= start <= maxvalue:
            ctx.error(path + ("start",), f"start {start} is not between minvalue {minvalue} and maxvalue {maxvalue}",
                      where)
        if abs(s.increment) > high:
            ctx.error(path + ("increment",), f"increment {s.increment} is out of range for type {s.type}", where)
        if s.cache < 1 or s.cache > 2**63 - 1:
            ctx.error(path + ("cache",), f"cache {s.cache} must be at least 1", where)
        owned_by = None
        if s.owned_by is not None:
            try:
                parts = split_dotted(s.owned_by)
            except NameSyntaxError as exc:
                parts = []
                ctx.error(path + ("owned_by",), str(exc), where)
            else:
                if len(parts) != 2:
                    ctx.error(path + ("owned_by",), f"{s.owned_by!r} is not `table.column`", where,
                              hint="the table is in the sequence's own schema (PostgreSQL allows no other)")
                else:
                    owned_by = (parts[0], parts[1])
        out.append(Sequence(q.schema, q.name, s.type, start, s.increment, minvalue, maxvalue, s.cache, s.cycle,
                            owned_by, s.comment))
    return out


def check_sequences(sequences: list[Sequence], tables: list[Table], ctx: FileContext) -> None:
    """Owners exist and hold an integer-like column; names are free in the relation namespace."""
    by_name = {t.qualified: t for t in tables}
    taken: dict[tuple[str, str], str] = {}
    from ..normalize import serial_sequence
    for t in tables:
        taken[(t.schema, t.name)] = f"table {t.qualified}"
        for ix in t.indexes:
            taken[(t.schema, ix.name)] = f"index {ix.name} of table {t.qualified}"
        if t.primary_key:
            taken[(t.schema, t.primary_key.name)] = f"primary key {t.primary_key.name} of table {t.qualified}"
        for u in t.uniques:
            taken[(t.schema, u.name)] = f"unique {u.name} of table {t.qualified}"
        for c in t.columns:
            if c.serial:
                taken[(t.schema, serial_sequence(t.name, c.name))] = \
                    f"the sequence of serial column {c.name} of table {t.qualified}"
    for s in sequences:
        path = ("sequences", s.name)
        where = f"sequence {s.qualified}"
        if (s.schema, s.name) in taken:
            ctx.error(path, f"the name {s.name!r} is already used by {taken[(s.schema, s.name)]} in schema {s.schema}",
                      where, key=True)
        taken[(s.schema, s.name)] = where
        if s.owned_by is None:
            continue
        table = by_name.get(QualifiedName(s.schema, s.owned_by[0]))
        if table is None:
            ctx.error(path + ("owned_by",), f"owned_by names table {s.schema}.{s.owned_by[0]}, which the spec does "
                                            "not describe", where,
                      hint="a sequence may be owned only by a column of a table of the spec, in its own schema")
        elif table.column(s.owned_by[1]) is None:
            ctx.error(path + ("owned_by",), f"owned_by names column {s.owned_by[1]}, which table {table.qualified} "
                                            "does not have", where)


def fold_serial(sequences: list[Sequence], tables: list[Table]) -> tuple[list[Sequence], list[Table]]:
    """A sequence and the column it is owned by that are exactly what ``serial``
    makes (its name, the default options for the column's type, the column NOT
    NULL with ``nextval()`` of it as default) are one serial column: the model
    introspection reads from that database, so both spellings plan to nothing."""
    from dataclasses import replace

    from ..model import SERIAL_TYPES
    from ..normalize import serial_default, serial_sequence
    by_name = {t.qualified: t for t in tables}
    folded: dict[QualifiedName, dict[str, bool]] = {}
    kept = []
    for s in sequences:
        t = by_name.get(QualifiedName(s.schema, s.owned_by[0])) if s.owned_by else None
        col = t.column(s.owned_by[1]) if t is not None else None
        if (col is not None and col.type in SERIAL_TYPES and not col.serial and not col.nullable
                and col.identity is None and col.generated is None
                and s.name == serial_sequence(t.name, col.name)
                and col.default == serial_default(t.schema, t.name, col.name)
                and s == Sequence(s.schema, s.name, col.type, 1, 1, 1, SEQUENCE_BOUNDS[col.type][1], 1, False,
                                  s.owned_by, None)
                and sum(1 for o in sequences if o.schema == s.schema and o.owned_by == s.owned_by) == 1):
            folded.setdefault(t.qualified, {})[col.name] = True
            continue
        kept.append(s)
    out = [t if t.qualified not in folded else replace(t, columns=tuple(
        replace(c, serial=True) if c.name in folded[t.qualified] else c for c in t.columns)) for t in tables]
    return kept, out


def _regclass_name(text: str) -> tuple[str, ...] | None:
    """The name parts of a regclass input text as the server reads it (unquoted
    parts folded to lower case); None when it is not a name."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            j, buf = i + 1, []
            while j < n and not (text[j] == '"' and text[j + 1:j + 2] != '"'):
                buf.append(text[j])
                j += 2 if text[j] == '"' else 1
            if j >= n:
                return None
            parts.append("".join(buf))
            i = j + 1
        else:
            j = i
            while j < n and text[j] not in '."':
                j += 1
            part = text[i:j].strip()
            if not part:
                return None
            parts.append(part.lower())
            i = j
        if i < n:
            if text[i] != ".":
                return None
            i += 1
    return tuple(parts) or None


def sequence_calls(tree) -> list[str]:
    """The literal argument of each ``nextval('…')`` in an expression's parse tree."""
    found: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            call = node.get("FuncCall")
            if isinstance(call, dict):
                names = [i.get("String", {}).get("sval") for i in call.get("funcname") or ()]
                args = call.get("args") or []
                if names[-1:] == ["nextval"] and len(args) == 1:
                    arg = args[0]
                    while "TypeCast" in arg:
                        arg = arg["TypeCast"].get("arg") or {}
                    sval = (arg.get("A_Const") or {}).get("sval")
                    if sval is not None:
                        found.append(sval.get("sval", ""))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def check_nextval_defaults(sequences: list[Sequence], tables: list[Table], builders) -> None:
    """A default's ``nextval('…')`` names a sequence of the spec (or of a serial
    column), schema-qualified: apply runs with ``search_path = pg_catalog``."""
    from ..expressions import ExpressionError, parse_expression
    from ..normalize import serial_sequence
    known = {(s.schema, s.name) for s in sequences}
    known |= {(t.schema, serial_sequence(t.name, c.name)) for t in tables for c in t.columns if c.serial}
    for t in tables:
        b = builders[t.qualified]
        for c in t.columns:
            if c.default is None or "nextval" not in c.default.lower():
                continue
            try:
                calls = sequence_calls(parse_expression(c.default).tree)
            except ExpressionError:
                continue  # reported by the table's builder
            for text in calls:
                name = _regclass_name(text)
                where = f"table {t.qualified}"
                if name is None or len(name) != 2:
                    b.ctx.error(("columns", c.name, "default"),
                                f"nextval({text!r}) does not name a schema-qualified sequence", where,
                                hint="write nextval('schema.name'::regclass): apply runs with "
                                     "search_path = pg_catalog")
                elif name not in known:
                    b.ctx.error(("columns", c.name, "default"),
                                f"nextval() of sequence {name[0]}.{name[1]}, which the spec does not create", where,
                                hint="add it under `sequences:` in schemadiff.yaml")
