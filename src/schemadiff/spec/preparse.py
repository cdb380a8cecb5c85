"""Work of one item at a time, done on two cores: a cold load's table files read and validated,
``import``'s tables rendered and read back.

Reading a table file's YAML and validating it against the format models is about half of a
cold load (0.4 s of 0.75 s at 1,000 tables), and each file's is independent of every other's.
``split`` forks a process that does every other file while this one does the rest, and hands
back, for each file, what ``load.table_spec`` made of it; the load (``_load_spec``'s
``handed``) then takes those instead of reading the files again. The rest of the load (names,
types, expressions, references across tables) runs here, on all of them, as before.
``halves`` is the same for any work on a list (``split``'s files; ``import``'s tables, each
rendered and its text read: ``dump._rendered_on_two_cores``).

What the other process hands back is an optimization only: an item it does not hand back (a
view, a function, a file with an error, or every item when the process crashed, was killed or
wrote something that does not unpickle) is done by the caller itself, with the plain messages.
Its payload goes through the per-file cache's allowlisting unpickler (``cache._Unpickler``:
the format models and plain builtins), and each value must be one the caller accepts, for one
of the items it was given. The process writes nothing else anywhere, stops when this one is
gone (it checks its parent between items), and leaves by ``os._exit``.

Used only where a core would otherwise be idle, by a caller that says so: ``plan``'s child
(``spec/forkload.py``; the parent only reads the catalog meanwhile, then waits), a load that
has the machine to itself, and ``import`` once its catalog read is over (no connection is
open). Only on Linux, with a second core in this process's CPU affinity, no other thread in
this process, and at least ``MIN_FILES`` items. ``SCHEMADIFF_NO_FORK=1`` turns it off, as it
does ``forkload``.
"""

from __future__ import annotations

import io
import os

from .forkload import Forked, may_fork

MIN_FILES = 200  # items (files, tables): fewer are not worth a process


def split(named: list[tuple[str, bytes]]) -> dict:
    """(name shown, bytes) -> ``TableSpec`` for the table files of ``named`` that read and validate
    without an error; {} when not worth it or not safe here. Waits for the other process."""
    from .format import TableSpec
    from .load import _imports, table_spec

    _imports()  # the loader's modules, imported once, before the fork
    made = halves(named, lambda item: table_spec(*item), lambda spec: isinstance(spec, TableSpec))
    return {named[i]: spec for i, spec in made.items()}


def halves(items: list, work, accept) -> dict:
    """index -> ``work(item)`` for each item of ``items`` where that is not None: every other item
    done by a forked process, the rest here. ``accept`` checks each value the other process hands
    back (what it refuses, and every item of the other's share when that process fails, is left
    out: the caller does those itself). {} when not worth it or not safe here. ``work`` must
    never write anything: the other process's result is a value only."""
    if len(items) < MIN_FILES or not may_fork():
        return {}
    theirs = items[1::2]
    other = _start(theirs, work)
    if other is None:
        return {}
    out: dict = {}
    try:
        for i in range(0, len(items), 2):
            value = work(items[i])
            if value is not None:
                out[i] = value
    except BaseException:
        other.cancel()
        raise
    for j, value in other.result(accept).items():
        out[2 * j + 1] = value
    return out


class _Other(Forked):
    def __init__(self, pid: int, fd: int, count: int):
        super().__init__(pid, fd)
        self._count = count

    def result(self, accept) -> dict:
        """index in the items given -> value, for the values ``accept`` takes; {} for a payload
        that is not such a dict."""
        payload = self._read_all()
        self._reap()
        return _checked(payload, self._count, accept)


def _checked(payload: bytes, count: int, accept) -> dict:
    from . import cache

    try:
        value = cache._Unpickler(io.BytesIO(payload)).load()
    except Exception:  # noqa: BLE001 — a payload cut short or of another shape: the load reads them all
        return {}
    if not isinstance(value, dict):
        return {}
    return {i: made for i, made in value.items() if type(i) is int and 0 <= i < count and accept(made)}


def _start(items: list, work) -> _Other | None:
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the other process: never returns
        code = 1
        try:
            os.close(read_fd)
            import pickle

            out = {}
            for i, item in enumerate(items):
                if os.getppid() != parent:
                    break  # the process that wanted these is gone
                value = work(item)
                if value is not None:
                    out[i] = value
            else:
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
                code = 0
        except BaseException:  # noqa: BLE001 — the load reads these files itself
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return _Other(pid, read_fd, len(items))
