"""The directory ``schemadiff import`` writes: staged inside ``--out``, moved into place whole.

``--out`` must be absent or an empty directory (a link to one is followed, as before). The
files are written once, into a staging directory made inside ``--out`` itself: the spec is
loaded back from there (``spec.dump``), and only then are its entries renamed into ``--out``,
its subdirectories first and the root file ``schemadiff.yaml`` last, so a reader never finds a
root file whose tables are not all there yet. Inside ``--out`` means on its file system
whatever links lead there, so every move is a ``rename``, never a copy.

Anything that goes wrong before the last rename (a load-back refusal, an error writing, a
Ctrl-C) leaves the file system as it was: the staging directory and every entry already moved
are removed, and so are ``--out`` and the parents this run created for it (each only while
empty: never anything another process put there). The staging directory gets a fresh
random name and mode 0700 (``mkdir`` never takes an existing entry or a link); just before
the moves ``--out`` is listed again, and it must hold nothing but the staging directory (what
appeared meanwhile is refused, never replaced: a file moves by a hard link, which fails on a
name that exists, and a directory by a rename, which fails on anything but an empty one).
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

ROOT_FILE = "schemadiff.yaml"
_PREFIX = ".schemadiff-import-"


class OutDirError(Exception):
    """``--out`` cannot take the spec: the message says why (the command adds nothing was written)."""


def usable(out: Path) -> bool:
    """Whether ``--out`` may be written: absent, or an empty directory (links followed)."""
    return not (out.exists() and (not out.is_dir() or any(out.iterdir())))


class Staging:
    """``with Staging(out) as staging:`` write and check the files in ``staging.path``, then
    ``staging.publish()``; leaving the block without publishing (an exception, a Ctrl-C)
    undoes everything this run made."""

    def __init__(self, out: Path):
        self.out = out
        self.path: Path | None = None
        self._made: list[Path] = []  # directories this run created for --out, outermost first
        self._moving: list[str] = []  # names being or already renamed into --out
        self._published = False

    def __enter__(self) -> Staging:
        try:
            self._make_out()
            for _ in range(100):
                self.path = self.out / f"{_PREFIX}{secrets.token_hex(8)}"  # known before it exists: a
                try:  # Ctrl-C right after the mkdir still finds it to remove
                    os.mkdir(self.path, 0o700)
                    break
                except FileExistsError:
                    self.path = None
            else:
                raise FileExistsError(f"no free staging name in {self.out}")
        except BaseException:
            self._undo()
            raise
        return self

    def _make_out(self) -> None:
        """``--out`` and its missing parents, as the writing of the first file always made them
        (``mkdir(parents=True, exist_ok=True)``: the same errors for a dangling link, a parent
        that is a file, …); remembers which ones it made."""
        missing = []
        p = self.out
        while not os.path.lexists(p) and p != p.parent:
            if p.name not in ("", ".", ".."):  # ``new/..`` is no directory this run makes
                missing.append(p)
            p = p.parent
        self.out.mkdir(parents=True, exist_ok=True)
        self._made = [m for m in reversed(missing) if m.is_dir() and not m.is_symlink()]

    def publish(self) -> None:
        """Rename the staged entries into ``--out``: subdirectories first, the root file last."""
        assert self.path is not None
        others = sorted(n for n in os.listdir(self.out) if n != self.path.name)
        if others:
            raise OutDirError(f"{self.out} exists and is not an empty directory")
        names = sorted(os.listdir(self.path), key=lambda n: (n == ROOT_FILE, n))
        for name in names:
            target = self.out / name
            if os.path.lexists(target):  # appeared since the listing: never replaced
                raise OutDirError(f"{self.out} exists and is not an empty directory")
            self._moving.append(name)  # before the move: a Ctrl-C just after it still undoes it
            _move(self.path / name, target, self.out)
        os.rmdir(self.path)
        self._published = True

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._published:
            self._undo()

    def _undo(self) -> None:
        for name in reversed(self._moving):  # ours when it left the staging directory (moved by this run)
            if self.path is not None and (not os.path.lexists(self.path / name)
                                          or _same_entry(self.path / name, self.out / name)):
                _remove(self.out / name)
        if self.path is not None and os.path.lexists(self.path):
            _remove(self.path)
        for directory in reversed(self._made):
            try:
                os.rmdir(directory)  # only while empty: never what another process put there
            except OSError:
                break


def _move(staged: Path, target: Path, out: Path) -> None:
    """``staged`` to ``target``, never over an entry that appeared there after the check: a file
    by a hard link (which fails on an existing name) and the unlink of the staged name; a
    directory by a rename (which fails on anything but an empty directory). Where the file
    system has no hard links, a rename."""
    if staged.is_dir() and not staged.is_symlink():
        os.rename(staged, target)
        return
    try:
        os.link(staged, target, follow_symlinks=False)
    except FileExistsError:
        raise OutDirError(f"{out} exists and is not an empty directory") from None
    except OSError:  # no hard links here (EPERM, EXDEV, ENOTSUP…): the checked rename
        if os.path.lexists(target):
            raise OutDirError(f"{out} exists and is not an empty directory") from None
        os.rename(staged, target)
        return
    os.unlink(staged)


def _same_entry(a: Path, b: Path) -> bool:
    """Both names are one file (a move by link stopped before its unlink)."""
    try:
        sa, sb = os.lstat(a), os.lstat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _remove(entry: Path) -> None:
    try:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    except OSError:
        pass
