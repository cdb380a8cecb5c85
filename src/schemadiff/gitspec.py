"""The spec as it was at a git ref, read with git itself (no checkout).

``spec_at_ref(spec_dir, ref, dest)`` writes the YAML files of ``spec_dir`` as of
``ref`` into ``dest`` with two git processes whatever the number of files
(``git ls-tree`` lists them, one ``git cat-file --batch`` reads them all).
"""

from __future__ import annotations

import subprocess
from pathlib import Path


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


def spec_at_ref(spec_dir: Path, ref: str, dest: Path) -> bool:
    """Write ``spec_dir``'s files as of ``ref`` under ``dest``; False when the
    directory did not exist at that ref (every object is then new)."""
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
    prefix = where.resolve().relative_to(top.resolve()).as_posix()
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix if prefix != "." else ".")
    wanted: list[tuple[str, str]] = []  # (object id, path relative to the spec directory)
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.decode("utf-8").split("\t", 1)
        mode, kind, oid = meta.split()
        if kind != "blob" or mode == "120000" or not path.endswith((".yaml", ".yml")):
            continue
        rel = path[len(prefix) + 1:] if prefix != "." else path
        wanted.append((oid, rel))
    if not wanted:
        return False
    out = _git(top, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid, _ in wanted).encode())
    pos = 0
    for oid, rel in wanted:
        header_end = out.index(b"\n", pos)
        _, _, size = out[pos:header_end].decode().split()
        start = header_end + 1
        body = out[start:start + int(size)]
        pos = start + int(size) + 1  # the blob, then a newline
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return True
