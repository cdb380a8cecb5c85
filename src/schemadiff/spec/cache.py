"""A content-addressed cache of loaded spec table files.

Loading a table file costs reading its YAML (with the position of every key and
value, for findings that point at file:line) and validating it against the
format models. A repeated ``plan``/``check``/``validate``/``sql`` over files
that did not change gets the validated value back from here instead; the
positions are not stored: a finding that needs them reads them again from the
file's bytes (``FileContext.from_bytes``), which the load holds anyway.

Key: SHA-256 over the file's bytes, this schemadiff's version, a digest of the loader's own source (so an edited
checkout never reads entries of the code before), the Python, pydantic and PyYAML
versions, and the cache format. Value: the file's validated ``TableSpec``, pickled
(format 2; format 1 also stored the file's data with every position, which
cost more to unpickle and to hold than the file's bytes). Only files that
read and validated without an error are stored; every later check (names,
expressions and the function policy, references) still runs on every load.

Format 3 keeps the entries of one load in one file, the pack of that spec (``specs/pack-…``,
named by the name its root file is shown under), instead of one file per entry: creating
1,000 files cost a cold load more CPU than its YAML (see ``begin``). A load that parses a
file its pack lacks writes the pack again, with every entry it used.

A pickle is code: an entry is only unpickled when (1) its HMAC-SHA256 matches,
keyed by a secret of 32 random bytes in ``key`` in the cache directory, created
with mode 0600 and used only when it is owned by this user and readable by no
one else; and (2) every class it names is on an allowlist (the format models,
plain builtins), so even a forged entry cannot call anything.
A corrupt, truncated, foreign (other key, other version, another spec's) or unauthenticated
pack is a miss for every file in it: each is read as without a cache and the pack rewritten;
a record that does not unpickle to a ``TableSpec`` is a miss for its file.
Writers write a temporary file and ``os.replace`` it, so concurrent runs never
see half an entry.

Where: ``$SCHEMADIFF_CACHE_DIR``, else ``$XDG_CACHE_HOME/schemadiff``, else
``~/.cache/schemadiff``. Off with ``--no-cache`` or ``SCHEMADIFF_NO_CACHE=1``;
off as well when the directory cannot be made or its key is not private.
``load_spec`` uses it only when the command line turned it on (``enable``):
library callers and tests get the uncached loader unless they ask.

The key, the directory and the entry format (magic, HMAC, atomic write) are shared with
``spec/loadcache.py``, which keeps whole loads under ``loads/``: ``ready``, ``read_entry``
and ``write_entry`` below. The stamp of this kind of entry (which imports pydantic and
PyYAML for their versions) is made only when a file is looked up here, never on a whole hit.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import pickle
import stat
import sys
import threading
import time
from pathlib import Path

_FORMAT = b"schemadiff-spec-cache/3\n"
_KEY_BYTES = 32

stats = {"hits": 0, "misses": 0, "stored": 0}  # this process's counts (the tests read them)
_local = threading.local()  # per thread: in-process runs (tests, embedders) may overlap


def _st() -> dict:
    state = getattr(_local, "state", None)
    if state is None:
        state = _local.state = {"on": False, "dir": None, "secret": None, "stamp": None, "tried": False}
    return state


def default_dir() -> Path:
    explicit = os.environ.get("SCHEMADIFF_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "schemadiff"


def enable(on: bool = True, directory: str | Path | None = None) -> None:
    """Turn the cache on (unless ``SCHEMADIFF_NO_CACHE=1``) or off for this process."""
    if os.environ.get("SCHEMADIFF_NO_CACHE", "") not in ("", "0"):
        on = False
    _st().update(on=on, dir=Path(directory) if directory is not None else None, secret=None, stamp=None,
                  tried=False, pack=None, recent=None)  # recent: the last load's pack (see end)


def active() -> bool:
    """Whether loads consult the cache (cheap: the key is read on the first entry)."""
    return _st()["on"]


def _ready() -> bool:
    if not _st()["on"]:
        return False
    if not _st()["tried"]:
        _st()["tried"] = True
        try:
            directory = _st()["dir"] or default_dir()
            _st()["dir"] = directory
            _st()["secret"] = _secret(directory)
            if not private_dir(directory / "specs"):
                _st()["secret"] = None  # a link elsewhere, another user's: no cache
        except Exception:  # noqa: BLE001 — no home directory, a read-only one, …: no cache, never an error
            _st()["secret"] = None
    return _st()["secret"] is not None


def _secret(directory: Path) -> bytes | None:
    """The per-user key, made on first use; None (no cache) when it is not private to this user."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / "key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as out:
            out.write(os.urandom(_KEY_BYTES))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))  # a FIFO: no wait
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077:
            return None
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return None
        secret = f.read(_KEY_BYTES + 1)
    return secret if len(secret) == _KEY_BYTES else None


def _stamp() -> bytes:
    """What the key holds besides a file: versions, and the source of the code that makes a value."""
    import pydantic
    import yaml

    from .. import __version__

    h = hashlib.sha256(_FORMAT)
    h.update(f"{__version__}\0{sys.version}\0{pydantic.VERSION}\0{yaml.__version__}\0".encode())
    here = Path(__file__).resolve().parent
    for name in ("cache.py", "format.py", "yamlread.py", "validate.py", "chars.py", "errors.py", "../storage.py"):
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    return h.digest()


def _entry_key(raw: bytes) -> bytes:
    if _st()["stamp"] is None:
        _st()["stamp"] = _stamp()  # imports pydantic and PyYAML: only a load that reads files gets here
    h = hashlib.sha256(_st()["stamp"])
    h.update(hashlib.sha256(raw).digest())
    return h.digest()


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(_st()["secret"], key + payload, hashlib.sha256).digest()


def get(raw: bytes):
    """The ``TableSpec`` stored for this file's bytes, or None. Looked up in the pack of the
    load (``begin``), then in the pack the command's last load used."""
    if not _ready():
        return None
    stats["misses"] += 1  # until it is a hit
    key = _entry_key(raw)
    state = _st()
    pack = state.get("pack")
    if pack is None:
        return None
    payload = pack["records"].get(key)
    if payload is None:
        payload = _recent_records(pack).get(key)
    if payload is None:
        return None
    try:
        value = _Unpickler(io.BytesIO(payload)).load()
    except Exception:  # noqa: BLE001 — any bad entry is a miss, never an error
        return None
    from .format import TableSpec

    if not isinstance(value, TableSpec):
        return None
    pack["used"][key] = payload  # already in memory (the pack read, or the last load's)
    stats["misses"] -= 1
    stats["hits"] += 1
    return value


def put(raw: bytes, spec) -> None:
    """Store a file's validated value in the load's pack (``begin``), written once by ``end``.
    Outside a load, or when the value cannot be pickled, nothing is stored."""
    pack = _st().get("pack")
    if pack is None or not _ready():
        return
    write_later(_put, pack, raw, spec)


def _put(pack: dict, raw: bytes, spec) -> None:
    key = _entry_key(raw)
    try:
        payload = pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 — a cache that cannot be written is no cache, not an error
        return
    _append(pack, key, payload)  # on disk at once: a load of 10,000 files holds no 26 MB of payloads
    pack["new"] += 1


# -- packs: the entries of one load in one file -----------------------------------------------------
#
# Creating a file costs the kernel about a quarter of a millisecond on the machines measured
# (docs/performance.md, round 5): a cold load of 1,000 table files spent more on creating its
# 1,000 entry files than on its YAML. A load inside ``begin``/``end`` writes its new entries in one
# file instead, the pack of the spec it loads: named by the name the root file is shown under
# (the spec's directory as the command names it), holding every entry that load used. A record is
# the entry's key (32 bytes), the payload's length (4 bytes) and the payload, unpickled as an entry
# file's is; the pack is one entry of its own (magic, HMAC of its key and every record, atomic write).

_MAGIC = b"SDP3"
_RECORD_HEAD = 36


def _pack_key(name: str) -> bytes:
    if _st()["stamp"] is None:
        _st()["stamp"] = _stamp()
    h = hashlib.sha256(b"pack\0" + _st()["stamp"])
    h.update(name.encode("utf-8", "surrogateescape"))
    return h.digest()


def _records(payload: bytes) -> dict[bytes, bytes]:
    """A pack's records, key -> payload; {} for anything malformed (the HMAC held: not expected)."""
    out: dict[bytes, bytes] = {}
    at, end = 0, len(payload)
    while at < end:
        if at + _RECORD_HEAD > end:
            return {}
        key = payload[at:at + 32]
        size = int.from_bytes(payload[at + 32:at + _RECORD_HEAD], "big")
        at += _RECORD_HEAD
        if at + size > end:
            return {}
        out[key] = payload[at:at + size]
        at += size
    return out


def _read_pack(path: Path, key: bytes) -> dict[bytes, bytes]:
    payload = read_entry(path, _MAGIC, key)
    return _records(payload) if payload is not None else {}


def _recent_records(pack: dict) -> dict[bytes, bytes]:
    """The records of the pack the command's last load used, read on the first miss of this load
    (``check`` loads the base after the head: the same files under other names)."""
    recent = pack["recent"]
    if isinstance(recent, tuple):
        recent = pack["recent"] = _read_pack(*recent) if recent[0] != pack["path"] else {}
    return recent or {}


def _append(pack: dict, key: bytes, payload: bytes) -> None:
    """A record into the temporary file the pack is written to (made on the first one: magic, room
    for the MAC, which ``end`` writes); any failure drops the pack, never the load."""
    if pack["failed"]:
        return
    try:
        if pack["out"] is None:
            _st()["written"] = written = _st().get("written", 0) + 1
            path = pack["path"]
            pack["tmp"] = path.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{written}-{path.name[:16]}")
            fd = os.open(pack["tmp"], os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            pack["out"] = os.fdopen(fd, "wb")
            pack["out"].write(_MAGIC + b"\0" * 32)
            pack["mac"] = hmac.new(_st()["secret"], pack["key"], hashlib.sha256)
        for part in (key, len(payload).to_bytes(4, "big"), payload):
            pack["out"].write(part)
            pack["mac"].update(part)
        pack["written"].add(key)
    except Exception:  # noqa: BLE001 — a cache that cannot be written is no cache, not an error
        pack["failed"] = True


def begin(name: str) -> None:
    """A load of the spec whose root file is shown as ``name`` starts: its pack is read."""
    state = _st()
    state["pack"] = None
    if not _ready():
        return
    key = _pack_key(name)
    path = _st()["dir"] / "specs" / f"pack-{key.hex()}"
    state["pack"] = {"path": path, "key": key, "records": _read_pack(path, key), "used": {}, "new": 0,
                     "recent": state.get("recent"), "out": None, "tmp": None, "mac": None, "written": set(),
                     "failed": False}


def holds_no_pack() -> bool:
    """Whether a load now would read every file: the cache is off, or holds no pack of any spec
    (never used: the first run, a CI job's fresh cache). Cheap: no key, no stamp."""
    if not _st()["on"]:
        return True
    try:
        with os.scandir((_st()["dir"] or default_dir()) / "specs") as entries:
            return not any(e.name.startswith("pack-") for e in entries)
    except OSError:
        return True


def has_pack(name: str) -> bool:
    """Whether the spec whose root file is shown as ``name`` has a pack (was loaded before)."""
    return _ready() and (_st()["dir"] / "specs" / f"pack-{_pack_key(name).hex()}").exists()


def abort() -> None:
    """The load stopped before ``end`` (an exception, a Ctrl-C): its temporary pack is removed,
    the pack on disk left as it was."""
    state = _st()
    pack, state["pack"] = state.get("pack"), None
    if state.get("later"):  # its writes held back (defer_writes) are not done
        state["later"] = [(fn, args) for fn, args in state["later"] if args[0] is not pack]
    if pack is None or pack["out"] is None:
        return
    try:
        pack["out"].close()
    except Exception:  # noqa: BLE001 — only closing a file this load will not use
        pass
    try:
        os.unlink(pack["tmp"])
    except OSError:
        pass


def end() -> None:
    """The load is over: when it parsed a file the pack did not hold, the pack is written again with
    every entry the load used, and as many of the pack's other entries (another spec shown under
    the same names: ``check --base-ref``'s base) as fit beside them (older entries beyond that, of
    files no spec has any more, are left out). Where that pack is, not its records, is kept for
    the command's next load."""
    state = _st()
    pack, state["pack"] = state.get("pack"), None
    if pack is not None:
        write_later(_end, pack)


def _end(pack: dict) -> None:
    state = _st()
    written = False
    if pack["out"] is not None:
        for key, payload in pack["used"].items():  # the entries the load found: they stay in the pack
            if key not in pack["written"]:
                _append(pack, key, payload)
        # Entries of the pack this load did not use stay too, up to as many as it used: ``check
        # --base-ref`` loads the base under the head's names, so both use this one pack, and each
        # would otherwise drop what the other needs (neither would ever be found whole again).
        room = len(pack["written"])
        for key, payload in pack["records"].items():
            if room <= 0:
                break
            if key not in pack["written"]:
                _append(pack, key, payload)
                room -= 1
        try:
            with pack["out"] as out:
                if not pack["failed"]:
                    out.seek(len(_MAGIC))
                    out.write(pack["mac"].digest())
            if not pack["failed"]:
                os.replace(pack["tmp"], pack["path"])
                written = True
                sweep(pack["path"].parent)
        except Exception:  # noqa: BLE001 — as _append
            pass
        if not written:
            try:
                os.unlink(pack["tmp"])
            except OSError:
                pass
        else:
            stats["stored"] += pack["new"]
    if written or pack["records"]:
        state["recent"] = (pack["path"], pack["key"])


# -- writes after the result ------------------------------------------------------------------------
#
# A child process that loads a spec for its parent (``spec/forkload.py``) hands the load over
# first and writes the cache after, while the parent goes on: pickling and writing a cold load's
# 1,000 entries cost about 0.07 s of the child's time, which the parent would wait for. What is
# written, and when it counts as written (``stats``), is the same; only the moment moves.

def defer_writes() -> None:
    """From now on in this thread, the cache's writes (a load's pack, a whole-load entry) wait for
    ``flush_writes``; lookups are unchanged."""
    _st()["later"] = []


def flush_writes() -> None:
    """Do the writes ``defer_writes`` held back, in order; from now on they are done at once."""
    later, _st()["later"] = _st().get("later"), None
    for fn, args in later or ():
        fn(*args)


def write_later(fn, *args) -> None:
    """``fn(*args)``, now or (after ``defer_writes``) at ``flush_writes``."""
    later = _st().get("later")
    if later is None:
        fn(*args)
    else:
        later.append((fn, args))


# -- what every kind of entry shares (this module's per-file entries, loadcache's whole loads) -----

def ready(subdir: str) -> Path | None:
    """The directory for one kind of entry, made private to this user, or None when the cache is
    off or unusable (no key, a key others can read, nowhere to write)."""
    if not _ready():
        return None
    directory = _st()["dir"] / subdir
    return directory if private_dir(directory) else None


# Files in the cache directory are hostile input where the directory is shared (docs/ci.md: a
# cache kept in the workspace holds what a pull request put there): each is read only when it is
# a regular file, not a link, and not larger than this; anything else is a miss.
MAX_ENTRY_BYTES = 1 << 30
# A temporary file this old is no running load's (a load of 10,000 files writes its pack in
# seconds): the next write in its directory removes it (a killed process cannot).
STALE_SECONDS = 3600


def read_regular(path: Path, limit: int = MAX_ENTRY_BYTES) -> bytes | None:
    """The bytes of ``path`` when it is a regular file (not a link, a FIFO, a device) of at most
    ``limit`` bytes; None for anything else. Opened without waiting: a FIFO never blocks."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
                return None
            data = f.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None


def private_dir(directory: Path) -> bool:
    """``directory`` made if missing, and usable: a real directory of this user (not a link to
    somewhere else, which would send the cache's writes there)."""
    try:
        directory.mkdir(exist_ok=True, mode=0o700)
        st = os.lstat(directory)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def sweep(directory: Path) -> None:
    """Remove the temporary files of writers long gone (``STALE_SECONDS``) from ``directory``."""
    cutoff = time.time() - STALE_SECONDS
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith(".tmp-"):
                    try:
                        if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                            os.unlink(entry.path)
                    except OSError:
                        pass
    except OSError:
        pass


def read_entry(path: Path, magic: bytes, key: bytes) -> bytes | None:
    """The payload of the entry at ``path`` when it starts with ``magic`` and its HMAC of ``key``
    and the payload is right; None for anything else (absent, short, foreign, forged, not a
    regular file)."""
    blob = read_regular(path)
    if blob is None:
        return None
    head = len(magic) + 32
    if len(blob) <= head or blob[:len(magic)] != magic:
        return None
    payload = blob[head:]
    if not hmac.compare_digest(blob[len(magic):head], _mac(key, payload)):
        return None
    return payload


def write_entry(path: Path, magic: bytes, key: bytes, payload: bytes) -> bool:
    """Write an entry atomically; False (the cache as it was) when it cannot be written."""
    try:
        _st()["written"] = written = _st().get("written", 0) + 1
        # A name no other writer uses (this process's id and count; O_EXCL all the same), then
        # renamed over the entry: readers see the old entry or the whole new one.
        tmp = path.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{written}-{path.name[:16]}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(magic + _mac(key, payload) + payload)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except Exception:  # noqa: BLE001 — a cache that cannot be written is no cache, not an error
        return False
    return True


_BUILTINS = frozenset({"list", "dict", "tuple", "set", "frozenset", "str", "int", "float", "bool", "bytes",
                       "complex", "NoneType", "object"})


_allowed: dict = {}  # (module, name) -> the class, once allowed


class _Unpickler(pickle.Unpickler):
    """Only the classes a stored value is made of; anything else (a function, os.system) is refused."""

    def find_class(self, module: str, name: str):
        found = _allowed.get((module, name))
        if found is None:
            found = _allowed[(module, name)] = self._allowed_class(module, name)
        return found

    def _allowed_class(self, module: str, name: str):
        from pydantic import BaseModel

        if module == "builtins" and name in _BUILTINS:
            return super().find_class(module, name)
        if module == "copyreg" and name == "_reconstructor":
            return super().find_class(module, name)
        if module == "schemadiff.spec.format":
            from . import format as f

            value = getattr(f, name, None)
            if isinstance(value, type) and issubclass(value, BaseModel):
                return value
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the spec cache")
