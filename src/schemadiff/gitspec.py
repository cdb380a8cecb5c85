"""The spec as it was at a git ref, read with git itself (no checkout), and
the checks that make the gate's inputs unambiguous.

``spec_at_ref(spec_dir, ref, dest)`` writes the YAML files of ``spec_dir`` as of
``ref`` into ``dest`` with two git processes whatever the number of files
(``git ls-tree`` lists them, one ``git cat-file --batch`` reads them all).

A pull request controls the working tree, so a path in it proves nothing by
its name alone: ``base_kind`` refuses a ``--base`` that is both a path and a
git ref; ``check_links`` refuses spec files that are symbolic links out of the
repository; ``spec_at_ref`` refuses a spec directory that a symbolic link makes
point somewhere else than it did at the base (a move that would hide what it
removed).
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from pathlib import Path, PurePosixPath

from .spec.load import POLICY_NAMES, ROOT_NAMES


class GitError(Exception):
    pass


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(cwd), *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (needed to read the base spec at a git ref)") from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}") from None
    if done.returncode != 0:
        raise GitError(done.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return done.stdout


def _where(spec_dir: Path) -> Path:
    return spec_dir if spec_dir.is_dir() else spec_dir.parent


def repo_top(spec_dir: Path) -> Path | None:
    """The top (resolved) of the git repository that holds ``spec_dir`` where it
    is written — a directory that is a symbolic link belongs to the repository
    holding the link, not to wherever it points — or None."""
    where = Path(os.path.abspath(_where(spec_dir)))
    for candidate in (where, *where.parents):
        if candidate.is_symlink() or not candidate.is_dir():
            continue
        try:
            return Path(_git(candidate, "rev-parse", "--show-toplevel").decode().strip()).resolve()
        except GitError:
            continue
    return None


def is_git_ref(spec_dir: Path, ref: str) -> bool:
    """Does ``ref`` name a commit of the repository holding ``spec_dir``?"""
    top = repo_top(spec_dir)
    if top is None or not ref or ref.startswith("-"):
        return False
    try:
        _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except GitError:
        return False
    return True


def base_kind(value: str, spec_dir: Path) -> str:
    """``--base VALUE``: "dir" or "ref"; GitError when it is both (or neither)."""
    is_path = os.path.lexists(value)
    is_ref = is_git_ref(spec_dir, value)
    if is_path and is_ref:
        raise GitError(f"--base {value!r} names both a path in the working tree and a git ref, and a pull request "
                       f"can add either: say which with --base-dir {value} or --base-ref {value}")
    if is_path:
        return "dir"
    if is_ref:
        return "ref"
    top = repo_top(spec_dir)
    if top is None:
        raise GitError(f"--base {value!r} is not a directory, and {spec_dir} is not inside a git repository, so it "
                       "cannot be a git ref either (give a directory, or run inside the repository)")
    raise GitError(f"--base {value!r} is neither a directory nor a git ref of {top.name} "
                   "(in CI, fetch the base branch first: actions/checkout with fetch-depth: 0)")


def _inside(path: Path, boundary: Path) -> bool:
    return path == boundary or boundary in path.parents


def check_links(spec_dir: Path, what: str = "the spec") -> None:
    """GitError unless every file the loader would read for ``spec_dir`` (and the
    policy file found beside it) resolves inside the repository holding it — or,
    outside any repository, inside the spec directory itself."""
    root = _where(spec_dir)
    if not root.is_dir():
        return  # the loader says what is wrong with it
    top = repo_top(spec_dir)
    boundary = top if top is not None else root.resolve()
    where = "the repository" if top is not None else f"the spec directory {root}"
    if not _inside(root.resolve(), boundary):
        raise GitError(f"{what} directory {spec_dir} is a symbolic link to {root.resolve()}, outside {where}")
    candidates = [p for p in root.rglob("*") if p.suffix in (".yaml", ".yml")
                  and not any(part.startswith(".") for part in p.relative_to(root).parts)]
    candidates += [root.parent / name for name in POLICY_NAMES]
    for path in sorted(candidates):
        if path.is_symlink():
            try:
                target = path.resolve()
            except (OSError, RuntimeError):  # a loop: the loader cannot read it either
                continue
            if not _inside(target, boundary):
                raise GitError(f"{path} is a symbolic link to {target}, outside {where}: {what} may only "
                               "read files of the repository")


def _lexically_inside(path: Path, top: Path) -> bool:
    """Is ``path`` written under the repository (whatever links it then goes through)?"""
    for ancestor in Path(os.path.abspath(path)).parents:
        try:
            if ancestor.resolve() == top:
                return True
        except (OSError, RuntimeError):
            continue
    return False


def check_path_in_repo(path: Path, spec_dir: Path, what: str) -> None:
    """GitError when ``path`` — a file ``check`` reads or writes (``--policy``,
    ``--prove-setup``, ``-o``) — is written inside the repository holding
    ``spec_dir`` but reaches outside it through a symbolic link (one the pull
    request may have added: reading would print another file's text in errors,
    writing would overwrite a file of the CI machine)."""
    top = repo_top(spec_dir)
    if top is None or not _lexically_inside(path, top):
        return
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        raise GitError(f"{what} {path} is a symbolic link that does not resolve") from None
    if not _inside(real, top):
        raise GitError(f"{what} {path} is a symbolic link to {real}, outside the repository")


def _lexical_rel(spec_dir: Path, top: Path) -> str | None:
    """``spec_dir`` relative to the repository's top, its symbolic links NOT
    followed (None when it only reaches the repository through one)."""
    path = Path(os.path.abspath(_where(spec_dir)))
    parts: list[str] = []
    while True:
        try:
            if path.resolve() == top:
                return PurePosixPath(*reversed(parts)).as_posix() if parts else "."
        except (OSError, RuntimeError):
            pass
        if path.parent == path:
            return None
        parts.append(path.name)
        path = path.parent


def _entry(top: Path, commit: str, path: str) -> tuple[str, str, str] | None:
    """(mode, type, object id) of ``path`` at ``commit``, not following links."""
    listing = _git(top, "ls-tree", "-z", "--full-tree", commit, "--", path)
    for entry in listing.split(b"\0"):
        if entry:
            meta, name = entry.split(b"\t", 1)
            if os.fsdecode(name) == path:
                mode, kind, oid = meta.decode().split()
                return mode, kind, oid
    return None


def _resolve_at(top: Path, commit: str, rel: str) -> str | None:
    """``rel`` with the symbolic links of the tree at ``commit`` followed; None
    when it does not exist there, GitError when a link leaves the repository."""
    todo = [p for p in rel.split("/") if p not in ("", ".")]
    done: list[str] = []
    hops = 0
    while todo:
        part = todo.pop(0)
        if part == "..":
            if not done:
                raise GitError(f"{rel} leads out of the repository at the base")
            done.pop()
            continue
        entry = _entry(top, commit, "/".join(done + [part]))
        if entry is None:
            return None
        if entry[0] == "120000":
            hops += 1
            target = os.fsdecode(_cat(top, [entry[2]])[0])
            if hops > 40 or target.startswith("/"):
                raise GitError(f"{'/'.join(done + [part])} is a symbolic link out of the repository at the base "
                               f"({target})")
            todo = [p for p in target.split("/") if p not in ("", ".")] + todo
            continue
        done.append(part)
    return "/".join(done) or "."


def spec_at_ref(spec_dir: Path, ref: str, dest: Path, base_path: str | None = None) -> bool:
    """Write ``spec_dir``'s files as of ``ref`` under ``dest``; False when the
    directory did not exist at that ref (every object is then new). ``base_path``
    names the directory at the base when it has moved since (relative to the
    repository's top)."""
    top = repo_top(spec_dir)
    if top is None:
        raise GitError(f"{spec_dir} is not inside a git repository, so {ref!r} cannot be a git ref "
                       "(give a directory with --base-dir, or run inside the repository)")
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").decode().strip()
    except GitError:
        raise GitError(f"{ref!r} is not a git ref of {top.name} "
                       "(in CI, fetch the base branch first: actions/checkout with fetch-depth: 0)") from None
    here = _where(spec_dir).resolve()
    if not _inside(here, top):
        raise GitError(f"{spec_dir} resolves to {here}, outside the repository")
    resolved = here.relative_to(top).as_posix() or "."
    if base_path is not None:
        prefix = PurePosixPath(base_path.strip("/") or ".").as_posix()
    else:
        lexical = _lexical_rel(spec_dir, top) or resolved
        then = _resolve_at(top, commit, lexical)
        if then is not None and then != resolved:
            shown = lexical if lexical != "." else "the repository's top"
            raise GitError(f"{shown} is {resolved} in the working tree but was {then} at {ref}: a symbolic link "
                           f"makes the spec directory point elsewhere, which would hide what a move removed; check "
                           f"the real directory ({resolved}) with --base-path {then}")
        prefix = resolved
    wanted = _spec_files(top, commit, prefix)
    if not wanted:
        if base_path is not None:
            raise GitError(f"--base-path {base_path!r} holds no spec files at {ref}")
        # A spec at the base whose directory is gone from the working tree (or is only reached through a
        # symbolic link now): moved or renamed, not new.
        gone = sorted(str(PurePosixPath(p[1]).parent) for p in _tree(top, commit, ".")
                      if PurePosixPath(p[1]).name in ROOT_NAMES and not _same_file_there(top, p[1]))
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


def _same_file_there(top: Path, rel: str) -> bool:
    """Is ``rel`` still a file of the working tree at that very path (no link on the way)?"""
    path = top / rel
    try:
        return path.is_file() and path.resolve() == path
    except (OSError, RuntimeError):
        return False


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
            if target.startswith(("../", "/")) or target == "..":
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
