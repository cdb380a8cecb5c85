"""A spec directory -> the canonical ``model.Schema``.

Layout: ``SPEC_DIR/schemadiff.yaml`` (the root: format version, default schema,
extensions, enums, external objects) and one YAML file per table anywhere below
it (``tables/lead.yaml``), read in sorted path order.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..gcpause import paused_gc
from ..model import EnumType, Extension, External, Function, QualifiedName, Schema
from . import cache as disk_cache
from .context import FileContext
from .errors import Mark, SpecError, SpecIssue


def _imports() -> None:
    """The loader's own modules (pydantic's format models, PyYAML, pglast…), imported on the first
    load that builds a spec: a load the cache serves whole (spec/loadcache.py) needs none of them."""
    global NameSyntaxError, serial_sequence, f, qualify, ResolveError, Resolver, check_identifier
    global build_sequences, check_nextval_defaults, check_sequences, fold_serial, build_function, build_triggers
    global check_view_names, callees, build_view, view_order, TableBuilder, validate, PartialYAML, parse_yaml
    global read_yaml
    from ..identifiers import NameSyntaxError
    from ..normalize import serial_sequence
    from . import format as f
    from .names import qualify
    from .resolve import ResolveError, Resolver, check_identifier
    from .sequences import build_sequences, check_nextval_defaults, check_sequences, fold_serial
    from .functions import build_function, build_triggers
    from .matviews import check_view_names
    from ..speccalls import callees
    from .views import build_view, view_order
    from .tables import TableBuilder
    from .validate import validate
    from .yamlread import PartialYAML, parse_yaml, read_yaml

ROOT_NAMES = ("schemadiff.yaml", "schemadiff.yml")
POLICY_NAMES = ("schemadiff-policy.yaml", "schemadiff-policy.yml")  # read by `check`, not a table file


@dataclass
class LoadedSpec:
    schema: Schema
    warnings: list[SpecIssue] = field(default_factory=list)
    files: dict[QualifiedName, str] = field(default_factory=dict)  # table -> file
    # Each file as read (with the line of every key), for pointing at an object: table -> its file, and the root.
    contexts: dict[QualifiedName, FileContext] = field(default_factory=dict)
    root: FileContext | None = None
    function_contexts: dict[tuple, FileContext] = field(default_factory=dict)  # signature -> its file
    view_contexts: dict[QualifiedName, FileContext] = field(default_factory=dict)


def _display(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base.parent if base.name else base).as_posix()
    except ValueError:
        return path.as_posix()


def _spec_files(base: Path, root_path: Path, shown, errors: list[SpecIssue]) -> list[Path]:
    """The YAML files below BASE that hold tables, functions or views, sorted.

    A ``.yaml`` entry that is not a regular file (a FIFO, a device, a socket, a
    broken link, a link to one of those) is an error naming it, never skipped in
    silence: a spec file nobody reads is a table the plan no longer sees. Its type
    is read with ``stat`` before anything opens it (opening a FIFO would wait for a
    writer forever).
    """
    files = []
    for p in base.rglob("*"):
        if p.suffix not in (".yaml", ".yml") or p == root_path:
            continue
        if p.parent == base and p.name in POLICY_NAMES:
            continue
        if any(part.startswith(".") for part in p.relative_to(base).parts):
            continue
        try:
            mode = p.stat().st_mode
        except OSError as exc:
            errors.append(SpecIssue(Mark(shown(p), 1, 1), f"cannot read {shown(p)}: "
                                    f"{'a broken link' if p.is_symlink() else exc.strerror}",
                                    hint="remove it, or point it at a spec file"))
            continue
        if stat.S_ISDIR(mode):
            continue  # a directory named like a file: its files are walked on their own
        if not stat.S_ISREG(mode):
            errors.append(SpecIssue(Mark(shown(p), 1, 1),
                                    f"{shown(p)} is not a regular file ({_kind(mode)})",
                                    hint="a spec file is a regular YAML file; remove it or replace it with one"))
            continue
        files.append(p)
    return sorted(files)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


def find_root(spec_dir: Path, display: str | None = None) -> Path:
    shown = display or str(spec_dir)
    if spec_dir.is_file() and spec_dir.name in ROOT_NAMES:
        return spec_dir
    if not spec_dir.exists():
        raise SpecError([SpecIssue(None, f"spec directory {shown} does not exist")])
    if not spec_dir.is_dir():
        raise SpecError([SpecIssue(None, f"{shown} is not a directory")])
    for name in ROOT_NAMES:
        if (spec_dir / name).is_file():
            return spec_dir / name
    raise SpecError([SpecIssue(None, f"no schemadiff.yaml in {shown}",
                               hint="a spec directory starts with a root file: `version: 1`")])


# A parsed table file, by (name shown, content): what two loads of nearly the same
# spec (``check``: the base and the head) share instead of parsing twice.
ParseCache = dict  # (name shown, bytes) -> format.TableSpec


def load_spec(spec_dir: str | Path, display: str | None = None, cache: ParseCache | None = None, *,
              split: bool = False) -> LoadedSpec:
    """Load a spec directory. ``display`` names it in messages instead of its
    path (a spec read out of git lives in a temporary directory). ``cache``,
    shared between loads, skips parsing a file already parsed with the same
    name and content (the parsed data is only read, never changed).

    With the disk cache on, a spec whose every file (name shown and bytes) was loaded
    before by this code comes back whole from ``spec/loadcache.py``; the directory is
    still walked and every file read on every load.

    ``split``: nothing else runs meanwhile, so a spec whose every file must be read (the cache
    is off, or holds no pack of this spec) is read on two cores (``spec/preparse.py``)."""
    with paused_gc():  # many small long-lived objects: see gcpause
        if disk_cache.active():
            from .loadcache import cached_load

            seen: list[tuple[str, bytes]] = []

            def full(files):
                cold = split and files is not None and not disk_cache.has_pack(seen[0][0])
                return _load_spec(spec_dir, display, cache, files, _read_on_two_cores(seen) if cold else None)

            return cached_load(spec_dir, display, full, seen=seen)
        if split:
            from .loadcache import read_files

            files = read_files(spec_dir, display)
            if files is not None:
                return _load_spec(spec_dir, display, cache, files[0], _read_on_two_cores(files[1]))
        return _load_spec(spec_dir, display, cache)


def _read_on_two_cores(named: list[tuple[str, bytes]]) -> dict:
    from .preparse import split

    return split(named[1:])  # the root first: not a table file


def shown_names(spec_dir: Path, root_path: Path, display: str | None):
    """How the load names a file in messages (and in the whole-load cache's key)."""
    base = root_path.parent
    shown_dir = Path(display) if display is not None else spec_dir
    if not spec_dir.is_dir():  # asked once: a spec given as its root file names files as they are
        return lambda p: p.as_posix()
    return lambda p: (shown_dir / p.relative_to(base)).as_posix()


def _read(read, errors: list[SpecIssue]):
    """A file's YAML; the errors of its values go to ``errors`` and the rest of it is returned
    (``PartialYAML``), to be checked on. A file that does not parse raises SpecError."""
    try:
        return read()
    except PartialYAML as exc:
        errors.extend(exc.issues)
        return exc.data


def _validated(model, data, display: str, errors: list[SpecIssue]):
    """``validate``, its errors added to ``errors`` (None then), leaving out those at the place
    of an error already there (a YAML 1.1 boolean read as its text is not also "not a boolean")."""
    try:
        return validate(model, data, display)
    except SpecError as exc:
        taken = {(i.mark.file, i.mark.line, i.mark.column) for i in errors if i.mark}
        errors.extend(i for i in exc.issues if not i.mark or (i.mark.file, i.mark.line, i.mark.column) not in taken)
        return None


def table_spec(display: str, raw: bytes):
    """The ``TableSpec`` of a table file that reads and validates without an error, as the load
    below would make it from these bytes under this name; None for anything else (a view, a
    function, an empty file, a file with an error: the load reads those itself, and reports
    what it finds). ``spec/preparse.py`` makes these on another core."""
    _imports()
    errors: list[SpecIssue] = []
    try:
        data = _read(lambda: parse_yaml(raw, display), errors)
    except SpecError:
        return None
    if errors or not isinstance(data, dict) or "table" not in data:
        return None
    spec = _validated(f.TableSpec, data, display, errors)
    return spec if not errors else None


def _load_spec(spec_dir: str | Path, display: str | None, cache: ParseCache | None,
               read_files: list[tuple[Path, bytes]] | None = None, handed: dict | None = None) -> LoadedSpec:
    """``read_files``: the root and the walked files with the bytes the whole-load cache read for its
    key (the root first), so what is built is what the key names; None: walk and read here.
    ``handed``: (name shown, bytes) -> what ``table_spec`` made of them (``spec/preparse.py``);
    such a file is not read again, and everything else is loaded as without it."""
    _imports()
    spec_dir = Path(spec_dir)
    root_path = find_root(spec_dir, display)
    base = root_path.parent
    shown = shown_names(spec_dir, root_path, display)
    given = dict(read_files) if read_files is not None else None

    issues: list[SpecIssue] = []
    warnings: list[SpecIssue] = []

    # Every error of the reading and the format checks, of every file, in one run: a file
    # whose values hold YAML errors (PartialYAML) is still checked against the format.
    file_errors: list[SpecIssue] = []
    root_file = shown(root_path)
    root, root_data = None, None
    try:
        root_data = _read(lambda: read_yaml(root_path, root_file) if given is None else
                          parse_yaml(given[root_path], root_file), file_errors)
        if root_data is None:
            raise SpecError([SpecIssue(Mark(root_file, 1, 1), "the root file is empty",
                                       hint="start it with `version: 1`")])
        version_mark = root_data.value_marks.get("version") if isinstance(root_data, dict) else None
        already = version_mark is not None and any(i.mark == version_mark for i in file_errors)
        if isinstance(root_data, dict) and "version" in root_data and root_data["version"] != f.FORMAT_VERSION \
                and not already:
            raise SpecError([SpecIssue(root_data.value_marks["version"],
                                       f"spec format version {root_data['version']!r} is not supported by this "
                                       "schemadiff", hint=f"this schemadiff reads version {f.FORMAT_VERSION}")])
        root = _validated(f.RootSpec, root_data, root_file, file_errors)
    except SpecError as exc:
        file_errors.extend(exc.issues)
    root_ctx = FileContext(root_file, root_data, issues, warnings)

    table_files = _spec_files(base, root_path, shown, file_errors) if given is None else \
        [p for p, _ in read_files[1:]]
    parsed_tables: list[tuple[f.TableSpec, FileContext]] = []
    parsed_functions: list[tuple[f.FunctionSpec, FileContext]] = []
    parsed_views: list[tuple[f.ViewSpec, FileContext]] = []
    if disk_cache.active():
        disk_cache.begin(root_file)  # the entries of this load go into one file, written by end()
    try:
        for path in table_files:
            display = shown(path)
            key = None
            try:
                key = (display, path.read_bytes() if given is None else given[path])
            except OSError:
                pass  # read_yaml reports it
            if key is not None and (cache is not None or disk_cache.active()):
                spec = (cache or {}).get(key) or disk_cache.get(key[1])
                if spec is not None:
                    # A table file's data (its marks) is read again from its bytes only if a finding asks.
                    parsed_tables.append((spec, FileContext.from_bytes(display, key[1], issues, warnings)))
                    if cache is not None:
                        cache[key] = spec
                    continue
            before = len(file_errors)
            try:
                spec = handed.get(key) if handed and key is not None else None
                if spec is None:
                    data = _read(lambda: read_yaml(path, display) if key is None else parse_yaml(key[1], display),
                                 file_errors)  # read once
                    if data is None:
                        raise SpecError([SpecIssue(Mark(display, 1, 1), "the file is empty",
                                                   hint="a table file starts with `table: NAME`")])
                    if isinstance(data, dict) and "view" in data and "table" not in data:
                        view = _validated(f.ViewSpec, data, display, file_errors)
                        if len(file_errors) == before:
                            parsed_views.append((view, FileContext(display, data, issues, warnings)))
                        continue
                    if isinstance(data, dict) and "function" in data and "table" not in data:
                        function = _validated(f.FunctionSpec, data, display, file_errors)
                        if len(file_errors) == before:
                            parsed_functions.append((function, FileContext(display, data, issues, warnings)))
                        continue
                    if isinstance(data, dict) and "table" not in data:
                        raise SpecError([SpecIssue(Mark(display, 1, 1), "not a table file: no `table:` key",
                                                   hint="each YAML file besides schemadiff.yaml describes one table "
                                                        "(`table:`), one function (`function:`) or one view "
                                                        "(`view:`); enums and extensions belong in schemadiff.yaml")])
                    spec = _validated(f.TableSpec, data, display, file_errors)
                if len(file_errors) == before:
                    ctx = FileContext(display, data, issues, warnings) if key is None else \
                        FileContext.from_bytes(display, key[1], issues, warnings)
                    parsed_tables.append((spec, ctx))
                    if cache is not None and key is not None:
                        cache[key] = spec
                    if key is not None:
                        disk_cache.put(key[1], spec)
            except SpecError as exc:
                file_errors.extend(exc.issues)
    except BaseException:
        if disk_cache.active():
            disk_cache.abort()  # its temporary pack goes; the pack on disk stays as it was
        raise
    if disk_cache.active():
        disk_cache.end()
    if file_errors:
        raise SpecError(file_errors)

    resolver = Resolver(default_schema=root.schema_)
    _externals(root, root_ctx, resolver)
    external_tables: set[QualifiedName] = set()
    for i, text in enumerate(root.external.tables):
        try:
            external_tables.add(qualify(text, root.schema_))
        except NameSyntaxError as exc:
            root_ctx.error(("external", "tables", i), str(exc))
    enums = _enums(root, root_ctx, resolver)
    sequences = build_sequences(root, root_ctx)
    extensions = _extensions(root, root_ctx)

    functions: list[Function] = []
    function_files: dict[tuple, str] = {}
    function_contexts: dict[tuple, FileContext] = {}
    by_name: dict[QualifiedName, list[Function]] = {}
    for spec, ctx in parsed_functions:
        fn = build_function(spec, ctx, resolver)
        if fn is None:
            continue
        if fn.signature in function_files:
            ctx.error(("function",), f"function {fn.display()} is already defined in {function_files[fn.signature]}")
            continue
        if fn.qualified in resolver.external_functions:
            ctx.error(("function",), f"function {fn.qualified} is defined here and also listed under `external: "
                      "functions` in schemadiff.yaml", f"function {fn.display()}",
                      "a function is either the spec's or external, not both; an expression calls a function of "
                      "the spec by its schema-qualified name, with no `external:` entry")
            continue
        function_files[fn.signature] = ctx.file
        function_contexts[fn.signature] = ctx
        functions.append(fn)
        by_name.setdefault(fn.qualified, []).append(fn)
    # Before the tables: their expressions may call these functions (speccalls).
    resolver.spec_functions = callees(functions)
    builders: dict[QualifiedName, TableBuilder] = {}
    files: dict[QualifiedName, str] = {}
    contexts: dict[QualifiedName, FileContext] = {}
    for spec, ctx in parsed_tables:
        builder = TableBuilder(spec, ctx, resolver)
        if builder.qualified in builders:
            first = files[builder.qualified]
            ctx.error(("table",), f"table {builder.qualified} is already defined in {first}")
            continue
        if builder.qualified in external_tables:
            ctx.error(("table",), f"table {builder.qualified} is also listed under external tables",
                      hint="a table is either managed by the spec or external, not both")
        builder.declare()
        builders[builder.qualified] = builder
        files[builder.qualified] = ctx.file
        contexts[builder.qualified] = ctx

    ordered = [builders[q] for q in sorted(builders)]
    taken: dict[str, set[str]] = {}
    for b in ordered:
        names = taken.setdefault(b.qualified.schema, set())
        names.add(b.qualified.name)
        names.update(b.spec.indexes)
        spec = b.spec
        if isinstance(spec.primary_key, f.PrimaryKeySpec) and spec.primary_key.name:
            names.add(spec.primary_key.name)
        names.update(u.name for u in spec.unique if isinstance(u, f.UniqueSpec) and u.name)
        names.update(c.name for c in spec.checks if isinstance(c, f.CheckSpec) and c.name)
        names.update(k.name for k in spec.foreign_keys if k.name)
    for b in ordered:
        b.build_columns(taken[b.qualified.schema])
        b.build_table_constraints(taken[b.qualified.schema])
        b.build_indexes()
    for b in ordered:
        b.build_foreign_keys(taken[b.qualified.schema], builders, external_tables)
        b.build_rls()
    views: list = []
    view_reads: dict = {}
    view_files: dict[QualifiedName, FileContext] = {}
    for spec, ctx in parsed_views:
        built = build_view(spec, ctx, resolver)
        if built is None:
            continue
        view, reads = built
        if view.qualified in view_files or view.qualified in builders:
            first = view_files[view.qualified].file if view.qualified in view_files else files[view.qualified]
            ctx.error(("view",), f"{view.qualified} is already defined in {first}")
            continue
        views.append(view)
        view_reads[view.qualified] = reads
        view_files[view.qualified] = ctx
    placed = {v.qualified for v in view_order(tuple(views), view_reads)}
    for v in views:
        if v.qualified not in placed:
            view_files[v.qualified].error(("query",), f"view {v.qualified} reads itself through other views "
                                          "(a cycle)")
    tables = [b.result() for b in ordered]
    tables = [replace(t, triggers=build_triggers(t, b.spec, b.ctx, resolver, by_name)) if b.spec.triggers else t
              for t, b in zip(tables, ordered)]
    _check_relation_names(tables, builders)
    _check_duplicate_keys(tables, builders)
    _lint(tables, builders)
    check_sequences(sequences, tables, root_ctx)
    check_nextval_defaults(sequences, tables, builders)
    sequences, tables = fold_serial(sequences, tables)
    check_view_names(views, view_files, tables, sequences, enums)

    used_schemas = {t.schema for t in tables} | {e.schema for e in enums} | set(root.schemas)
    used_schemas |= {s.schema for s in sequences}
    used_schemas |= {fn.schema for fn in functions} | {v.schema for v in views}
    used_schemas |= {x.schema for x in extensions if x.schema}
    for name in sorted(used_schemas):
        try:
            check_identifier(name, "schema name")
        except ResolveError as exc:
            root_ctx.error(("schemas",), str(exc), hint=exc.hint)
    created = tuple(sorted(used_schemas - {"public"} - set(root.external.schemas)))

    if issues:
        raise SpecError(issues)
    external = External(
        tables=tuple(sorted(external_tables)),
        functions=tuple(sorted(resolver.external_functions)),
        types=tuple(sorted(resolver.external_types)),
        roles=tuple(sorted(resolver.external_roles)),
        schemas=tuple(sorted(set(root.external.schemas))),
    )
    schema = Schema(
        schemas=created,
        extensions=tuple(sorted(extensions, key=lambda x: x.name)),
        enums=tuple(sorted(enums, key=lambda e: e.qualified)),
        tables=tuple(sorted(tables, key=lambda t: t.qualified)),
        external=external,
        sequences=tuple(sorted(sequences, key=lambda s: s.qualified)),
        functions=tuple(sorted(functions, key=lambda fn: fn.signature)),
        views=tuple(sorted(views, key=lambda v: v.qualified)),
    )
    return LoadedSpec(schema=schema, warnings=sorted(warnings, key=SpecIssue.sort_key), files=files,
                      contexts=contexts, root=root_ctx, function_contexts=function_contexts,
                      view_contexts=view_files)


def _externals(root: f.RootSpec, ctx: FileContext, resolver: Resolver) -> None:
    for key, target in (("functions", resolver.external_functions), ("types", resolver.external_types)):
        for i, text in enumerate(getattr(root.external, key)):
            try:
                target.add(qualify(text, root.schema_))
            except NameSyntaxError as exc:
                ctx.error(("external", key, i), str(exc))
    for i, role in enumerate(root.external.roles):
        if role == "public":
            ctx.error(("external", "roles", i), "`public` is built in; do not list it")
        resolver.external_roles.add(role)


def _enums(root: f.RootSpec, ctx: FileContext, resolver: Resolver) -> list[EnumType]:
    out = []
    for name, raw in root.enums.items():
        e = raw if isinstance(raw, f.EnumSpec) else f.EnumSpec(values=raw)
        path = ("enums", name)
        qualified = QualifiedName(e.schema_ or root.schema_, name)
        try:
            check_identifier(name, "enum name")
        except ResolveError as exc:
            ctx.error(path, str(exc), hint=exc.hint, key=True)
        seen: set[str] = set()
        values_path = path + (("values",) if isinstance(raw, f.EnumSpec) else ())
        for i, value in enumerate(e.values):
            if value == "":
                ctx.error(values_path + (i,), "an enum value cannot be empty", f"enum {qualified}")
            elif value in seen:
                ctx.error(values_path + (i,), f"enum value {value!r} listed twice", f"enum {qualified}")
            try:
                check_identifier(value, "enum value")
            except ResolveError as exc:
                ctx.error(values_path + (i,), str(exc), f"enum {qualified}")
            seen.add(value)
        resolver.enums[qualified] = e
        out.append(EnumType(qualified.schema, qualified.name, tuple(e.values), e.comment))
    return out


def _extensions(root: f.RootSpec, ctx: FileContext) -> list[Extension]:
    out: dict[str, Extension] = {}
    for i, raw in enumerate(root.extensions):
        x = raw if isinstance(raw, f.ExtensionSpec) else f.ExtensionSpec(name=raw)
        if x.name in out:
            ctx.error(("extensions", i), f"extension {x.name!r} listed twice")
        out[x.name] = Extension(x.name, x.schema_)
    return list(out.values())


def _check_relation_names(tables, builders) -> None:
    """Tables, indexes, the indexes behind primary keys and unique constraints
    and the sequences of serial columns share one namespace per schema; check and foreign-key names
    must differ within their table."""
    seen: dict[tuple[str, str], str] = {}
    for t in tables:
        b = builders[t.qualified]
        entries = [(t.name, "table", ("table",))]
        entries += [(ix.name, f"index {ix.name}", ("indexes", ix.name)) for ix in t.indexes]
        if t.primary_key:
            entries.append((t.primary_key.name, "primary key", ("primary_key",)))
        entries += [(u.name, f"unique {u.name}", ("unique",)) for u in t.uniques]
        entries += [(serial_sequence(t.name, c.name), f"the sequence of serial column {c.name}", ("columns", c.name))
                    for c in t.columns if c.serial]
        for name, what, path in entries:
            key = (t.schema, name)
            if key in seen:
                b.ctx.error(path, f"the name {name!r} ({what}) is already used by {seen[key]} in schema {t.schema}",
                            where=f"table {t.qualified}", key=path[0] == "indexes")
            else:
                seen[key] = f"{what} of table {t.qualified}" if what != "table" else f"table {t.qualified}"
        local: set[str] = set()
        for con, path in [(c.name, ("checks",)) for c in t.checks] + [(k.name, ("foreign_keys",)) for k in t.foreign_keys]:
            if con in local:
                b.ctx.error(path, f"constraint name {con!r} is used twice in this table", where=f"table {t.qualified}")
            local.add(con)


def _check_duplicate_keys(tables, builders) -> None:
    """PostgreSQL silently drops a UNIQUE that repeats the primary key or an
    earlier UNIQUE of CREATE TABLE: such a spec could never match its database."""
    for t in tables:
        b = builders[t.qualified]
        seen: dict[tuple, str] = {}
        if t.primary_key:
            seen[t.primary_key.columns] = f"the primary key {t.primary_key.name}"
        for u in t.uniques:
            key = u.columns
            if key in seen and not (u.nulls_not_distinct or u.deferrable):
                b.ctx.error(b.paths.get(u.name, ("unique",)), f"unique constraint {u.name} repeats {seen[key]} on ({', '.join(key)})",
                            where=f"table {t.qualified}",
                            hint="PostgreSQL would silently not create it; remove it from the spec")
            seen.setdefault(key, f"unique constraint {u.name}")


def _lint(tables, builders) -> None:
    """Warnings: legal, but probably not what was meant."""
    for t in tables:
        b = builders[t.qualified]
        keys = {}
        if t.primary_key:
            keys[t.primary_key.columns] = f"primary key {t.primary_key.name}"
        for u in t.uniques:
            keys.setdefault(u.columns, f"unique constraint {u.name}")
        for ix in t.indexes:
            cols = tuple(e.column for e in ix.elements)
            plain = all(e.column and e.order.value == "asc" and e.nulls is None and not e.opclass and not e.collation
                        for e in ix.elements)
            if plain and ix.method == "btree" and ix.where is None and not ix.include and cols in keys:
                b.ctx.warn(("indexes", ix.name), f"index {ix.name} repeats the index of the {keys[cols]}",
                           where=f"table {t.qualified}", hint="PostgreSQL already keeps an index for that key; this one costs writes")
