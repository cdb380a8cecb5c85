"""Loading a spec on the second core, in a child process.

``check`` loads two specs, the head and the base, one after the other; ``plan`` loads
the spec while a thread reads the catalog. A load the caches do not hold (a cold one) is
Python's work, and Python's work runs on one core (the catalog read's client part needs
the same interpreter). Here a child process, forked before any thread starts, loads the
spec (``check``'s base, ``plan``'s spec) while this process does the rest, and hands back
what a whole-load cache entry holds (``spec/loadcache.py``: the model, the warnings,
which file each object came from) and the bytes of the files it was made of (and, as
its contexts compressed them, so that this process does not compress them again). This
process rebuilds the ``LoadedSpec`` from them exactly as a cache hit does, through the
same allowlisting unpickler; a finding later points at the same file:line. A load that
fails with a ``SpecError`` hands back the error's issues (all a SpecError is made of),
raised here as the same error.

The child's load is the plain ``load_spec`` (with the disk caches when they are on, so
it reads and writes the same entries; it writes them after it has handed the load over,
``cache.defer_writes``, so that the parent does not wait for the pickling and the writes).
Anything else comes back as None: an exception that is not a SpecError, a crash, a
signal, a payload that does not unpickle. The caller
then loads the spec itself, in this process, exactly as without this module. The child
never writes to stdout or stderr and leaves by ``os._exit`` (no atexit handler, no
buffer of this process flushed twice).

It is used only where it pays and is safe: on Linux (on macOS a forked child of a process
that loaded system frameworks, as libpq may, can abort with a message); when this process
may run on a second core (its CPU affinity, not the machine's count); when it runs no
other thread (forking a threaded process can deadlock the child); and when the spec has
at least ``MIN_FILES`` files (a small spec loads in less time than a fork and a pickle
cost). When the whole-load cache holds the spec, the child
hands back nothing and the caller loads it (a hit in this process costs less than a hit
in the child and its payload: measured at 1,000 tables, 0.50 s against 0.66 s for a warm
``check``). ``check`` looks the entry up before it forks (no child for a hit); ``plan``
leaves the lookup to the child, so that its catalog thread starts without waiting for
it. ``SCHEMADIFF_NO_FORK=1`` turns it off.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from pathlib import Path

from .load import LoadedSpec

MIN_FILES = 200


class Forked:
    """A forked process writing one payload to a pipe: read it whole, cancel it, reap it."""

    def __init__(self, pid: int, fd: int):
        self._pid = pid
        self._fd = fd
        self._got = False  # the payload was read to its end

    def _read_all(self) -> bytes:
        """The payload (b"" when the pipe failed); an interrupt cancels the process."""
        try:
            with io.FileIO(self._fd, "r") as pipe:  # one buffer, grown in place: no second copy
                self._fd = -1
                payload = pipe.readall()
                self._got = True
                return payload
        except OSError:
            return b""
        except BaseException:  # interrupted while waiting: the process goes too
            self.cancel()
            raise

    def cancel(self) -> None:
        """The payload will not be used (something else failed, or this process is interrupted).
        A process whose payload was read whole is not killed: it may still be finishing what
        it does after (``BaseLoad``: the cache's writes); it is reaped as usual."""
        if self._got:
            return
        if self._pid:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except OSError:
                pass
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._reap()

    def _reap(self) -> int | None:
        if not self._pid:
            return None
        pid, self._pid = self._pid, 0
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return None
        return os.waitstatus_to_exitcode(status)


class BaseLoad(Forked):
    """A spec loading in a child process, started by ``start``."""

    def __init__(self, pid: int, fd: int, ready_fd: int = -1):
        super().__init__(pid, fd)
        self._ready_fd = ready_fd

    def wait_ready(self) -> None:
        """Wait until the child has read the spec's files (``start``'s ``hold``): what is left of
        its load runs on one core. At once when there is nothing to wait for; never raises."""
        fd, self._ready_fd = self._ready_fd, -1
        if fd < 0:
            return
        try:
            os.read(fd, 1)  # a byte, or the end of the pipe: the child (and its helper) are gone
        except OSError:
            pass
        finally:
            os.close(fd)

    def result(self) -> LoadedSpec | None:
        """The child's load; its SpecError, raised here; or None (the caller loads the spec
        itself). Waits for the child."""
        from ..gcpause import paused_gc
        from .errors import SpecError
        from .loadcache import unpack

        payload = self._read_all()
        # The child is reaped later (``reap``): this process goes on meanwhile. A payload cut
        # short does not unpickle.
        _late.append(self)
        with paused_gc():  # a model of many small objects, as a load builds it
            got = unpack(payload) if payload else None
        del payload
        if isinstance(got, list):
            raise SpecError(got)
        return got

    def _reap(self) -> int | None:
        fd, self._ready_fd = self._ready_fd, -1  # never waited for (the catalog thread did not get there)
        if fd >= 0:
            os.close(fd)
        return super()._reap()


def may_fork() -> bool:
    """Whether forking a process to work beside this one is safe and may pay here: Linux (on
    macOS a forked child of a process that loaded system frameworks may abort), not turned off,
    a second core in this process's CPU affinity, no other thread (forking a threaded process
    can deadlock the child)."""
    if not sys.platform.startswith("linux") or os.environ.get("SCHEMADIFF_NO_FORK"):
        return False
    return _cores() >= 2 and threading.active_count() == 1


_late: list[BaseLoad] = []  # children whose payload is read, not yet reaped


def reap() -> None:
    """Wait for the children whose payload ``result`` read (the end of a command: no child
    outlives it)."""
    while _late:
        _late.pop()._reap()


def start(spec_dir: str | Path, display: str | None = None, *, look_up_here: bool = True,
          split: bool = False) -> BaseLoad | None:
    """Start loading ``spec_dir`` in a child process; None when that is not worth it or not safe
    here (the caller then loads it itself, later). ``look_up_here``: whether this process looks
    the whole-load entry up first (no child for a hit), or the child does (``plan``: its
    catalog thread starts without waiting for the lookup). ``split``: this process will leave a
    core idle meanwhile, so the child reads a cold spec's files on two (``spec/preparse.py``).

    With ``split``, when the cache holds no pack at all (or is off: every file will be read),
    the result's ``wait_ready`` waits until the child has read the files: ``plan``'s catalog
    read waits for it, so that the files are read on both cores, and the read runs beside the
    part of the load that runs on one (measured in docs/performance.md, round 6). A cache that
    was used before is not waited for: there, the read starts at once, as the load may be a hit."""
    if not may_fork() or _count_files(Path(spec_dir)) < MIN_FILES:
        return None
    if look_up_here and _hit(spec_dir, display):
        return None
    from . import cache as disk_cache

    hold = split and disk_cache.holds_no_pack()
    read_fd, write_fd = os.pipe()
    ready_r, ready_w = os.pipe() if hold else (-1, -1)
    try:
        pid = os.fork()
    except OSError:
        for fd in (read_fd, write_fd, ready_r, ready_w):
            if fd >= 0:
                os.close(fd)
        return None
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(read_fd)
            if ready_r >= 0:
                os.close(ready_r)
                _ready_fd[0] = ready_w
            import gc

            gc.disable()  # a process that exits once it has written: no collection to pay for (paused_gc leaves it)
            from . import cache as disk_cache

            disk_cache.defer_writes()  # the cache is written after the parent has the load (below)
            payload = _load(spec_dir, display, look_up=not look_up_here, split=split)
            _files_read()  # at the latest now (a hit, an error)
            if payload is not None:
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(payload)
                code = 0
            else:
                os.close(write_fd)
            disk_cache.flush_writes()  # while the parent goes on; it reaps this process at its end
        except BaseException:  # noqa: BLE001 — the parent loads it again and reports what happens
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    if ready_w >= 0:
        os.close(ready_w)
    return BaseLoad(pid, read_fd, ready_r)


_ready_fd = [-1]  # in the child: the pipe that tells the parent the files are read


def _files_read() -> None:
    """In the child: the spec's files are read (or will not be); the parent may go on."""
    fd, _ready_fd[0] = _ready_fd[0], -1
    if fd >= 0:
        try:
            os.write(fd, b"r")
        except OSError:
            pass
        os.close(fd)


def _load(spec_dir, display: str | None, look_up: bool = True, split: bool = False) -> bytes | None:
    """The child's payload: the load, its SpecError's issues, or None (the parent loads it:
    a hit, when ``look_up``, or a walk that failed)."""
    from .errors import SpecError
    from .loadcache import pack_error

    try:
        return _loaded(spec_dir, display, look_up, split)
    except SpecError as exc:
        return pack_error(exc.issues)


def _loaded(spec_dir, display: str | None, look_up: bool, split: bool = False) -> bytes | None:
    from ..gcpause import paused_gc
    from . import cache as disk_cache
    from .load import _load_spec
    from .loadcache import cached_load, pack, read_files

    with paused_gc():
        named: list[tuple[str, bytes]] = []
        if disk_cache.active():
            def full(files):
                if files is None:
                    raise _Unread  # a walk error: the parent's own load reports it
                # Only a spec never loaded before (no pack of its files): else most are in the pack.
                handed = _split(named) if split and not disk_cache.has_pack(named[0][0]) else None
                return _load_spec(spec_dir, display, None, files, handed)

            # ``look_up``: a spec the whole-load cache holds is handed back as nothing (the
            # parent's own hit costs less than this one and its payload), found by this walk.
            loaded = cached_load(spec_dir, display, full, seen=named, none_if_stored=look_up)
            if loaded is None:
                return None
        else:
            files = read_files(spec_dir, display)
            if files is None:
                return None
            read, named = files
            loaded = _load_spec(spec_dir, display, None, read, _split(named) if split else None)
        return pack(loaded, named)


def _split(named: list[tuple[str, bytes]]) -> dict:
    from .load import _read_on_two_cores

    try:
        return _read_on_two_cores(named)
    finally:
        _files_read()


def _cores() -> int:
    """The cores this process may run on (``taskset``, a container's cpuset), not the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _hit(spec_dir, display: str | None) -> bool:
    from . import cache as disk_cache
    from .loadcache import has_entry

    return disk_cache.active() and has_entry(spec_dir, display)


class _Unread(Exception):
    pass


def _count_files(spec_dir: Path) -> int:
    """About how many spec files the directory holds (at least MIN_FILES is all that is asked)."""
    base = spec_dir if spec_dir.is_dir() else spec_dir.parent
    n = 0
    try:
        for _, _, names in os.walk(base):
            n += sum(1 for name in names if name.endswith((".yaml", ".yml")))
            if n >= MIN_FILES:
                break
    except OSError:
        return 0
    return n
