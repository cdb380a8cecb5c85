"""Two specs loaded under one name share one pack of file entries (``spec/cache.py``):
``check --base-ref`` shows the base, read out of git, under the head's file names. Each
load writes the pack again; it must keep what the other load needs, or neither is ever
found whole again and every ``check`` of a pull request resolves both specs in full."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from schemadiff.spec import cache, loadcache

from .conftest import run_cli, write_spec


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                          check=True, capture_output=True, text=True).stdout


def _table(name: str, extra: str = "") -> str:
    return f"table: {name}\ncolumns:\n  id: {{type: bigint, primary_key: true}}\n{extra}"


@pytest.mark.parametrize("fork", ["no child", "child"])
def test_head_and_git_base_both_become_whole_hits(tmp_path: Path, monkeypatch, fork):
    from schemadiff.spec import forkload

    if fork == "no child":
        monkeypatch.setenv("SCHEMADIFF_NO_FORK", "1")
    else:
        monkeypatch.delenv("SCHEMADIFF_NO_FORK", raising=False)
        monkeypatch.setattr(forkload, "MIN_FILES", 1)
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(tmp_path / "cache"))
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    files = {"schemadiff.yaml": "version: 1\n", **{f"tables/t{i}.yaml": _table(f"t{i}") for i in range(6)}}
    write_spec(repo / "spec", files)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    monkeypatch.chdir(repo)
    # The pull request: one table changed, one added, one deleted.
    (repo / "spec" / "tables" / "t1.yaml").write_text(_table("t1", "  note: text\n"), encoding="utf-8")
    (repo / "spec" / "tables" / "new.yaml").write_text(_table("new"), encoding="utf-8")
    (repo / "spec" / "tables" / "t5.yaml").unlink()
    hits = []
    for _ in range(4):
        before = loadcache.stats["hits"]
        r = run_cli("check", "spec", "--base-ref", "main")
        assert r.code == 3 and "t5" in r.out, r  # the deleted table is refused
        hits.append(loadcache.stats["hits"] - before)
    # The first run meets both specs cold; by the third, each is kept whole and is a hit.
    assert hits[-1] == 2, hits
