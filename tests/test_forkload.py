"""``check`` loads its base in a child process while the head loads (``spec.forkload``).

What ``check`` prints must be what it prints with the base loaded in this process
(``SCHEMADIFF_NO_FORK=1``), byte for byte: the findings that point into the base's files
(a deleted table, a dropped column) included. A child that fails in any way (an error,
a crash, a payload that is not a load, a forged pickle) means the base is loaded again
here, with the plain load's messages; a head that fails leaves no child behind.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from schemadiff.spec import forkload, loadcache, preparse
from schemadiff.spec.errors import SpecError

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"


def _table(name: str, extra: str = "") -> str:
    return (f"table: {name}\ncolumns:\n  id: {{type: bigint, primary_key: true}}\n"
            f"  note: {{type: text, check: length(note) < 100}}\n{extra}")


def _spec(root: Path, n: int = 12, drop: str | None = None, plus: dict[str, str] | None = None) -> Path:
    files = {"schemadiff.yaml": ROOT}
    for i in range(n):
        name = f"t{i:02d}"
        if name != drop:
            files[f"tables/{name}.yaml"] = _table(name, "  legacy: boolean\n" if i % 3 == 0 else "")
    return write_spec(root, {**files, **(plus or {})})


@pytest.fixture
def forked(monkeypatch):
    """Every base is loaded in a child (MIN_FILES 1), and ``plan``'s child reads a cold spec's files
    on two cores (``preparse``); the list holds each child's outcome."""
    monkeypatch.delenv("SCHEMADIFF_NO_FORK", raising=False)
    monkeypatch.setattr(forkload, "MIN_FILES", 1)
    monkeypatch.setattr(preparse, "MIN_FILES", 1)
    outcomes: list[bool] = []
    real = forkload.BaseLoad.result

    def result(self):
        try:
            loaded = real(self)
        except SpecError:
            outcomes.append("error")
            raise
        outcomes.append(loaded is not None)
        return loaded

    monkeypatch.setattr(forkload.BaseLoad, "result", result)
    return outcomes


def _in_process(monkeypatch, *argv: str, cache_dir: Path | None = None):
    """The same command with the base loaded in this process (and, given ``cache_dir``, a cache
    of its own, so that the forked runs meet the cache as their own runs left it)."""
    monkeypatch.setenv("SCHEMADIFF_NO_FORK", "1")
    before = os.environ.get("SCHEMADIFF_CACHE_DIR")
    if cache_dir is not None:
        monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(cache_dir))
    r = run_cli(*argv)
    monkeypatch.delenv("SCHEMADIFF_NO_FORK")
    if before is not None:
        monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", before)
    return r


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                          check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("cache", ["cache", "no-cache"])
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_base_directory_loaded_in_a_child_reports_the_same(tmp_path: Path, monkeypatch, forked, cache, fmt):
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(tmp_path / "cache"))
    base = _spec(tmp_path / "base")
    # t03 deleted (SD301 points at the base's file), t06 loses a column (SD302), one new table
    head = _spec(tmp_path / "head", drop="t03", plus={"tables/t06.yaml": _table("t06"),
                                                      "tables/new.yaml": _table("new")})
    argv = ["check", str(head), "--base", str(base), "--format", fmt] + (["--no-cache"] if cache == "no-cache" else [])
    for run in range(3):  # cold, the second load (writes the whole entry), a hit
        forked.clear()
        r = run_cli(*argv)
        # A base the whole-load cache holds is loaded here: a hit costs less than a child's.
        assert forked == ([] if run == 2 and cache == "cache" else [True]), run  # check looks it up first
        assert forkload._late == []  # the child is reaped when the command returns
        if run == 0 and cache == "cache":
            # The head's pack of file entries, and the base's, written by the child.
            assert len([p for p in (tmp_path / "cache" / "specs").iterdir() if p.name.startswith("pack-")]) == 2
        plain = _in_process(monkeypatch, *argv, cache_dir=tmp_path / "plain-cache")
        assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
        assert r.code == 3 and "t03" in r.out and "legacy" in r.out, r
    if fmt == "json":
        assert '"file": "' + str(tmp_path / "base" / "tables" / "t03.yaml") in r.out or "t03.yaml" in r.out


def test_a_git_base_loaded_in_a_child_reports_the_same(tmp_path: Path, monkeypatch, forked):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _spec(repo / "db" / "spec")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(tmp_path / "cache"))
    (repo / "db" / "spec" / "tables" / "t03.yaml").unlink()
    (repo / "db" / "spec" / "tables" / "t06.yaml").write_text(_table("t06"), encoding="utf-8")
    for run in range(4):
        forked.clear()
        r = run_cli("check", "db/spec", "--base", "main", "--format", "github")
        # Cold, then the second sight; head and base share one pack of file entries (the base is
        # shown under the head's names), written by both processes at once, so which run first
        # finds the base whole depends on which wrote last: by the fourth, it is found whole.
        if run < 2:
            assert forked == [True], run
        elif run == 3:
            assert forked == [], run
        plain = _in_process(monkeypatch, "check", "db/spec", "--base", "main", "--format", "github",
                            cache_dir=tmp_path / "plain-cache")
        assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
        assert r.code == 3 and "file=db/spec/tables/t03.yaml" in r.out, r
    # A ref that does not exist, with a head that loads: the git error, as before.
    r = run_cli("check", "db/spec", "--base-ref", "no-such-ref")
    plain = _in_process(monkeypatch, "check", "db/spec", "--base-ref", "no-such-ref")
    assert r.code == 1 and (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
    # A ref that does not exist and a head that does not load: the head's error, as before.
    (repo / "db" / "spec" / "tables" / "bad.yaml").write_text("table: bad\ncolumns: [\n", encoding="utf-8")
    r = run_cli("check", "db/spec", "--base-ref", "no-such-ref")
    assert r.code == 1 and "bad.yaml" in r.err, r


def test_a_base_that_does_not_load_is_reported_by_the_plain_load(tmp_path: Path, monkeypatch, forked):
    base = _spec(tmp_path / "base", plus={"tables/bad.yaml": "table: bad\ncolumns:\n  id: {type: nosuchtype\n"})
    head = _spec(tmp_path / "head")
    forked.clear()
    r = run_cli("check", str(head), "--base", str(base))
    assert forked == ["error"]  # the child's SpecError, raised here: not loaded twice
    plain = _in_process(monkeypatch, "check", str(head), "--base", str(base))
    assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
    assert r.code == 1 and "bad.yaml" in r.err and "the base spec" in r.err, r


def _boom(spec_dir, display, **_):
    raise RuntimeError("the child fails")


def _crash(spec_dir, display, **_):
    os._exit(0)  # a child that leaves without a word (exit 0, nothing written)


def _garbage(spec_dir, display, **_):
    return b"\x80\x05not a pickle"


def _forged(canary: Path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {canary}",))

    return lambda spec_dir, display, **_: pickle.dumps(Evil())


@pytest.mark.parametrize("how", ["raises", "crashes", "garbage", "forged", "killed"])
def test_a_child_that_fails_means_the_base_is_loaded_here(tmp_path: Path, monkeypatch, forked, how):
    canary = tmp_path / "canary"
    base = _spec(tmp_path / "base")
    head = _spec(tmp_path / "head", drop="t03")
    if how == "killed":
        real = forkload._load

        def killed(spec_dir, display, **kwargs):
            payload = real(spec_dir, display, **kwargs)
            os.kill(os.getpid(), 9)
            return payload

        monkeypatch.setattr(forkload, "_load", killed)
    else:
        monkeypatch.setattr(forkload, "_load", {"raises": _boom, "crashes": _crash, "garbage": _garbage,
                                                "forged": _forged(canary)}[how])
    r = run_cli("check", str(head), "--base", str(base))
    assert forked == [False]
    plain = _in_process(monkeypatch, "check", str(head), "--base", str(base))
    assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
    assert r.code == 3 and "t03" in r.out, r
    assert not canary.exists()  # the forged payload was refused, never run


def test_a_head_that_does_not_load_leaves_no_child(tmp_path: Path, monkeypatch, forked):
    base = _spec(tmp_path / "base")
    head = _spec(tmp_path / "head", plus={"tables/bad.yaml": "table: bad\ncolumns: [\n"})
    started: list[forkload.BaseLoad] = []
    real_start = forkload.start

    def start(*args):
        pending = real_start(*args)
        started.append((pending, pending._pid))
        return pending

    monkeypatch.setattr(forkload, "start", start)
    r = run_cli("check", str(head), "--base", str(base))
    assert r.code == 1 and "bad.yaml" in r.err, r
    assert forked == []  # never waited for: cancelled
    (pending, pid), = started
    assert pending._pid == 0
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)


def test_small_specs_and_threaded_processes_load_the_base_here(tmp_path: Path, monkeypatch):
    import threading

    monkeypatch.delenv("SCHEMADIFF_NO_FORK", raising=False)
    base = _spec(tmp_path / "base", n=3)
    assert forkload.start(base) is None  # fewer files than MIN_FILES
    monkeypatch.setattr(forkload, "MIN_FILES", 1)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert forkload.start(base) is None  # another thread runs: no fork
    finally:
        stop.set()
        thread.join()
    monkeypatch.setenv("SCHEMADIFF_NO_FORK", "1")
    assert forkload.start(base) is None
    monkeypatch.delenv("SCHEMADIFF_NO_FORK")
    pending = forkload.start(base)
    assert pending is not None
    loaded = pending.result()
    assert loaded is not None and sorted(t.name for t in loaded.schema.tables) == ["t00", "t01", "t02"]
    assert loadcache.unpack(b"") is None


# -- plan: the spec loads in a child while the catalog is read -----------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "sql"])
def test_plan_with_the_spec_loaded_in_a_child_prints_the_same(pg, db, tmp_path: Path, monkeypatch, forked, fmt):
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(tmp_path / "cache"))
    applied = _spec(tmp_path / "applied")
    assert _in_process(monkeypatch, "apply", str(applied), "--db", pg.dsn(db), "--yes").code == 0
    assert pg.run_psql(db, sql="CREATE TABLE canary (id int); INSERT INTO canary VALUES (1), (2);").returncode == 0
    # t03 dropped from the spec (not from the database), t06 loses a column, a new table
    spec = _spec(tmp_path / "spec", drop="t03", plus={"tables/t06.yaml": _table("t06"),
                                                      "tables/new.yaml": _table("new")})
    argv = ["plan", str(spec), "--db", pg.dsn(db), "--format", fmt]
    for run in range(3):  # cold, the second load, a hit (loaded here)
        forked.clear()
        r = run_cli(*argv)
        assert forked == ([False] if run == 2 else [True]), run  # plan's child looks it up, hands back nothing
        plain = _in_process(monkeypatch, *argv, cache_dir=tmp_path / "plain-cache")
        assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
        assert r.code == 0 and "new" in r.out, r
    assert pg.run_psql(db, sql="SELECT 1").returncode == 0
    with __import__("psycopg").connect(pg.dsn(db)) as conn:
        assert conn.execute("SELECT count(*) FROM canary").fetchone()[0] == 2


def test_plan_reports_the_child_s_spec_error_as_its_own(pg, db, tmp_path: Path, monkeypatch, forked):
    spec = _spec(tmp_path / "spec", plus={"tables/bad.yaml": "table: bad\ncolumns:\n  id: {type: nosuchtype}\n"})
    r = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert forked == ["error"]
    plain = _in_process(monkeypatch, "plan", str(spec), "--db", pg.dsn(db))
    assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
    assert r.code == 1 and "bad.yaml" in r.err and "nosuchtype" in r.err, r
    # An unreachable database and a broken spec: the spec's error, as without the child.
    r = run_cli("plan", str(spec), "--db", "host=127.0.0.1 port=1 connect_timeout=2 password=ForkSecret7")
    assert r.code == 1 and "bad.yaml" in r.err and "ForkSecret7" not in r.out + r.err, r


def test_no_child_on_a_single_core(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("SCHEMADIFF_NO_FORK", raising=False)
    monkeypatch.setattr(forkload, "MIN_FILES", 1)
    base = _spec(tmp_path / "base", n=3)
    monkeypatch.setattr(forkload, "_cores", lambda: 1)
    assert forkload.start(base) is None
    if hasattr(os, "sched_getaffinity"):
        monkeypatch.undo()
        monkeypatch.delenv("SCHEMADIFF_NO_FORK", raising=False)
        monkeypatch.setattr(forkload, "MIN_FILES", 1)
        assert forkload._cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("command", ["check", "plan"])
def test_a_fifo_in_a_spec_loaded_by_the_child_is_reported_as_the_plain_load_reports_it(
        pg, db, tmp_path: Path, monkeypatch, forked, command):
    """A hostile path in the spec the child loads (a FIFO named like a spec file): never opened,
    never waited on; the child hands nothing back and the plain load names it."""
    spec = _spec(tmp_path / "spec")
    os.mkfifo(spec / "tables" / "pipe.yaml")
    argv = (["check", str(_spec(tmp_path / "head")), "--base", str(spec)] if command == "check"
            else ["plan", str(spec), "--db", pg.dsn(db)])
    started = __import__("time").monotonic()
    r = run_cli(*argv)
    assert __import__("time").monotonic() - started < 20
    assert forked == [False]  # the child's walk met the FIFO: loaded again here
    plain = _in_process(monkeypatch, *argv)
    assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
    assert r.code == 1 and "pipe.yaml is not a regular file" in r.err, r
    assert forkload._late == []


@pytest.mark.parametrize("cache", ["cache", "no-cache"])
def test_the_child_s_payload_is_the_load_with_every_mark(tmp_path: Path, monkeypatch, cache):
    """What the parent rebuilds from the payload (the files' bytes as the child's contexts
    compressed them) is the plain load: model, warnings, file maps and the mark of every value."""
    from schemadiff.spec import cache as disk_cache
    from schemadiff.spec.load import load_spec

    from .test_load_cache import EXAMPLE_SPECS, assert_same

    for spec in [_spec(tmp_path / "s", plus={"tables/x.yaml": _table("x", "indexes:\n  x_idx: {columns: [id]}\n")}),
                 *EXAMPLE_SPECS]:
        disk_cache.enable(cache == "cache", tmp_path / "c")
        try:
            payload = forkload._load(spec, "shown")
        finally:
            disk_cache.enable(False)
        rebuilt = loadcache.unpack(payload)
        assert rebuilt is not None
        assert_same(rebuilt, load_spec(spec, display="shown"))
        # A payload whose compressed bytes are not bytes is no load.
        kind, value, named, compressed = __import__("pickle").loads(payload)
        bad = __import__("pickle").dumps((kind, value, named, {k: 1 for k in compressed}))
        assert compressed and loadcache.unpack(bad) is None


# -- plan, cold: the catalog read waits until the child has read the files ----------------------

def test_the_read_waits_for_the_files_only_when_the_cache_holds_no_pack(tmp_path: Path, monkeypatch, forked):
    from schemadiff.spec import cache as disk_cache

    spec = _spec(tmp_path / "spec")
    disk_cache.enable(True, tmp_path / "c")
    try:
        assert disk_cache.holds_no_pack()
        child = forkload.start(spec, look_up_here=False, split=True)
        assert child is not None and child._ready_fd >= 0
        child.wait_ready()  # returns once the child has read the files
        assert child._ready_fd == -1
        assert child.result() is not None
        child.wait_ready()  # again: at once
        forkload.reap()
        assert not disk_cache.holds_no_pack()  # the child wrote the spec's pack
        for split in (True, False):
            child = forkload.start(spec, look_up_here=False, split=split)
            assert child is not None and child._ready_fd == -1  # a used cache: the read starts at once
            child.result()
            forkload.reap()
    finally:
        disk_cache.enable(False)
    disk_cache.enable(False)  # the cache off: every file is read, so the read waits
    assert disk_cache.holds_no_pack()
    child = forkload.start(spec, look_up_here=False, split=True)
    assert child is not None and child._ready_fd >= 0
    child.cancel()  # never waited for: its end of the pipe is closed with it
    assert child._ready_fd == -1


@pytest.mark.parametrize("how", ["raises", "crashes", "garbage", "killed", "killed at once"])
def test_a_plan_whose_child_fails_before_the_files_are_read_is_the_plain_plan(
        pg, db, tmp_path: Path, monkeypatch, forked, how):
    """The catalog thread waits for the child's word: a child that never gives it (an error, a
    crash, SIGKILL before or after the files are read) does not hold the plan up, and the spec
    is loaded here."""
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(tmp_path / "cache"))
    spec = _spec(tmp_path / "spec")
    if how.startswith("killed"):
        real = forkload._load

        def killed(spec_dir, display, **kwargs):
            if how == "killed at once":
                os.kill(os.getpid(), 9)
            payload = real(spec_dir, display, **kwargs)
            os.kill(os.getpid(), 9)
            return payload

        monkeypatch.setattr(forkload, "_load", killed)
    else:
        monkeypatch.setattr(forkload, "_load", {"raises": _boom, "crashes": _crash, "garbage": _garbage}[how])
    argv = ["plan", str(spec), "--db", pg.dsn(db)]
    r = run_cli(*argv)
    assert forked == [False]
    plain = _in_process(monkeypatch, *argv, cache_dir=tmp_path / "plain-cache")
    assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
    assert r.code == 0 and "t00" in r.out, r


def test_plan_without_the_cache_reads_on_two_cores_and_prints_the_same(pg, db, tmp_path: Path, monkeypatch, forked):
    spec = _spec(tmp_path / "spec", plus={"tables/bad_name.yaml": _table("t01")})  # t01 twice: an error
    argv = ["plan", str(spec), "--db", pg.dsn(db), "--no-cache"]
    r = run_cli(*argv)
    assert forked == ["error"]
    plain = _in_process(monkeypatch, *argv)
    assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
    assert r.code == 1 and "already defined" in r.err, r
    (spec / "tables" / "bad_name.yaml").unlink()
    import threading
    import time

    deadline = time.monotonic() + 30
    while threading.active_count() > 1 and time.monotonic() < deadline:  # the abandoned read ends
        time.sleep(0.05)
    forked.clear()
    r = run_cli(*argv)
    assert forked == [True]
    plain = _in_process(monkeypatch, *argv)
    assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
    assert r.code == 0, r


def test_a_plan_whose_spec_has_an_error_writes_the_cache_as_the_plain_load(pg, db, tmp_path: Path, monkeypatch, forked):
    """The child hands back the spec's error, then writes the cache (its deferred writes): it is
    not killed for it, so the files that did load are in the pack, and no temporary file is left
    (found in review: the pack was lost and a .tmp- file left on every such plan)."""
    spec = _spec(tmp_path / "spec", plus={"tables/bad.yaml": "table: bad\ncolour: red\n"})
    argv = ["plan", str(spec), "--db", pg.dsn(db)]
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(tmp_path / "cache"))
    r = run_cli(*argv)
    forkload.reap()
    assert forked == ["error"] and r.code == 1 and "colour" in r.err, r
    plain = _in_process(monkeypatch, *argv, cache_dir=tmp_path / "plain")
    assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
    ours = sorted(p.name for p in (tmp_path / "cache" / "specs").iterdir())
    theirs = sorted(p.name for p in (tmp_path / "plain" / "specs").iterdir())
    assert ours == theirs and len(ours) == 1 and ours[0].startswith("pack-"), (ours, theirs)
    # The same records (the MAC after the magic differs: each cache directory has its own key),
    # each the same value: not the same bytes, as a set pickles in the order it iterates in, which
    # depends on how it was built (a file read by the other process comes back unpickled).
    import io

    from schemadiff.spec import cache as disk_cache

    def records(root: Path) -> dict:
        found = disk_cache._records((root / "specs" / ours[0]).read_bytes()[36:])
        return {key: disk_cache._Unpickler(io.BytesIO(payload)).load() for key, payload in found.items()}

    mine, plain_records = records(tmp_path / "cache"), records(tmp_path / "plain")
    assert mine == plain_records and len(mine) == 12, (mine, plain_records)  # the files that loaded


def test_a_cold_plan_reads_the_catalog_after_the_child_has_read_the_files(pg, db, tmp_path: Path, monkeypatch, forked):
    """The order the wait promises, on a real plan: the catalog read starts once the child has
    read the files (both timed on the system's monotonic clock, which processes share); with a
    used cache, the read does not wait."""
    import time

    from schemadiff.introspect import prefetch

    spec = _spec(tmp_path / "spec")
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(tmp_path / "cache"))
    marks = tmp_path / "files-read"
    real_files_read, real_introspect = forkload._files_read, prefetch.introspect
    read_at: list[float] = []

    def files_read():  # in the child
        if forkload._ready_fd[0] >= 0:
            marks.write_text(repr(time.monotonic()))
        real_files_read()

    def introspect(*args, **kwargs):
        read_at.append(time.monotonic())
        return real_introspect(*args, **kwargs)

    monkeypatch.setattr(forkload, "_files_read", files_read)
    monkeypatch.setattr(prefetch, "introspect", introspect)
    argv = ["plan", str(spec), "--db", pg.dsn(db)]
    r = run_cli(*argv)
    assert r.code == 0 and forked == [True], r
    assert len(read_at) == 1 and read_at[0] >= float(marks.read_text())
    marks.unlink()
    r = run_cli(*argv)  # the cache holds a pack now: no wait, no mark
    assert r.code == 0 and not marks.exists()
