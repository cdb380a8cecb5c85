"""A cache of whole loaded specs: ``load_spec``'s result for a spec whose every file was loaded before.

``spec/cache.py`` keeps each table file's validated value, so a warm load skips YAML and
pydantic; it still resolves every table (types, the expression judge, the model). Here the
whole result of a load that had no error is kept, keyed by everything the load reads:

* a format tag;
* a digest of this schemadiff's code: every file of the installed package (sources and data,
  such as the catalog snapshot the function policy judges with), sorted by path, so an edited
  checkout never reads an entry another code wrote;
* the versions of Python and of the libraries the load runs (pydantic, pydantic-core, PyYAML,
  pglast with its libpg_query), read from their installed metadata without importing them;
* every file the load reads, as (the name shown, its bytes), the root first and then the
  walked files in the order the load walks them.

The ``display`` argument is not in the key on its own: the load uses it only to name files
(``shown_names``; ``find_root`` names the directory in errors, and a load with errors is never
stored), and every name is in the key. So ``check --base-ref`` finds its base (read out of git
into a temporary directory, shown under the head's names) in the entry a run on the base
branch wrote for its head.

The load is a pure function of those: it reads no environment variable, clock or locale and no
file outside the spec directory besides this package's own data (``tests/test_load_cache.py``
also loads under other hash seeds). The directory is walked (``_spec_files``: a FIFO, a broken
link are still errors, hidden directories still skipped) and every file read on every load; on
a miss, the load builds from the very bytes the key was made of.

Admission: a whole entry is written by a load that finds every table file in the per-file
cache already (the spec's second load), so a cold run pays no extra pickle.

Value: the ``Schema``, the warnings, the table -> file map, and which file each ``FileContext``
is of. The contexts are made again from the bytes read for the key (``FileContext.from_bytes``),
so a finding after a hit points at the same file:line as after a full load.

Trust is ``spec/cache.py``'s: the same per-user HMAC key and atomic writes (its ``ready``,
``read_entry``, ``write_entry``); an unpickler that allows only the records and enums of
``model.py``, ``Mark``/``SpecIssue`` and plain builtins, nothing callable beyond them; any bad
entry (absent, truncated, foreign, forged, of another shape) is a miss and the spec is loaded
in full. A hit imports neither pydantic, PyYAML nor sqlglot.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import io
import operator
import os
import pickle
import sys
from pathlib import Path

from .. import model
from . import cache as disk_cache
from .context import FileContext
from .errors import Mark, SpecError, SpecIssue
from .load import LoadedSpec, _spec_files, find_root, shown_names

_FORMAT = b"schemadiff-load-cache/1\n"
_MAGIC = b"SDL1"
_SUBDIR = "loads"
# (import name, distribution name) of what a load runs besides the standard library
_LIBRARIES = (("pydantic", "pydantic"), ("pydantic_core", "pydantic_core"), ("yaml", "PyYAML"),
              ("pglast", "pglast"))

stats = {"hits": 0, "misses": 0, "stored": 0}  # this process's counts (the tests read them)
_code: list[bytes] = []  # this process's code digest, made once


def code_digest() -> bytes:
    """SHA-256 over every file of the installed schemadiff package (not its bytecode), by path."""
    if not _code:
        root = Path(__file__).resolve().parent.parent
        h = hashlib.sha256()
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if "__pycache__" in rel.parts or not path.is_file():
                continue
            data = path.read_bytes()
            h.update(b"%d:%s%d:" % (len(rel.as_posix().encode()), rel.as_posix().encode(), len(data)))
            h.update(data)
        _code.append(h.digest())
    return _code[0]


def _versions() -> bytes:
    """Python's version, and where each library is installed with its ``*.dist-info`` names (which
    carry the version), found without importing it."""
    from importlib.util import find_spec

    parts = [sys.version, sys.implementation.cache_tag or ""]
    listed: dict[str, list[str]] = {}
    for module, dist in _LIBRARIES:
        try:
            spec = find_spec(module)
        except (ImportError, ValueError):
            spec = None
        origin = getattr(spec, "origin", None)
        if not origin:
            parts.append(f"{module}: absent")
            continue
        site = os.path.dirname(os.path.dirname(origin))
        if site not in listed:
            try:
                listed[site] = sorted(os.listdir(site))
            except OSError:
                listed[site] = []
        prefix = dist.lower().replace("-", "_") + "-"
        infos = [n for n in listed[site] if n.lower().replace("-", "_").startswith(prefix)
                 and n.endswith((".dist-info", ".egg-info"))]
        parts.append(f"{module}: {origin} {infos}")
    return "\0".join(parts).encode()


def entry_key(files: list[tuple[str, bytes]]) -> bytes:
    h = hashlib.sha256(_FORMAT)
    h.update(code_digest())
    h.update(hashlib.sha256(_versions()).digest())
    h.update(b"%d files\0" % len(files))
    for name, raw in files:
        encoded = name.encode("utf-8", "surrogateescape")
        h.update(b"%d:%s" % (len(encoded), encoded))
        h.update(hashlib.sha256(raw).digest())
    return h.digest()


def read_files(spec_dir, display: str | None) -> tuple[list[tuple[Path, bytes]], list[tuple[str, bytes]]] | None:
    """Every file a load of ``spec_dir`` reads, the root first, with its bytes: by path and by the
    name shown. None when the walk meets an error or a file cannot be read (the full load walks
    again and reports it); ``find_root``'s SpecError is raised."""
    spec_dir = Path(spec_dir)
    root_path = find_root(spec_dir, display)
    shown = shown_names(spec_dir, root_path, display)
    walk_errors: list[SpecIssue] = []
    walked = _spec_files(root_path.parent, root_path, shown, walk_errors)
    if walk_errors:
        return None
    try:
        read = [(p, p.read_bytes()) for p in (root_path, *walked)]
    except OSError:
        return None
    return read, [(shown(p), raw) for p, raw in read]


def has_entry(spec_dir, display: str | None) -> bool:
    """Whether a load of ``spec_dir`` now would find an entry (a hit, unless the entry is bad)."""
    directory = disk_cache.ready(_SUBDIR)
    try:
        files = read_files(spec_dir, display) if directory is not None else None
    except SpecError:
        return False
    return files is not None and (directory / entry_key(files[1]).hex()).is_file()


def cached_load(spec_dir, display: str | None, load, seen: list | None = None, *,
                none_if_stored: bool = False) -> LoadedSpec | None:
    """``load_spec`` through the cache; ``load(files)`` is the full load of the bytes read here
    (or, given None, of whatever it reads itself: a spec whose walk already failed). ``seen``, when
    given, receives the (name shown, bytes) of every file the result is made of.
    ``none_if_stored``: None instead of a hit, when the entry is there (``has_entry``'s answer, from
    the same walk: ``spec/forkload.py``'s child, whose parent loads a hit itself)."""
    directory = disk_cache.ready(_SUBDIR)
    if directory is None:
        return load(None)
    files = read_files(spec_dir, display)
    if files is None:
        return load(None)  # the full load walks again and reports what failed
    read, named = files
    if seen is not None:
        seen.extend(named)
    key = entry_key(named)
    path = directory / key.hex()
    if none_if_stored and path.is_file():
        return None
    hit = _get(path, key, dict(named))
    if hit is not None:
        stats["hits"] += 1
        return hit
    stats["misses"] += 1
    files_stored = disk_cache.stats["stored"]
    loaded = load(read)  # raises SpecError on any error: nothing is stored then
    disk_cache.write_later(_admit, path, key, loaded, files_stored)  # after the load's own writes
    return loaded


def _admit(path: Path, key: bytes, loaded: LoadedSpec, files_stored: int) -> None:
    # Admitted on second sight: only a load whose table files were all in the per-file cache
    # already (it stored none) writes its whole entry. A spec met for the first time pays no
    # pickle of its model (a cold run is not slower than without this cache); the next load of
    # it writes the entry, and every later one is a hit.
    if disk_cache.stats["stored"] == files_stored and _put(path, key, loaded):
        stats["stored"] += 1


# -- the value ---------------------------------------------------------------------------------

def _value(loaded: LoadedSpec) -> tuple:
    # A fresh Schema: not its lookup cache (a dict the load may have filled)
    schema = dataclasses.replace(loaded.schema)
    root = loaded.root
    return (_FORMAT, schema, list(root.warnings) if root is not None else list(loaded.warnings),
            list(loaded.warnings), dict(loaded.files),
            root.file if root is not None else None,
            [(k, c.file) for k, c in loaded.contexts.items()],
            [(k, c.file) for k, c in loaded.function_contexts.items()],
            [(k, c.file) for k, c in loaded.view_contexts.items()])


class _Pickler(pickle.Pickler):
    """A model record as its class and field values: unpickled by its own ``__init__`` (one call),
    about twice as fast as the ``__setstate__`` that slotted dataclasses get. The records have no
    ``__post_init__`` and every field is an ``__init__`` argument, so the object is the same."""

    def reducer_override(self, obj):
        fields = _FIELDS.get(type(obj))
        if fields is None:
            return NotImplemented
        return type(obj), fields(obj)


def _getter(names: tuple[str, ...]):
    """The field values as a tuple, read in C (``attrgetter`` of one name gives the bare value)."""
    if len(names) == 1:
        one = operator.attrgetter(names[0])
        return lambda obj: (one(obj),)
    return operator.attrgetter(*names)


_FIELDS = {cls: _getter(tuple(f.name for f in dataclasses.fields(cls))) for cls in vars(model).values()
           if isinstance(cls, type) and cls.__module__ == model.__name__ and dataclasses.is_dataclass(cls)
           and all(f.init for f in dataclasses.fields(cls)) and not hasattr(cls, "__post_init__")}


def pack(loaded: LoadedSpec, named: list[tuple[str, bytes]]) -> bytes:
    """A load and the files it was made of, as one payload for ``unpack`` (``spec/forkload.py``:
    a spec loaded in a child process); the value is the one an entry stores, and each file's
    bytes go once: compressed, as its context holds them, or as read."""
    out = io.BytesIO()
    # The files' bytes as the load's contexts compressed them already: not compressed again there,
    # and not sent twice (only the files without such a context go as they were read).
    contexts = (*loaded.contexts.values(), *loaded.function_contexts.values(), *loaded.view_contexts.values())
    compressed = {c.file: c._raw for c in contexts if c._raw is not None}
    plain = [(name, raw) for name, raw in named if name not in compressed]
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(("load", _value(loaded), plain, compressed))
    return out.getvalue()


def pack_error(issues: list[SpecIssue]) -> bytes:
    """A load that failed, as its ``SpecError``'s issues (which are all the error is made of)."""
    return pickle.dumps(("error", list(issues)), protocol=pickle.HIGHEST_PROTOCOL)


def unpack(payload: bytes) -> LoadedSpec | list[SpecIssue] | None:
    """What ``pack`` or ``pack_error`` wrote, through the same allowlisting unpickler as an entry:
    the load, or the issues of the load's SpecError; None for anything of another shape."""
    try:
        value = _Unpickler(io.BytesIO(payload)).load()
        if isinstance(value, tuple) and len(value) == 2 and value[0] == "error":
            issues = value[1]
            ok = isinstance(issues, list) and issues and all(isinstance(i, SpecIssue) for i in issues)
            return issues if ok else None
        if not (isinstance(value, tuple) and len(value) == 4 and value[0] == "load"):
            return None
        _, value, named, compressed = value
        if not (isinstance(named, list) and all(isinstance(n, tuple) and len(n) == 2 and isinstance(n[0], str)
                                                and isinstance(n[1], bytes) for n in named)):
            return None
        if not (isinstance(compressed, dict) and all(type(k) is str and type(v) is bytes
                                                     for k, v in compressed.items())):
            return None
        return _rebuild(value, dict(named), compressed)
    except Exception:  # noqa: BLE001 — a payload of another shape is no load, never an error
        return None


def _put(path: Path, key: bytes, loaded: LoadedSpec) -> bool:
    try:
        out = io.BytesIO()
        _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(_value(loaded))
        payload = out.getvalue()
    except Exception:  # noqa: BLE001 — a value that cannot be stored is not stored, never an error
        return False
    stored = disk_cache.write_entry(path, _MAGIC, key, payload)
    if stored:
        disk_cache.sweep(path.parent)
    return stored


def _get(path: Path, key: bytes, raw_by_name: dict[str, bytes]) -> LoadedSpec | None:
    payload = disk_cache.read_entry(path, _MAGIC, key)
    if payload is None:
        return None
    try:
        value = _Unpickler(io.BytesIO(payload)).load()
        return _rebuild(value, raw_by_name)
    except Exception:  # noqa: BLE001 — any bad entry is a miss, never an error
        return None


def _rebuild(value, raw_by_name: dict[str, bytes], compressed: dict[str, bytes] | None = None) -> LoadedSpec | None:
    """The ``LoadedSpec`` an entry stands for, or None when it is not of the shape ``_value`` writes.
    ``compressed``: name -> a file's bytes as ``FileContext.from_bytes`` compressed them (``pack``: the
    child process's own), used as they are; the other files' bytes are in ``raw_by_name``."""
    if not (isinstance(value, tuple) and len(value) == 9 and value[0] == _FORMAT):
        return None
    _, schema, in_order, warnings, files, root_file, contexts, functions, views = value
    if not isinstance(schema, model.Schema) or not isinstance(files, dict):
        return None
    if not all(isinstance(w, SpecIssue) for w in (*in_order, *warnings)):
        return None
    issues: list[SpecIssue] = []
    shared = list(in_order)  # the list every context adds to, in the order the load added
    made: dict[str, FileContext] = {}

    def context(name) -> FileContext:
        if name not in made:
            if compressed and name in compressed:
                made[name] = FileContext.from_compressed(name, compressed[name], issues, shared)
            else:
                made[name] = FileContext.from_bytes(name, raw_by_name[name], issues, shared)  # KeyError: a miss
        return made[name]

    root = context(root_file) if root_file is not None else None
    return LoadedSpec(schema=schema, warnings=list(warnings), files=files,
                      contexts={k: context(n) for k, n in contexts}, root=root,
                      function_contexts={k: context(n) for k, n in functions},
                      view_contexts={k: context(n) for k, n in views})


_BUILTINS = frozenset({"list", "dict", "tuple", "set", "frozenset", "str", "int", "float", "bool", "bytes",
                       "complex", "NoneType"})
_allowed: dict = {}


def _allowed_class(module: str, name: str):
    if module == "builtins" and name in _BUILTINS:
        return getattr(__import__("builtins"), name) if name != "NoneType" else type(None)
    if module == "schemadiff.model":
        found = getattr(model, name, None)
        if isinstance(found, type) and found.__module__ == "schemadiff.model" and (
                dataclasses.is_dataclass(found) or issubclass(found, enum.Enum)):
            return found
    if module == "schemadiff.spec.errors" and name in ("Mark", "SpecIssue"):
        return Mark if name == "Mark" else SpecIssue
    raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the load cache")


class _Unpickler(pickle.Unpickler):
    """Only the classes a stored value is made of; anything else (a function, os.system) is refused."""

    def find_class(self, module: str, name: str):
        key = (module, name)
        if key not in _allowed:
            _allowed[key] = _allowed_class(module, name)
        return _allowed[key]
