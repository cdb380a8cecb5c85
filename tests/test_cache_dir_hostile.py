"""What someone who can put files in the cache directory (a pull request, when the cache
lives in the workspace, ``docs/ci.md``) can do with them: nothing but misses. A FIFO or a
link to ``/dev/zero`` where an entry, a pack or the key should be never hangs a command or
fills its memory; ``specs/`` or ``loads/`` as a link never sends the cache's writes elsewhere;
a load stopped half way leaves no temporary file behind for good."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from schemadiff.spec import cache

from .conftest import EXAMPLES, ROOT, run_cli

SPEC = EXAMPLES / "customer_care" / "schema"


def _run(cache_dir: Path, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "SCHEMADIFF_CACHE_DIR": str(cache_dir), "SCHEMADIFF_NO_FORK": "1"}
    return subprocess.run([sys.executable, "-m", "schemadiff", *argv], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def _warm(cache_dir: Path) -> None:
    for _ in range(2):
        assert _run(cache_dir, "sql", str(SPEC)).returncode == 0


@pytest.mark.parametrize("what", ["key", "pack", "whole load"])
@pytest.mark.parametrize("how", ["fifo", "link to /dev/zero"])
def test_a_special_file_in_the_cache_is_a_miss(tmp_path: Path, what, how):
    cache_dir = tmp_path / "c"
    _warm(cache_dir)
    expected = _run(tmp_path / "fresh", "sql", str(SPEC), "--no-cache").stdout
    if what == "key":
        targets = [cache_dir / "key"]
    elif what == "pack":  # read only on a miss of the whole load: those go
        import shutil

        shutil.rmtree(cache_dir / "loads")
        targets = [p for p in (cache_dir / "specs").iterdir() if p.name.startswith("pack-")]
    else:
        targets = list((cache_dir / "loads").iterdir())
    assert targets
    for target in targets:
        target.unlink()
        if how == "fifo":
            os.mkfifo(target)
        else:
            os.symlink("/dev/zero", target)
    started = time.monotonic()
    r = _run(cache_dir, "sql", str(SPEC), timeout=30)
    assert r.returncode == 0 and r.stdout == expected, r.stderr
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("sub", ["specs", "loads"])
def test_a_linked_cache_subdirectory_is_not_written_through(tmp_path: Path, sub):
    cache_dir = tmp_path / "c"
    _warm(cache_dir)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    import shutil

    shutil.rmtree(cache_dir / "specs")  # every load a full one again: both kinds are written
    shutil.rmtree(cache_dir / "loads")
    os.symlink(elsewhere, cache_dir / sub)
    for _ in range(2):
        r = _run(cache_dir, "sql", str(SPEC))
        assert r.returncode == 0, r.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_load_stopped_half_way_leaves_no_temporary_file_for_long(tmp_path: Path, monkeypatch):
    """A pack being written when the load stops (an exception, a killed process) is removed by
    the next load that writes one, once it is old enough to be no one's."""
    cache_dir = tmp_path / "c"
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(cache_dir))
    real = cache.put
    calls = {"n": 0}

    def stop_later(*a, **k):  # the pack's temporary file is open from the first entry on
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(cache, "put", stop_later)
    with pytest.raises(KeyboardInterrupt):
        run_cli("sql", str(SPEC))
    monkeypatch.undo()
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(cache_dir))
    left = [p for p in (cache_dir / "specs").iterdir() if p.name.startswith(".tmp-")]
    assert left == []  # an exception in the load drops its temporary pack at once
    # A killed process cannot: its temporary file, once old, goes at the next pack written.
    stale = cache_dir / "specs" / ".tmp-1-2-3-pack-0123456789ab"
    stale.write_bytes(b"x")
    old = time.time() - 2 * cache.STALE_SECONDS
    os.utime(stale, (old, old))
    assert run_cli("sql", str(EXAMPLES / "memory_entities" / "schema")).code == 0
    assert not stale.exists()
