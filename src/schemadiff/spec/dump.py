"""A model -> a spec directory a person would have written.

Used by ``schemadiff import``. Shorthand where it applies (``name: text``,
column-level ``primary_key``/``unique``/``check``/``references``), no restated
defaults (no ``nullable: true``), constraint names only where PostgreSQL's own
default name would differ. The result is verified by loading it with the real
loader: the model it loads into must equal the one it was written from.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from ..identifiers import MAX_IDENTIFIER_BYTES, choose_name, column_names_part, identifier_bytes
from ..model import (
    SERIAL_TYPES, FkAction, ForeignKey, Function, Index, Policy, PolicyCommand, QualifiedName, Schema, Sequence,
    SortOrder, Table, Trigger, View, sequence_defaults,
)
from .yamlwrite import block, literal_block

HEADER_ROOT = "# Written by `schemadiff import`. Edit freely: this is now the source of truth.\n"


def _spec_name(name: str) -> str:
    """A name as spec text: exact, quoted only when it holds a dot, a quote or parens."""
    if any(ch in name for ch in '."()') or name != name.strip() or "," in name:
        return '"' + name.replace('"', '""') + '"'
    return name


def _qualified(q: QualifiedName, default_schema: str) -> str:
    if q.schema == default_schema:
        return _spec_name(q.name)
    return f"{_spec_name(q.schema)}.{_spec_name(q.name)}"


def _type_text(type_text: str, enums: dict[str, QualifiedName], default_schema: str) -> str:
    """format_type text -> spec type: enums by name (qualified only outside the default schema)."""
    base, array = type_text, ""
    if base.endswith("[]"):
        base, array = base[:-2], "[]"
    if base in enums:
        q = enums[base]
        return _qualified(q, default_schema) + array
    return type_text


class _Names:
    """Decides which constraint names must be written out."""

    def __init__(self, explicit: set[tuple[str, str, str]]):
        self.explicit = explicit  # (schema, table, constraint name)

    def needed(self, table: Table, name: str) -> bool:
        return (table.schema, table.name, name) in self.explicit


def table_document(t: Table, schema: Schema, names: _Names, default_schema: str) -> dict:
    enums = {_enum_type_text(e.schema, e.name): e.qualified for e in schema.enums}
    doc: dict = {"table": t.name}
    if t.schema != default_schema:
        doc["schema"] = t.schema
    if t.comment is not None:
        doc["comment"] = t.comment
    if t.unlogged:
        doc["unlogged"] = True
    if t.storage:
        doc["storage"] = dict(t.storage)

    pk_inline = (t.primary_key is not None and len(t.primary_key.columns) == 1
                 and not names.needed(t, t.primary_key.name) and not t.primary_key.storage
                 and t.primary_key.comment is None)  # a comment needs the long form: the column has no place

    inline_unique: dict[str, object] = {}
    for u in t.uniques:
        if (len(u.columns) == 1 and not (u.nulls_not_distinct or u.deferrable or u.storage) and u.comment is None
                and not names.needed(t, u.name)
                and u.columns[0] not in inline_unique):
            inline_unique[u.columns[0]] = u
    inline_check: dict[str, object] = {}
    check_columns = _check_columns(t) if t.checks else {}
    for c in t.checks:
        col = check_columns.get(c.name)
        if col and col not in inline_check and not names.needed(t, c.name) and c.comment is None:
            inline_check[col] = c
    inline_fk: dict[str, ForeignKey] = {}
    for k in t.foreign_keys:
        if (len(k.columns) == 1 and not k.deferrable and not names.needed(t, k.name) and k.comment is None
                and k.columns[0] not in inline_fk):
            inline_fk[k.columns[0]] = k

    columns: dict = {}
    for c in t.columns:
        spec: dict = {"type": SERIAL_TYPES[c.type] if c.serial else _type_text(c.type, enums, default_schema)}
        if pk_inline and c.name == t.primary_key.columns[0]:
            spec["primary_key"] = True
        elif not c.nullable and c.identity is None and not c.serial:
            spec["nullable"] = False
        if c.identity is not None:
            spec["identity"] = c.identity.value
        if c.default is not None and not c.serial:
            spec["default"] = _default(c.default)
        if c.generated is not None:
            spec["generated"] = c.generated
        if c.collation is not None:
            spec["collation"] = c.collation
        if c.name in inline_unique:
            spec["unique"] = True
        if c.name in inline_check:
            spec["check"] = inline_check[c.name].expression
        if c.name in inline_fk:
            k = inline_fk[c.name]
            spec["references"] = f"{_qualified(k.ref_table, default_schema)}({_spec_name(k.ref_columns[0])})"
            if k.on_delete is not FkAction.NO_ACTION:
                spec["on_delete"] = k.on_delete.value
            if k.on_update is not FkAction.NO_ACTION:
                spec["on_update"] = k.on_update.value
        if c.comment is not None:
            spec["comment"] = c.comment
        columns[c.name] = spec["type"] if list(spec) == ["type"] else spec
    if columns:  # a table without columns has no `columns:` key
        doc["columns"] = columns

    if t.primary_key is not None and not pk_inline:
        pk_cols = list(t.primary_key.columns)
        pk_doc: dict = {"columns": pk_cols}
        if names.needed(t, t.primary_key.name):
            pk_doc["name"] = t.primary_key.name
        if t.primary_key.storage:
            pk_doc["storage"] = dict(t.primary_key.storage)
        if t.primary_key.comment is not None:
            pk_doc["comment"] = t.primary_key.comment
        doc["primary_key"] = pk_doc if len(pk_doc) > 1 else pk_cols
    uniques = []
    for u in t.uniques:
        if inline_unique.get(u.columns[0]) is u:
            continue
        entry: dict = {"columns": list(u.columns)}
        if names.needed(t, u.name):
            entry["name"] = u.name
        if u.nulls_not_distinct:
            entry["nulls_not_distinct"] = True
        if u.deferrable:
            entry["deferrable"] = True
        if u.initially_deferred:
            entry["initially_deferred"] = True
        if u.storage:
            entry["storage"] = dict(u.storage)
        if u.comment is not None:
            entry["comment"] = u.comment
        uniques.append(entry["columns"] if list(entry) == ["columns"] else entry)
    if uniques:
        doc["unique"] = uniques
    checks = []
    for c in t.checks:
        col = check_columns.get(c.name)
        if col and inline_check.get(col) is c:
            continue
        check: dict = {"expression": c.expression}
        if names.needed(t, c.name):
            check["name"] = c.name
        if c.comment is not None:
            check["comment"] = c.comment
        checks.append(check if len(check) > 1 else c.expression)
    if checks:
        doc["checks"] = checks
    fks = []
    for k in t.foreign_keys:
        if inline_fk.get(k.columns[0]) is k:
            continue
        entry = {"columns": list(k.columns),
                 "references": f"{_qualified(k.ref_table, default_schema)}({', '.join(_spec_name(c) for c in k.ref_columns)})"}
        if names.needed(t, k.name):
            entry["name"] = k.name
        if k.on_delete is not FkAction.NO_ACTION:
            entry["on_delete"] = k.on_delete.value
        if k.on_update is not FkAction.NO_ACTION:
            entry["on_update"] = k.on_update.value
        if k.deferrable:
            entry["deferrable"] = True
        if k.initially_deferred:
            entry["initially_deferred"] = True
        if k.comment is not None:
            entry["comment"] = k.comment
        fks.append(entry)
    if fks:
        doc["foreign_keys"] = fks
    if t.indexes:
        doc["indexes"] = {ix.name: _index(ix) for ix in t.indexes}
    if t.rls_enabled or t.rls_forced or t.policies:
        rls: dict = {}
        if not t.rls_enabled:
            rls["enabled"] = False
        if t.rls_forced:
            rls["forced"] = True
        if t.policies:
            rls["policies"] = {p.name: _policy(p) for p in t.policies}
        doc["rls"] = rls
    if t.triggers:
        doc["triggers"] = {tr.name: _trigger(tr, default_schema) for tr in t.triggers}
    return doc


def _trigger(tr: Trigger, default_schema: str) -> dict:
    spec: dict = {"timing": tr.timing.value, "events": [e.value for e in tr.events]}
    if tr.columns:
        spec["update_of"] = list(tr.columns)
    if not tr.for_each_row:
        spec["for_each"] = "statement"
    if tr.when is not None:
        spec["when"] = tr.when
    spec["function"] = _qualified(tr.function, default_schema)
    if tr.args:
        spec["args"] = list(tr.args)
    if tr.enabled != "origin":
        spec["enabled"] = tr.enabled
    if tr.comment is not None:
        spec["comment"] = tr.comment
    return spec


def view_text(v: View, default_schema: str) -> str:
    doc: dict = {"view": v.name}
    if v.schema != default_schema:
        doc["schema"] = v.schema
    if v.materialized:
        doc["materialized"] = True
    if v.security_invoker:
        doc["security_invoker"] = True
    if v.security_barrier:
        doc["security_barrier"] = True
    if v.check_option:
        doc["check_option"] = v.check_option
    if v.comment is not None:
        doc["comment"] = v.comment
    if v.column_comments:
        doc["columns"] = {name: {"comment": text} for name, text in v.column_comments}
    if v.indexes:
        doc["indexes"] = {ix.name: _index(ix) for ix in v.indexes}
    return "\n".join(block(doc) + literal_block("query", v.query)) + "\n"


def function_text(fn: Function, schema: Schema, default_schema: str) -> str:
    """A function file: its fields, then the body as a literal block scalar (quoted
    when no block scalar reads back as exactly the body)."""
    from ..compile.routines import sql_type  # here: the compiler (and sqlglot) only for a schema with functions

    enums = {_enum_type_text(e.schema, e.name): e.qualified for e in schema.enums}
    doc: dict = {"function": fn.name}
    if fn.schema != default_schema:
        doc["schema"] = fn.schema
    if fn.args:
        doc["arguments"] = [{"name": a.name, "type": _type_text(sql_type(a.type), enums, default_schema)} if a.name
                            else _type_text(sql_type(a.type), enums, default_schema) for a in fn.args]
    doc["returns"] = _type_text(sql_type(fn.returns), enums, default_schema)
    doc["language"] = fn.language
    if fn.volatility.value != "volatile":
        doc["volatility"] = fn.volatility.value
    if fn.strict:
        doc["strict"] = True
    if fn.security_definer:
        doc["security"] = "definer"
    if fn.search_path is not None:
        doc["search_path"] = list(fn.search_path)
    if fn.comment is not None:
        doc["comment"] = fn.comment
    lines = block(doc) + literal_block("body", fn.body)
    return "\n".join(lines) + "\n"


def _default(text: str):
    """A default as the loader reads it back: true/false and whole numbers as
    YAML scalars (which the loader turns into exactly this text), else SQL text."""
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"0|[1-9][0-9]{0,17}", text):
        return int(text)
    return text


def _enum_type_text(schema: str, name: str) -> str:
    from ..normalize import qualified_type_text
    return qualified_type_text(schema, name)


def _check_columns(t: Table) -> dict[str, str]:
    """{t_col_check: col}: the column a check of that name is named after (the first column
    whose name gives it, as a check's own lookup found it)."""
    out: dict[str, str] = {}
    for c in t.columns:
        out.setdefault(choose_name(t.name, c.name, "check", set()), c.name)
    return out


def _index(ix: Index):
    keys = []
    for e in ix.elements:
        if e.column is not None and e.order is SortOrder.ASC and e.nulls is None and not e.opclass and not e.collation:
            keys.append(e.column)
            continue
        key: dict = {"column": e.column} if e.column is not None else {"expression": e.expression}
        if e.order is SortOrder.DESC:
            key["order"] = "desc"
        if e.nulls is not None:
            key["nulls"] = e.nulls.value
        if e.opclass:
            key["opclass"] = e.opclass
        if e.collation:
            key["collation"] = e.collation
        keys.append(key)
    spec: dict = {"columns": keys}
    if ix.unique:
        spec["unique"] = True
    if ix.method != "btree":
        spec["method"] = ix.method
    if ix.where is not None:
        spec["where"] = ix.where
    if ix.include:
        spec["include"] = list(ix.include)
    if ix.nulls_not_distinct:
        spec["nulls_not_distinct"] = True
    if ix.comment is not None:
        spec["comment"] = ix.comment
    if ix.storage:
        spec["storage"] = dict(ix.storage)
    return keys if list(spec) == ["columns"] else spec


def _policy(p: Policy) -> dict:
    spec: dict = {}
    if p.command is not PolicyCommand.ALL:
        spec["for"] = p.command.value
    if p.roles != ("public",):
        spec["to"] = list(p.roles)
    if not p.permissive:
        spec["as"] = "restrictive"
    if p.using is not None:
        spec["using"] = p.using
    if p.with_check is not None:
        spec["with_check"] = p.with_check
    if p.comment is not None:
        spec["comment"] = p.comment
    return spec


def sequence_entry(s: Sequence, default_schema: str) -> dict:
    """A sequence's options, leaving out each one ``CREATE SEQUENCE`` would choose."""
    entry: dict = {}
    if s.schema != default_schema:
        entry["schema"] = s.schema
    if s.type != "bigint":
        entry["type"] = s.type
    if s.increment != 1:
        entry["increment"] = s.increment
    dmin, dmax = sequence_defaults(s.type, s.increment)
    if s.minvalue != dmin:
        entry["minvalue"] = s.minvalue
    if s.maxvalue != dmax:
        entry["maxvalue"] = s.maxvalue
    if s.start != (s.minvalue if s.increment > 0 else s.maxvalue):
        entry["start"] = s.start
    if s.cache != 1:
        entry["cache"] = s.cache
    if s.cycle:
        entry["cycle"] = True
    if s.owned_by is not None:
        entry["owned_by"] = f"{_spec_name(s.owned_by[0])}.{_spec_name(s.owned_by[1])}"
    if s.comment is not None:
        entry["comment"] = s.comment
    return entry


def root_document(schema: Schema, default_schema: str) -> dict:
    doc: dict = {"version": 1}
    if default_schema != "public":
        doc["schema"] = default_schema
    if schema.schemas:
        doc["schemas"] = list(schema.schemas)
    if schema.extensions:
        doc["extensions"] = [x.name if x.schema is None else {"name": x.name, "schema": x.schema}
                             for x in schema.extensions]
    if schema.enums:
        enums = {}
        for e in schema.enums:
            if e.schema == default_schema and e.comment is None:
                enums[e.name] = list(e.values)
            else:
                entry: dict = {"values": list(e.values)}
                if e.schema != default_schema:
                    entry["schema"] = e.schema
                if e.comment is not None:
                    entry["comment"] = e.comment
                enums[e.name] = entry
        doc["enums"] = enums
    if schema.sequences:
        doc["sequences"] = {q.name: sequence_entry(q, default_schema) for q in schema.sequences}
    ext = schema.external
    external: dict = {}
    if ext.tables:
        external["tables"] = [_qualified(q, default_schema) for q in ext.tables]
    if ext.functions:
        external["functions"] = [_qualified(q, default_schema) for q in ext.functions]
    if ext.types:
        external["types"] = [_qualified(q, default_schema) for q in ext.types]
    if ext.roles:
        external["roles"] = list(ext.roles)
    if ext.schemas:
        external["schemas"] = list(ext.schemas)
    if external:
        doc["external"] = external
    return doc


_FILE_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _schema_folder(schema: str) -> str:
    """A schema's folder under ``tables/``: never named like a table file (``x.yaml``), which
    the default schema's table ``x`` would be."""
    folder = _FILE_SAFE.sub("_", schema).strip("._") or "schema"
    return folder + "_" if folder.lower().endswith((".yaml", ".yml")) else folder


def file_names(schema: Schema, default_schema: str) -> dict[QualifiedName, str]:
    out: dict[QualifiedName, str] = {}
    used: set[str] = set()
    for t in schema.tables:
        stem = _FILE_SAFE.sub("_", t.name).strip("._") or "table"
        folder = "tables" if t.schema == default_schema else f"tables/{_schema_folder(t.schema)}"
        candidate = f"{folder}/{stem}.yaml"
        n = 2
        while candidate.lower() in used:
            candidate = f"{folder}/{stem}-{n}.yaml"
            n += 1
        used.add(candidate.lower())
        out[t.qualified] = candidate
    return out


def render(schema: Schema, default_schema: str, explicit: set[tuple[str, str, str]],
           cache: dict | None = None) -> dict[str, str]:
    """{relative path: text} of the spec directory. ``cache`` (kept by the
    caller between renders) holds each table's text by the explicit names it
    was rendered with: a table whose names did not change is not rendered again."""
    files = {"schemadiff.yaml": HEADER_ROOT + "\n".join(block(root_document(schema, default_schema))) + "\n"}
    names = _Names(explicit)
    paths = file_names(schema, default_schema)
    key_of = _render_keys(explicit)
    for t in schema.tables:
        key = key_of(t)
        text = cache.get(key) if cache is not None else None
        if text is None:
            text = table_text(t, schema, names, default_schema)
            if cache is not None:
                cache[key] = text
        files[paths[t.qualified]] = text
    used: set[str] = {p.lower() for p in files}
    for fn in schema.functions:
        stem = _FILE_SAFE.sub("_", fn.name).strip("._") or "function"
        folder = "functions" if fn.schema == default_schema else f"functions/{_schema_folder(fn.schema)}"
        candidate, n = f"{folder}/{stem}.yaml", 2
        while candidate.lower() in used:
            candidate, n = f"{folder}/{stem}-{n}.yaml", n + 1
        used.add(candidate.lower())
        files[candidate] = function_text(fn, schema, default_schema)
    for v in schema.views:
        stem = _FILE_SAFE.sub("_", v.name).strip("._") or "view"
        folder = "views" if v.schema == default_schema else f"views/{_schema_folder(v.schema)}"
        candidate, n = f"{folder}/{stem}.yaml", 2
        while candidate.lower() in used:
            candidate, n = f"{folder}/{stem}-{n}.yaml", n + 1
        used.add(candidate.lower())
        files[candidate] = view_text(v, default_schema)
    return files


def table_text(t: Table, schema: Schema, names: _Names, default_schema: str) -> str:
    """The text of a table's file."""
    return "\n".join(block(table_document(t, schema, names, default_schema))) + "\n"


def _render_keys(explicit: set[tuple[str, str, str]]):
    """The key of a table's text in ``render``'s cache: the table and the explicit names it is
    rendered with."""
    by_table: dict[tuple[str, str], set[str]] = {}
    for schema_name, table_name, name in explicit:
        by_table.setdefault((schema_name, table_name), set()).add(name)
    return lambda t: (t.qualified, frozenset(by_table.get((t.schema, t.name), ())))


def _rendered_on_two_cores(schema: Schema, default_schema: str, explicit: set[tuple[str, str, str]],
                           cache: dict, directory: Path, display: str | None) -> dict:
    """Every table's text rendered, and read back as the load would read that file
    (``load.table_spec``), on two cores (``preparse.halves``): the texts go into ``render``'s
    ``cache``, and what is returned is keyed as ``load_spec``'s ParseCache, so the load takes
    them instead of reading the files again, once ``render`` and ``_write`` have put exactly
    those bytes there (the load reads every file, and takes a value only for the bytes it
    reads). A table the other process does not hand back is rendered by ``render`` and read by
    the load, as without this; {} and nothing cached when there is no second core to use."""
    from .format import TableSpec
    from .load import _imports, shown_names, table_spec
    from .preparse import halves

    _imports()
    names = _Names(explicit)
    paths = file_names(schema, default_schema)
    shown = shown_names(directory, directory / "schemadiff.yaml", display)

    def work(t: Table):
        text = table_text(t, schema, names, default_schema)
        return text, table_spec(shown(directory / paths[t.qualified]), text.encode("utf-8"))

    def accept(made) -> bool:
        return (type(made) is tuple and len(made) == 2 and type(made[0]) is str
                and (made[1] is None or isinstance(made[1], TableSpec)))

    tables = list(schema.tables)
    key_of = _render_keys(explicit)
    parsed: dict = {}
    for i, (text, spec) in halves(tables, work, accept).items():
        t = tables[i]
        cache[key_of(t)] = text
        if spec is not None:
            parsed[(shown(directory / paths[t.qualified]), text.encode("utf-8"))] = spec
    return parsed


def _constraint_names(t: Table) -> dict[tuple, str]:
    """Identity of each constraint (independent of its name) -> name."""
    out: dict[tuple, str] = {}
    if t.primary_key:
        out[("p",)] = t.primary_key.name
    for u in t.uniques:
        out[("u", u.columns, u.nulls_not_distinct, u.deferrable)] = u.name
    for c in t.checks:
        out[("c", c.expression)] = c.name
    for k in t.foreign_keys:
        out[("f", k.columns, k.ref_table, k.ref_columns)] = k.name
    return out


def warm_load() -> None:
    """Import the loader's modules (pydantic's format models cost the most) ahead of the
    load-back: ``import`` runs this in a thread while the server reads the catalogs and the
    main thread waits. Only modules the load-back imports anyway; any failure is left for the
    load-back to meet (a module whose import failed is not kept)."""
    try:
        from . import format, tables, validate, yamlread  # noqa: F401
    except Exception:  # noqa: BLE001 — never an error here: the load-back imports them again
        pass


def dump_spec(schema: Schema, default_schema: str = "public", display: str | None = None,
              directory: Path | None = None) -> dict[str, str]:
    """Render ``schema`` as spec files, writing a constraint name only where
    the loader would not generate the same one. Loads the result to check;
    ``display`` names the directory the files are for in the loader's errors
    (never the directory they are checked in). The files are written into
    ``directory`` (an empty directory; a temporary one when None) and loaded
    from there; on return it holds exactly the files returned, each written
    again only when a later render changed it."""
    if directory is None:
        with tempfile.TemporaryDirectory() as tmp:
            return _dump_into(schema, default_schema, display, Path(tmp))
    return _dump_into(schema, default_schema, display, directory)


def _write(directory: Path, files: dict[str, str], written: dict[str, str]) -> None:
    """Make ``directory`` hold ``files``: write each one whose text is not there yet."""
    for rel in [rel for rel in written if rel not in files]:
        (directory / rel).unlink()
        del written[rel]
    made: set[Path] = set()  # folders made or found here: each asked for once, not once per file
    for rel, text in files.items():
        if written.get(rel) == text:
            continue
        path = directory / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_text(text, encoding="utf-8")
        written[rel] = text


def _dump_into(schema: Schema, default_schema: str, display: str | None, directory: Path) -> dict[str, str]:
    from .load import load_spec

    _one_sequence_per_name(schema, display)
    # Names the loader can never generate are written from the first render on (the
    # first load would only have found them and asked for a second render).
    explicit: set[tuple[str, str, str]] = set(never_generated(schema))
    written_first = set(explicit)
    cache: dict = {}
    written: dict[str, str] = {}  # what ``directory`` holds now
    parsed: dict = {}  # load_spec's ParseCache: a later round parses only the files that changed
    for round_ in range(4):
        if round_ == 0:
            parsed.update(_rendered_on_two_cores(schema, default_schema, explicit, cache, directory, display))
        files = render(schema, default_schema, explicit, cache)
        _write(directory, files, written)
        loaded = load_spec(directory, display=display, cache=parsed).schema
        added: set[tuple[str, str, str]] = set()
        kept: list[tuple[str, str]] = []  # (schema, name) of the generated names that matched
        loaded_tables = {t.qualified: t for t in loaded.tables}
        for t in schema.tables:
            got = loaded_tables.get(t.qualified)
            want_names = _constraint_names(t)
            got_names = _constraint_names(got) if got else {}
            for key, name in want_names.items():
                if (t.schema, t.name, name) in explicit:
                    continue
                if got_names.get(key) != name:
                    added.add((t.schema, t.name, name))
                else:
                    kept.append((t.schema, name))
        if not added:
            return files
        explicit |= added
        if round_ == 0 and _stable(kept, added | written_first):
            files = render(schema, default_schema, explicit, cache)
            _write(directory, files, written)
            return files
    return files


_GENERATED = re.compile(r"(.*)_(pkey|key|check|fkey)[0-9]*", re.DOTALL)
_SUFFIX_ROOM = 6  # digits ``choose_name`` may append before a stem is cut (a million constraints of one stem)


def never_generated(schema: Schema) -> list[tuple[str, str, str]]:
    """(schema, table, name) of the constraints whose names the loader can never
    generate, and whose being written out changes no name it generates for another.

    Every generated name is a candidate ``stem_label``, digits perhaps appended
    (``identifiers.choose_name``; labels pkey, key, check, fkey; the stem is the
    table's name, with a column part for a unique, a foreign key or a check), and
    this parse of a name is unique. A name that is not a candidate of any (stem,
    label) pair of the schema's constraints is never generated: the first
    render-and-load round would always add it. Written from the start, it sits in
    the loader's ``taken`` set, where no candidate equals it; left out, the loader
    would generate a name for its constraint, and that name could push another's
    to its next candidate. It cannot when no other constraint shares one of its
    pairs and no stem of the schema comes near the 63-byte cut (where stems are
    trimmed and may meet). Only such constraints are listed, so the render-and-load
    loop of ``dump_spec`` ends with the same files as before, a render sooner."""
    stems: dict[str, list[tuple[tuple, set[tuple[str, str]], str | None]]] = {}
    for t in schema.tables:
        own = stems.setdefault(t.schema, [])
        if t.primary_key:
            own.append((t.qualified, {(t.name, "pkey")}, t.primary_key.name))
        for u in t.uniques:
            own.append((t.qualified, {(f"{t.name}_{column_names_part(u.columns)}", "key")}, u.name))
        for c in t.checks:
            own.append((t.qualified, {(t.name, "check")} | {(f"{t.name}_{col.name}", "check") for col in t.columns},
                        c.name))
        for k in t.foreign_keys:
            own.append((t.qualified, {(f"{t.name}_{column_names_part(k.columns)}", "fkey")}, k.name))
    out = []
    for schema_name, entries in stems.items():
        if any(identifier_bytes(stem) + 1 + len(label) + _SUFFIX_ROOM > MAX_IDENTIFIER_BYTES
               for _, pairs, _ in entries for stem, label in pairs):
            continue  # near the cut: stems may be trimmed into one another
        count: dict[tuple[str, str], int] = {}
        for _, pairs, _ in entries:
            for pair in pairs:
                count[pair] = count.get(pair, 0) + 1
        for qualified, pairs, name in entries:
            shape = _GENERATED.fullmatch(name or "")
            if name and (shape is None or (shape[1], shape[2]) not in count) \
                    and all(count[pair] == 1 for pair in pairs):
                out.append((schema_name, qualified.name, name))
    return out


def _one_sequence_per_name(schema: Schema, display: str | None) -> None:
    """`sequences:` is keyed by name: two schemas' sequences of one name cannot both be written."""
    from .errors import Mark, SpecError, SpecIssue
    seen: dict[str, Sequence] = {}
    for s in schema.sequences:
        if s.name in seen:
            root = f"{display}/schemadiff.yaml" if display else "schemadiff.yaml"
            raise SpecError([SpecIssue(Mark(root, 1, 1), f"sequences {seen[s.name].qualified} and {s.qualified} "
                                                         "share a name, and `sequences:` holds one per name",
                                       hint="import one of the schemas at a time")])
        seen[s.name] = s


def _stable(kept: list[tuple[str, str]], added: set[tuple[str, str, str]]) -> bool:
    """Will every name the loader generated and that matched (``kept``) still be
    generated once the ``added`` names are written out? Sure when none was
    de-duplicated (PostgreSQL's ``ChooseConstraintName`` then appends digits
    to the label: pkey, key, check and fkey end in a letter) and none equals
    an added name in its schema. The loader's ``taken`` set for each of those
    names then differs only by names that are neither it nor before it in its
    candidate sequence, so the same first candidate is chosen: a further
    render-and-load round would find nothing to add."""
    new_names = {(schema, name) for schema, _, name in added}
    return all(not name[-1:].isdigit() and (schema, name) not in new_names for schema, name in kept)
