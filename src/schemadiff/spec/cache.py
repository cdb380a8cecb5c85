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

A pickle is code: an entry is only unpickled when (1) its HMAC-SHA256 matches,
keyed by a secret of 32 random bytes in ``key`` in the cache directory, created
with mode 0600 and used only when it is owned by this user and readable by no
one else; and (2) every class it names is on an allowlist (the format models,
plain builtins), so even a forged entry cannot call anything.
A corrupt, truncated, foreign (other key, other version) or unauthenticated
entry is a miss: the file is read as without a cache and its entry rewritten.
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
from pathlib import Path

_FORMAT = b"schemadiff-spec-cache/2\n"
_MAGIC = b"SDC2"
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
                  tried=False)


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
            (directory / "specs").mkdir(exist_ok=True, mode=0o700)
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
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
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


def _path(key: bytes) -> Path:
    return _st()["dir"] / "specs" / key.hex()


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(_st()["secret"], key + payload, hashlib.sha256).digest()


def get(raw: bytes):
    """The ``TableSpec`` stored for this file's bytes, or None."""
    if not _ready():
        return None
    stats["misses"] += 1  # until it is a hit
    key = _entry_key(raw)
    payload = read_entry(_path(key), _MAGIC, key)
    if payload is None:
        return None
    try:
        value = _Unpickler(io.BytesIO(payload)).load()
    except Exception:  # noqa: BLE001 — any bad entry is a miss, never an error
        return None
    from .format import TableSpec

    if not isinstance(value, TableSpec):
        return None
    stats["misses"] -= 1
    stats["hits"] += 1
    return value


def put(raw: bytes, spec) -> None:
    """Store a file's validated value; any failure leaves the cache as it was."""
    if not _ready():
        return
    key = _entry_key(raw)
    try:
        payload = pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 — a cache that cannot be written is no cache, not an error
        return
    deferred = _st().get("deferred")
    if deferred is not None:
        deferred.append((_path(key), key, payload))
        stats["stored"] += 1
    elif write_entry(_path(key), _MAGIC, key, payload):
        stats["stored"] += 1


def defer_writes() -> None:
    """Hold this thread's file entries until ``write_deferred`` (``spec/forkload.py``: a child
    hands its load over first and writes the entries while the parent goes on)."""
    _st()["deferred"] = []


def write_deferred() -> None:
    """Write the entries ``defer_writes`` held; later ones are written at once again."""
    held, _st()["deferred"] = _st().get("deferred") or [], None
    for path, key, payload in held:
        write_entry(path, _MAGIC, key, payload)


# -- what every kind of entry shares (this module's per-file entries, loadcache's whole loads) -----

def ready(subdir: str) -> Path | None:
    """The directory for one kind of entry, made private to this user, or None when the cache is
    off or unusable (no key, a key others can read, nowhere to write)."""
    if not _ready():
        return None
    directory = _st()["dir"] / subdir
    try:
        directory.mkdir(exist_ok=True, mode=0o700)
    except OSError:
        return None
    return directory


def read_entry(path: Path, magic: bytes, key: bytes) -> bytes | None:
    """The payload of the entry at ``path`` when it starts with ``magic`` and its HMAC of ``key``
    and the payload is right; None for anything else (absent, short, foreign, forged)."""
    try:
        blob = path.read_bytes()
    except OSError:
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
