"""The cache of loaded spec files (spec/cache.py): the same output with and without it,
and an entry that is corrupt, truncated, foreign or forged is a miss, never an error
and never code."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from schemadiff.spec import cache, loadcache

from .conftest import EXAMPLES, ROOT, run_cli, write_spec

EXAMPLE_SPECS = sorted(p.parent for p in EXAMPLES.glob("*/schema/schemadiff.yaml"))


@pytest.fixture(autouse=True)
def _per_file_only(monkeypatch):
    """These tests are of the per-file cache: the cache of whole loads (test_load_cache.py) is
    kept out of the in-process runs, so every load reaches the per-file entries."""
    monkeypatch.setattr(loadcache, "cached_load", lambda spec_dir, display, load, **_: load(None))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(directory))
    monkeypatch.delenv("SCHEMADIFF_NO_CACHE", raising=False)
    return directory


def _run(*argv: str):
    before = dict(cache.stats)
    r = run_cli(*argv)
    hits = cache.stats["hits"] - before["hits"]
    stored = cache.stats["stored"] - before["stored"]
    return (r.code, r.out, r.err), hits, stored


def _same_three_ways(*argv: str, files: int, cold_hits: int = 0, loads: int | None = None):
    """--no-cache, a cold cache, a warm cache: the same code and bytes; the warm run reads every file
    from the cache, the cold one writes every file to it."""
    shutil.rmtree(os.environ["SCHEMADIFF_CACHE_DIR"], ignore_errors=True)  # cold: an empty cache
    uncached, hits, stored = _run(*argv, "--no-cache")
    assert (hits, stored) == (0, 0)
    cold, hits, stored = _run(*argv)
    assert hits == cold_hits and stored == files
    warm, hits, stored = _run(*argv)
    assert hits == (loads or files) and stored == 0
    assert cold == uncached
    assert warm == uncached
    return uncached


def _table_files(spec: Path) -> int:
    """The table files (function and view files are not cached)."""
    return sum(1 for p in spec.rglob("*.y*ml") if p.name not in ("schemadiff.yaml", "schemadiff-policy.yaml")
               and "\ntable:" in "\n" + p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("spec", EXAMPLE_SPECS, ids=lambda p: p.parent.name)
def test_examples_byte_identical(spec, cache_dir):
    n = _table_files(spec)
    assert n > 0
    assert _same_three_ways("validate", str(spec), files=n)[0] == 0
    assert _same_three_ways("sql", str(spec), files=n)[0] == 0
    # check reads the head, then the base: the same files, which the cold run already finds stored
    assert _same_three_ways("check", str(spec), "--base", str(spec), files=n, cold_hits=n, loads=2 * n)[0] == 0


def test_examples_plan_byte_identical(pg, db, cache_dir):
    spec = EXAMPLES / "engagement" / "schema"
    assert pg.run_psql(db, file=EXAMPLES / "engagement" / "prerequisites.sql").returncode == 0
    n = _table_files(spec)
    for fmt in ("text", "sql", "json"):  # a plan with every table to create
        assert _same_three_ways("plan", str(spec), "--db", pg.dsn(db), "--format", fmt, files=n)[0] == 0
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    out = _same_three_ways("plan", str(spec), "--db", pg.dsn(db), files=n)
    assert "No changes" in out[1]


def test_synthetic_schema_byte_identical(pg, db, cache_dir, tmp_path):
    sql = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "synth.py"), "40"], capture_output=True,
                         text=True, check=True).stdout
    assert pg.run_psql(db, sql=sql).returncode == 0
    spec = tmp_path / "spec"
    assert run_cli("import", "--db", pg.dsn(db), "--out", str(spec)).code == 0
    n = _table_files(spec)
    assert n == 40
    assert _same_three_ways("plan", str(spec), "--db", pg.dsn(db), files=n)[0] == 0
    assert _same_three_ways("validate", str(spec), files=n)[0] == 0
    assert _same_three_ways("sql", str(spec), files=n)[0] == 0
    # a head with one table fewer and one changed: findings point at file:line from cached files
    head = tmp_path / "head"
    shutil.copytree(spec, head)
    tables = sorted(p for p in head.rglob("*.yaml") if p.name != "schemadiff.yaml")
    tables[-1].unlink()
    text = tables[3].read_text()
    assert "varchar(32)" in text
    tables[3].write_text(text.replace("varchar(32)", "varchar(64)", 1))  # a widening
    # the head's n - 2 unchanged files are stored once, under the head's names, and read for the
    # base's under theirs
    code, out, err = _same_three_ways("check", str(head), "--base", str(spec), files=n + 1, cold_hits=n - 2,
                                      loads=2 * n - 1)
    assert code == 3 and f"head/{tables[3].relative_to(head).as_posix()}:" in out


def test_findings_point_at_the_same_lines(cache_dir, tmp_path):
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": "version: 1\n",
        "tables/a.yaml": "table: a\ncolumns:\n  id: {type: bigint}\n  n: {type: integer}\n"
                         "primary_key: [id]\nindexes:\n  a_id_idx: {columns: [id]}\n",
        "tables/b.yaml": "table: b\ncolumns:\n  id: {type: bigint}\n\n\n  x: {type: integer, default: \"nosuch(1)\"}\n"
                         "checks:\n  - \"y > 0\"\n",
    })
    code, out, err = _same_three_ways("validate", str(spec), files=2)
    assert code == 1
    assert "b.yaml:6:" in err and "b.yaml:8:" in err  # the error lines, read from cached marks
    good = write_spec(tmp_path / "good", {
        "schemadiff.yaml": "version: 1\n",
        "tables/a.yaml": "table: a\ncolumns:\n  id: {type: bigint}\nprimary_key: [id]\n\n"
                         "indexes:\n  a_id_idx: {columns: [id]}\n",
    })
    code, out, err = _same_three_ways("validate", str(good), files=1)
    assert code == 0 and "a.yaml:7:" in err  # the warning (an index repeating the key)


def test_an_entry_read_under_another_name_points_at_that_file(cache_dir, tmp_path):
    """Two specs with the same file under other names, loaded by one command (``check`` loads its
    base after its head): the second finds the first's entry, and its findings name its own file."""
    from schemadiff.spec.errors import SpecError
    from schemadiff.spec.load import load_spec

    files = {"schemadiff.yaml": "version: 1\n",
             "tables/b.yaml": "table: b\ncolumns:\n  id: {type: bigint}\n\n  x: {type: integer, default: \"nosuch(1)\"}\n"}
    first, second = write_spec(tmp_path / "first", files), write_spec(tmp_path / "second", files)
    errors = []
    before = dict(cache.stats)
    cache.enable(True)
    try:
        for spec in (first, second):
            with pytest.raises(SpecError) as exc:
                load_spec(spec)
            errors.append([i.render() for i in exc.value.issues])
    finally:
        cache.enable(False)
    assert (cache.stats["hits"] - before["hits"], cache.stats["stored"] - before["stored"]) == (1, 1)
    assert "first/tables/b.yaml:5:" in errors[0][0]
    assert errors[1] == [e.replace("first", "second") for e in errors[0]] and "first" not in str(errors[1])
    (code, out, err), hits, stored = _run("validate", str(second), "--no-cache")
    assert code == 1 and err.count("error:") == 1 and errors[1][0] in err


def test_a_file_that_does_not_validate_is_not_stored(cache_dir, tmp_path):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\n",
                                          "tables/a.yaml": "table: a\ncolumns:\n  id: {tpye: bigint}\n"})
    for _ in range(2):
        (code, out, err), hits, stored = _run("validate", str(spec))
        assert code == 1 and "tpye" in err and (hits, stored) == (0, 0)


def test_no_cache_environment(cache_dir, tmp_path, monkeypatch):
    spec = EXAMPLES / "engagement" / "schema"
    monkeypatch.setenv("SCHEMADIFF_NO_CACHE", "1")
    assert _run("validate", str(spec))[1:] == (0, 0)
    assert not cache_dir.exists()


# -- hostile and broken entries -------------------------------------------------------------------

SPEC = EXAMPLES / "engagement" / "schema"


def _entries(cache_dir: Path) -> list[Path]:
    return sorted(p for p in (cache_dir / "specs").rglob("*") if p.is_file())


def _warm(cache_dir):
    before = len(_entries(cache_dir)) if (cache_dir / "specs").exists() else 0
    reference, _, stored = _run("sql", str(SPEC))
    assert stored == _table_files(SPEC)
    assert len(_entries(cache_dir)) == before + 1  # one pack holds the load's entries
    return reference


class _Boom:
    def __reduce__(self):
        return (os.system, (f"touch {CANARY}",))


CANARY = Path("/nonexistent")


def _hostile_payload(canary: Path) -> bytes:
    global CANARY
    CANARY = canary
    return pickle.dumps((_Boom(), _Boom()))


def _pack_key(path: Path) -> bytes:
    return bytes.fromhex(path.name.removeprefix("pack-"))


def _signed_pack(path: Path, body: bytes) -> bytes:  # signed with the real key
    return cache._MAGIC + cache._mac(_pack_key(path), body) + body


def _records(path: Path) -> dict[bytes, bytes]:
    blob = path.read_bytes()
    return cache._records(blob[len(cache._MAGIC) + 32:])


def _body(records: dict[bytes, bytes]) -> bytes:
    return b"".join(k + len(v).to_bytes(4, "big") + v for k, v in records.items())


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other-entry", "unsigned-pickle",
                                    "bit-flip", "record-cut"])
def test_damaged_entries_are_misses_and_rewritten(damage, cache_dir, tmp_path):
    other = run_cli("sql", str(EXAMPLES / "customer_care" / "schema"))  # another spec's pack beside this one's
    assert other.code == 0
    others = _entries(cache_dir)
    reference = _warm(cache_dir)
    [path] = [p for p in _entries(cache_dir) if p not in others]
    n = _table_files(SPEC)
    assert len(_records(path)) == n
    canary = tmp_path / "canary"
    blob = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(os.urandom(len(blob)))
    elif damage == "truncated":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "other-entry":  # a valid pack of another spec, under this one's name
        path.write_bytes(others[0].read_bytes())
    elif damage == "unsigned-pickle":  # records that would run a command, with no valid MAC
        body = _body({k: _hostile_payload(canary) for k in _records(path)})
        path.write_bytes(cache._MAGIC + b"\0" * 32 + body)
    elif damage == "record-cut":  # signed, but a record's length runs past the end
        body = _body(_records(path))
        cache.enable(True)
        try:
            assert cache._ready()
            path.write_bytes(_signed_pack(path, body[:-1]))
        finally:
            cache.enable(False)
    else:
        flipped = bytearray(blob)
        flipped[-3] ^= 0x01
        path.write_bytes(bytes(flipped))
    result, hits, stored = _run("sql", str(SPEC))
    assert result == reference
    assert hits == 0 and stored == n  # every entry ignored, then rewritten
    assert not canary.exists()
    result, hits, stored = _run("sql", str(SPEC))
    assert result == reference and hits == n


def test_a_signed_pickle_naming_a_function_never_runs(cache_dir, tmp_path):
    """Even with the key (a leaked cache directory), an entry can only name the format's classes."""
    reference = _warm(cache_dir)
    canary = tmp_path / "canary"
    cache.enable(True)
    try:
        assert cache._ready()
        for path in _entries(cache_dir):
            path.write_bytes(_signed_pack(path, _body({k: _hostile_payload(canary) for k in _records(path)})))
    finally:
        cache.enable(False)
    result, hits, stored = _run("sql", str(SPEC))
    assert result == reference
    assert hits == 0 and not canary.exists()


def test_a_signed_entry_of_other_data_is_still_checked(cache_dir, tmp_path):
    """A forged entry with the key and allowed classes but not a TableSpec: a miss."""
    reference = _warm(cache_dir)
    cache.enable(True)
    try:
        assert cache._ready()
        for path in _entries(cache_dir):
            forged = pickle.dumps(("x", {"table": "evil"}, {}))
            path.write_bytes(_signed_pack(path, _body({k: forged for k in _records(path)})))
    finally:
        cache.enable(False)
    result, hits, _ = _run("sql", str(SPEC))
    assert result == reference and hits == 0


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_key_others_can_read_turns_the_cache_off(cache_dir):
    reference = _warm(cache_dir)
    key = cache_dir / "key"
    key.chmod(0o644)
    result, hits, stored = _run("sql", str(SPEC))
    assert result == reference and (hits, stored) == (0, 0)
    key.chmod(0o600)
    result, hits, stored = _run("sql", str(SPEC))
    assert result == reference and hits == _table_files(SPEC)


def test_a_replaced_key_invalidates_every_entry(cache_dir):
    reference = _warm(cache_dir)
    (cache_dir / "key").unlink()  # a new key is made: the old entries no longer authenticate
    result, hits, stored = _run("sql", str(SPEC))
    assert result == reference and hits == 0 and stored == _table_files(SPEC)


def test_an_unwritable_cache_is_no_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(blocker / "cache"))
    result, hits, stored = _run("validate", str(SPEC))
    assert result[0] == 0 and (hits, stored) == (0, 0)


def test_concurrent_writers(cache_dir):
    """Several processes filling one empty cache at once: each prints the same, and the entries
    they leave are whole (a later run reads every file from them)."""
    reference, _, _ = _run("sql", str(SPEC), "--no-cache")
    env = {**os.environ, "SCHEMADIFF_CACHE_DIR": str(cache_dir)}
    procs = [subprocess.Popen([sys.executable, "-m", "schemadiff", "sql", str(SPEC)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert (proc.returncode, out, err) == reference
    assert not [p for p in (cache_dir / "specs").iterdir() if p.name.startswith(".tmp-")]
    result, hits, stored = _run("sql", str(SPEC))
    assert result == reference and hits == _table_files(SPEC) and stored == 0
