"""The cache written after the load is handed over (``cache.defer_writes``: ``plan``'s and
``check``'s child process). Held back, the writes are the same writes: the same pack and the
same whole-load entry, admitted by the same rule; a load that stops half-way writes nothing,
now or later."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemadiff.spec import cache, loadcache
from schemadiff.spec.load import load_spec

from .test_load_cache import FILES, assert_same
from .conftest import write_spec


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name != "key"}


def _loads(spec, directory, deferred: bool):
    """Three loads (cold, the second that admits the whole entry, a hit): what is on disk after each."""
    cache.enable(True, directory)
    seen = []
    try:
        for _ in range(3):
            before = dict(loadcache.stats)
            if deferred:
                cache.defer_writes()
            loaded = load_spec(spec, display="shown")
            if deferred:
                on_disk_meanwhile = {n for n in _files(directory) if "tmp" not in n}
                cache.flush_writes()
            else:
                on_disk_meanwhile = None
            hit = loadcache.stats["hits"] > before["hits"]
            seen.append((loaded, hit, sorted(_files(directory)), on_disk_meanwhile))
    finally:
        cache.enable(False)
    return seen


def test_deferred_writes_are_the_same_writes(tmp_path):
    spec = write_spec(tmp_path / "spec", FILES)
    plain = _loads(spec, tmp_path / "plain", deferred=False)
    later = _loads(spec, tmp_path / "later", deferred=True)
    assert [(hit, names) for _, hit, names, _ in plain] == [(hit, names) for _, hit, names, _ in later]
    assert [hit for _, hit, _, _ in later] == [False, False, True]
    # Nothing is written before the flush: the first load found an empty cache and left it so.
    assert later[0][3] == set()
    assert later[1][3] == set(plain[0][2])  # the second: only what the first wrote
    for (a, *_), (b, *_) in zip(plain, later):
        assert_same(a, b)


def test_a_load_that_stops_writes_nothing_later(tmp_path, monkeypatch):
    spec = write_spec(tmp_path / "spec", FILES)
    directory = tmp_path / "c"
    cache.enable(True, directory)
    real = cache.put
    calls = {"n": 0}

    def stop_later(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(cache, "put", stop_later)
    try:
        cache.defer_writes()
        with pytest.raises(KeyboardInterrupt):
            load_spec(spec)
        cache.flush_writes()
    finally:
        cache.enable(False)
    assert [p.name for p in (directory / "specs").iterdir()] == []
    assert not (directory / "loads").exists() or list((directory / "loads").iterdir()) == []
