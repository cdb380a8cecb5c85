"""The spec as it was at a git ref, read with git itself (no checkout).

``spec_at_ref(spec_dir, ref, dest)`` writes the YAML files of ``spec_dir`` as of
``ref`` into ``dest`` with two git processes whatever the number of files
(``git ls-tree`` lists them, one ``git cat-file --batch`` reads them all).
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from pathlib import Path, PurePosixPath

from .spec.load import ROOT_NAMES


class GitError(Exception):
    pass


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(cwd), *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (needed to read the base spec at a git ref)") from None
    if done.returncode != 0:
        raise GitError(done.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return done.stdout


def spec_at_ref(spec_dir: Path, ref: str, dest: Path, base_path: str | None = None) -> bool:
    """Write ``spec_dir``'s files as of ``ref`` under ``dest``; False when the
    directory did not exist at that ref (every object is then new). ``base_path``
    names the directory at the base when it has moved since (relative to the
    repository's top)."""
    where = spec_dir if spec_dir.is_dir() else spec_dir.parent
    try:
        top = Path(_git(where, "rev-parse", "--show-toplevel").decode().strip())
    except GitError:
        raise GitError(f"{spec_dir} is not inside a git repository, so --base {ref!r} cannot be a git ref "
                       "(give a directory, or run inside the repository)") from None
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except GitError:
        raise GitError(f"--base {ref!r} is neither a directory nor a git ref of {top.name} "
                       "(in CI, fetch the base branch first: actions/checkout with fetch-depth: 0)") from None
    if base_path is not None:
        prefix = PurePosixPath(base_path.strip("/") or ".").as_posix()
    else:
        prefix = where.resolve().relative_to(top.resolve()).as_posix()
    wanted = _spec_files(top, commit, prefix)
    if not wanted:
        if base_path is not None:
            raise GitError(f"--base-path {base_path!r} holds no spec files at {ref}")
        # A spec at the base whose directory is gone from the working tree: moved or renamed, not new.
        gone = sorted(str(PurePosixPath(p[1]).parent) for p in _tree(top, commit, ".")
                      if PurePosixPath(p[1]).name in ROOT_NAMES and not (top / p[1]).exists())
        if gone:
            found = ", ".join(gone)
            raise GitError(f"{prefix} did not exist at {ref}, but a spec did ({found}): if the spec moved, give "
                           "--base-path with its old directory, so removed objects are still seen as removed")
        return False
    blobs = _cat(top, [oid for oid, _ in wanted])
    for (oid, rel), body in zip(wanted, blobs):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return True


def _tree(top: Path, commit: str, prefix: str) -> list[tuple[str, str, str]]:
    """(mode, object id, path) of every blob under ``prefix`` at ``commit``."""
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix)
    out = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, kind, oid = meta.decode().split()
        if kind == "blob":
            out.append((mode, os.fsdecode(path), oid))
    return out


def _spec_files(top: Path, commit: str, prefix: str) -> list[tuple[str, str]]:
    """(object id, path relative to the spec directory) of its YAML files; a
    symbolic link is followed inside the tree, as the loader follows it on disk."""
    entries = [e for e in _tree(top, commit, prefix) if e[1].endswith((".yaml", ".yml"))]
    links = [e for e in entries if e[0] == "120000"]
    targets: dict[str, str] = {}
    if links:
        for (mode, path, oid), body in zip(links, _cat(top, [e[2] for e in links])):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), os.fsdecode(body)))
            if target.startswith("../") or target == "..":
                raise GitError(f"{path} is a symbolic link out of the repository ({os.fsdecode(body)})")
            targets[path] = target
        resolved = {}
        for path, target in targets.items():
            try:
                resolved[path] = _git(top, "rev-parse", "--verify", "--quiet", f"{commit}:{target}").decode().strip()
            except GitError:
                raise GitError(f"{path} is a symbolic link to {target}, which does not exist at the base") from None
    out = []
    for mode, path, oid in entries:
        if mode == "120000":
            oid = resolved[path]
        rel = path[len(prefix) + 1:] if prefix != "." else path
        out.append((oid, rel))
    return out


def _cat(top: Path, oids: list[str]) -> list[bytes]:
    """The contents of many blobs with one ``git cat-file --batch``."""
    if not oids:
        return []
    out = _git(top, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in oids).encode())
    bodies, pos = [], 0
    for _ in oids:
        header_end = out.index(b"\n", pos)
        _, _, size = out[pos:header_end].decode().split()
        start = header_end + 1
        bodies.append(out[start:start + int(size)])
        pos = start + int(size) + 1  # the blob, then a newline
    return bodies
