"""The cache of whole loaded specs (spec/loadcache.py).

A hit gives the ``LoadedSpec`` a full load gives (schema, warnings, file maps, every mark a
finding can ask for); commands print the same bytes with it, cold and warm; any change to what
the load reads is a miss; an entry that is damaged, foreign or forged is a miss and never runs.
"""

from __future__ import annotations

import io
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from schemadiff.spec import cache, loadcache
from schemadiff.spec.errors import SpecError
from schemadiff.spec.load import load_spec
from schemadiff.spec.yamlread import YList, YMap

from .conftest import EXAMPLES, ROOT, run_cli, write_spec

EXAMPLE_SPECS = sorted(p.parent for p in EXAMPLES.glob("*/schema/schemadiff.yaml"))

TABLE_A = "table: a\ncolumns:\n  id: {type: bigint}\n  n: {type: integer, default: 0}\nprimary_key: [id]\n" \
          "indexes:\n  a_id_idx: {columns: [id]}\n"  # a warning: the index repeats the key's
TABLE_B = "table: b\ncolumns:\n  id: {type: bigint, primary_key: true}\n  a_id: {type: bigint, references: public.a(id)}\n" \
          "checks:\n  - a_id > 0\n"
FUNCTION = """\
function: touch
language: plpgsql
returns: trigger
body: |
  BEGIN
    RETURN NEW;
  END
"""
VIEW = "view: big_a\nquery: SELECT a.id FROM public.a WHERE a.n > 10\n"
FILES = {"schemadiff.yaml": "version: 1\n", "tables/a.yaml": TABLE_A, "tables/b.yaml": TABLE_B,
         "functions/touch.yaml": FUNCTION, "views/big_a.yaml": VIEW}


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(directory))
    monkeypatch.delenv("SCHEMADIFF_NO_CACHE", raising=False)
    return directory


def _load(spec, directory, display=None):
    """(the load through the cache, whether it was a hit)."""
    cache.enable(True, directory)
    try:
        before = dict(loadcache.stats)
        loaded = load_spec(spec, display=display)
    finally:
        cache.enable(False)
    hit = loadcache.stats["hits"] - before["hits"]
    assert hit + loadcache.stats["misses"] - before["misses"] == 1
    return loaded, bool(hit)


def _fill(spec, directory, display=None):
    """Load twice: a whole entry is written on a spec's second load (the first fills the per-file
    cache); the next load is a hit."""
    _load(spec, directory, display)
    return _load(spec, directory, display)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, YMap):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, YList):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _contexts(loaded):
    yield "root", loaded.root
    for kind, contexts in (("table", loaded.contexts), ("function", loaded.function_contexts),
                           ("view", loaded.view_contexts)):
        for key, ctx in contexts.items():
            yield (kind, key), ctx


def assert_same(cached, full):
    """Everything of a LoadedSpec a command reads: equal."""
    assert cached.schema == full.schema
    assert [w.render() for w in cached.warnings] == [w.render() for w in full.warnings]
    assert cached.warnings == full.warnings
    assert cached.files == full.files
    assert [(k, c.file) for k, c in _contexts(cached)] == [(k, c.file) for k, c in _contexts(full)]
    for (_, ours), (_, theirs) in zip(_contexts(cached), _contexts(full)):
        assert ours.data == theirs.data
        for path in [*_paths(theirs.data), ("no", "such", "path")]:
            for key in (False, True):
                assert ours.mark(*path, key=key) == theirs.mark(*path, key=key), (ours.file, path, key)
        assert ours.warnings == theirs.warnings and ours.issues == theirs.issues == []


def _full(spec, display=None):
    cache.enable(False)
    return load_spec(spec, display=display)


# -- equal results ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", EXAMPLE_SPECS, ids=lambda p: p.parent.name)
def test_a_hit_is_the_full_load_on_every_example(spec, tmp_path):
    cold, hit = _load(spec, tmp_path / "c", display="shown")
    assert not hit
    before = loadcache.stats["stored"]
    second, hit = _load(spec, tmp_path / "c", display="shown")
    assert not hit and loadcache.stats["stored"] == before + 1  # admitted on second sight
    warm, hit = _load(spec, tmp_path / "c", display="shown")
    assert hit
    full = _full(spec, display="shown")
    assert_same(cold, full)
    assert_same(warm, full)


def test_a_hit_is_the_full_load_with_functions_views_and_warnings(tmp_path):
    spec = write_spec(tmp_path / "spec", FILES)
    _fill(spec, tmp_path / "c")
    warm, hit = _load(spec, tmp_path / "c")
    full = _full(spec)
    assert hit and full.warnings and full.schema.functions and full.schema.views
    assert_same(warm, full)
    # the warning, its text and its place, from the hit
    assert "spec/tables/a.yaml:7:" in warm.warnings[0].render() and "repeats the index" in warm.warnings[0].render()


def test_a_synthetic_schema(pg, db, cache_dir, tmp_path):
    sql = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "synth.py"), "30"], capture_output=True,
                         text=True, check=True).stdout
    assert pg.run_psql(db, sql=sql).returncode == 0
    spec = tmp_path / "spec"
    assert run_cli("import", "--db", pg.dsn(db), "--out", str(spec)).code == 0
    _fill(spec, tmp_path / "c")
    warm, hit = _load(spec, tmp_path / "c")
    assert hit and len(warm.schema.tables) == 30
    assert_same(warm, _full(spec))
    # the commands, byte for byte, uncached, cold and warm
    for argv in (("plan", str(spec), "--db", pg.dsn(db)), ("plan", str(spec), "--db", pg.dsn(db), "--format", "json"),
                 ("sql", str(spec)), ("check", str(spec), "--base", str(spec))):
        _three_ways(*argv)


def _run(*argv):
    before = dict(loadcache.stats)
    r = run_cli(*argv)
    return (r.code, r.out, r.err), loadcache.stats["hits"] - before["hits"], loadcache.stats["stored"] - before["stored"]


def _three_ways(*argv):
    """--no-cache, a cold cache, the second run (which writes the whole entries), a warm cache
    (every load a hit): the same code and bytes."""
    shutil.rmtree(os.environ["SCHEMADIFF_CACHE_DIR"], ignore_errors=True)
    uncached, hits, stored = _run(*argv, "--no-cache")
    assert (hits, stored) == (0, 0)
    cold, _, cold_stored = _run(*argv)
    second, _, second_stored = _run(*argv)
    warm, warm_hits, warm_stored = _run(*argv)
    assert cold_stored + second_stored >= 1 and warm_stored == 0
    assert warm_hits == (2 if argv[0] == "check" else 1)
    assert cold == uncached and second == uncached and warm == uncached
    return uncached


@pytest.mark.parametrize("spec", EXAMPLE_SPECS, ids=lambda p: p.parent.name)
def test_commands_print_the_same_bytes(spec, cache_dir):
    assert _three_ways("sql", str(spec))[0] == 0
    assert _three_ways("validate", str(spec))[0] == 0
    assert _three_ways("check", str(spec), "--base", str(spec))[0] == 0


def test_plan_prints_the_same_bytes(pg, db, cache_dir):
    spec = EXAMPLES / "engagement" / "schema"
    assert pg.run_psql(db, file=EXAMPLES / "engagement" / "prerequisites.sql").returncode == 0
    for fmt in ("text", "sql", "json"):
        assert _three_ways("plan", str(spec), "--db", pg.dsn(db), "--format", fmt)[0] == 0
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    assert "No changes" in _three_ways("plan", str(spec), "--db", pg.dsn(db))[1]


def test_a_finding_after_a_hit_names_the_same_line(cache_dir, tmp_path):
    base = write_spec(tmp_path / "base", FILES)
    head = write_spec(tmp_path / "head", {**FILES, "tables/b.yaml": TABLE_B.replace(
        "id: {type: bigint, primary_key: true}", "id: {type: text, primary_key: true}")})
    code, out, err = _three_ways("check", str(head), "--base", str(base))
    assert code == 3 and "head/tables/b.yaml:3\n" in out  # the column whose type changed, at its line


def test_the_load_does_not_depend_on_the_hash_seed(tmp_path):
    """Sets iterate in another order under another seed: the loaded spec must not change with it."""
    spec = write_spec(tmp_path / "spec", FILES)
    probe = ("import pickle, sys, hashlib\nfrom schemadiff.spec.load import load_spec\n"
             "from schemadiff.spec.loadcache import _value\n"
             "v = _value(load_spec(sys.argv[1]))\nprint(hashlib.sha256(pickle.dumps(v)).hexdigest())\n")
    digests = set()
    for spec_dir in [spec, *EXAMPLE_SPECS]:
        seen = {subprocess.run([sys.executable, "-c", probe, str(spec_dir)], capture_output=True, text=True, check=True,
                               env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
        assert len(seen) == 1, spec_dir
        digests |= seen
    assert len(digests) == 1 + len(EXAMPLE_SPECS)


# -- invalidation ----------------------------------------------------------------------------------

def _edits():
    yield "a table", lambda s: (s / "tables/b.yaml").write_text(TABLE_B.replace("a_id > 0", "a_id > 1"))
    yield "the root", lambda s: (s / "schemadiff.yaml").write_text("version: 1\nschema: public\n"
                                                                   "enums:\n  mood: [ok]\n")
    yield "a function", lambda s: (s / "functions/touch.yaml").write_text(FUNCTION.replace("touch", "touch2"))
    yield "a view", lambda s: (s / "views/big_a.yaml").write_text(VIEW.replace("> 10", "> 11"))
    yield "a file added", lambda s: (s / "tables/c.yaml").write_text("table: c\ncolumns:\n  id: bigint\n")
    yield "a file removed", lambda s: (s / "views/big_a.yaml").unlink()
    yield "a file renamed", lambda s: (s / "tables/b.yaml").rename(s / "tables/bb.yaml")
    yield "a file moved to a hidden directory", lambda s: (
        (s / "tables/.old").mkdir(), (s / "views/big_a.yaml").rename(s / "tables/.old/big_a.yaml"))
    yield "whitespace only", lambda s: (s / "tables/a.yaml").write_text(TABLE_A + "\n")


@pytest.mark.parametrize("name, edit", list(_edits()), ids=[n for n, _ in _edits()])
def test_any_edit_is_a_miss_and_the_new_result_is_right(name, edit, tmp_path):
    spec = write_spec(tmp_path / "spec", FILES)
    _fill(spec, tmp_path / "c")
    before, hit = _load(spec, tmp_path / "c")
    assert hit
    edit(spec)
    after, hit = _load(spec, tmp_path / "c")
    assert not hit
    full = _full(spec)
    assert_same(after, full)
    if name != "whitespace only":
        assert (after.schema, after.files) != (before.schema, before.files)
    _load(spec, tmp_path / "c")  # its second sight: written
    again, hit = _load(spec, tmp_path / "c")
    assert hit
    assert_same(again, full)


def test_another_display_is_a_miss(tmp_path):
    spec = write_spec(tmp_path / "spec", {**FILES, "tables/b.yaml": TABLE_B + "  # padding\n"})
    _load(spec, tmp_path / "c", display="one")
    shown, hit = _load(spec, tmp_path / "c", display="two")
    assert not hit
    assert_same(shown, _full(spec, display="two"))
    assert all(ctx.file.startswith("two/") for _, ctx in _contexts(shown))


def test_the_same_names_under_another_display_are_a_hit(tmp_path):
    """check --base-ref: the base, read out of git into a temporary directory, is shown under the
    head's names; the entry the head's load wrote serves it, and is what a full load gives."""
    head = write_spec(tmp_path / "spec", FILES)
    elsewhere = write_spec(tmp_path / "git-tmp", FILES)
    _fill(head, tmp_path / "c")
    base, hit = _load(elsewhere, tmp_path / "c", display=str(head))
    assert hit
    assert_same(base, _full(elsewhere, display=str(head)))
    assert base.files == _full(head).files


def test_an_entry_of_other_code_is_a_miss(tmp_path, monkeypatch):
    spec = write_spec(tmp_path / "spec", FILES)
    real = loadcache.code_digest()
    monkeypatch.setattr(loadcache, "_code", [b"\0" * 32])  # another schemadiff writes its entry
    _fill(spec, tmp_path / "c")
    assert _load(spec, tmp_path / "c")[1]
    monkeypatch.setattr(loadcache, "_code", [real])
    loaded, hit = _load(spec, tmp_path / "c")
    assert not hit
    assert_same(loaded, _full(spec))


def test_the_code_digest_covers_the_package_data():
    """The function policy's catalog snapshot is data, not Python: an edit of it must change the key."""
    package = Path(loadcache.__file__).resolve().parent.parent
    assert (package / "data" / "pg_functions.json").is_file()
    loadcache._code.clear()
    first = loadcache.code_digest()
    loadcache._code.clear()
    assert loadcache.code_digest() == first
    import hashlib

    h = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if "__pycache__" in rel.parts or not path.is_file():
            continue
        data = path.read_bytes()
        if rel.as_posix() == "data/pg_functions.json":
            data += b" "
        h.update(b"%d:%s%d:" % (len(rel.as_posix().encode()), rel.as_posix().encode(), len(data)))
        h.update(data)
    assert h.digest() != first


def test_a_spec_with_errors_is_never_stored(tmp_path):
    spec = write_spec(tmp_path / "spec", {**FILES, "tables/b.yaml": TABLE_B + "  - nosuch > 0\n"})
    for _ in range(2):
        before = dict(loadcache.stats)
        cache.enable(True, tmp_path / "c")
        try:
            with pytest.raises(SpecError):
                load_spec(spec)
        finally:
            cache.enable(False)
        assert loadcache.stats["stored"] == before["stored"] and loadcache.stats["hits"] == before["hits"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_the_walk_still_runs_on_a_warm_cache(tmp_path):
    """A FIFO or a broken link added after the entry was written is an error, not a hit."""
    spec = write_spec(tmp_path / "spec", FILES)
    _fill(spec, tmp_path / "c")
    assert _load(spec, tmp_path / "c")[1]
    for make in (lambda p: os.mkfifo(p), lambda p: p.symlink_to(tmp_path / "nowhere.yaml")):
        target = spec / "tables" / "z.yaml"
        make(target)
        cache.enable(True, tmp_path / "c")
        try:
            with pytest.raises(SpecError) as caught:
                load_spec(spec)
        finally:
            cache.enable(False)
        assert "z.yaml" in str(caught.value)
        target.unlink()


# -- damaged and forged entries --------------------------------------------------------------------

class _Boom:
    canary = Path("/nonexistent")

    def __reduce__(self):
        return (os.system, (f"touch {_Boom.canary}",))


def _entry(directory: Path) -> Path:
    entries = [p for p in (directory / "loads").iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1
    return entries[0]


def _signed(path: Path, payload: bytes) -> bytes:
    return loadcache._MAGIC + cache._mac(bytes.fromhex(path.name), payload) + payload


@pytest.mark.parametrize("damage", ["truncated", "empty", "garbage", "bit-flip", "wrong-hmac", "per-file-entry",
                                    "signed-os-system", "signed-other-shape", "signed-foreign-class"])
def test_damaged_or_forged_entries_are_misses(damage, tmp_path):
    spec = write_spec(tmp_path / "spec", FILES)
    directory = tmp_path / "c"
    _fill(spec, directory)
    path = _entry(directory)
    blob = path.read_bytes()
    canary = tmp_path / "canary"
    _Boom.canary = canary
    cache.enable(True, directory)
    try:
        assert cache._ready()
        if damage == "truncated":
            path.write_bytes(blob[: len(blob) // 2])
        elif damage == "empty":
            path.write_bytes(b"")
        elif damage == "garbage":
            path.write_bytes(os.urandom(len(blob)))
        elif damage == "bit-flip":
            flipped = bytearray(blob)
            flipped[-3] ^= 0x01
            path.write_bytes(bytes(flipped))
        elif damage == "wrong-hmac":
            path.write_bytes(loadcache._MAGIC + b"\0" * 32 + pickle.dumps((_Boom(), _Boom())))
        elif damage == "per-file-entry":  # a valid entry of the other kind, under this name
            other = next(p for p in (directory / "specs").iterdir() if not p.name.startswith("."))
            path.write_bytes(other.read_bytes())
        elif damage == "signed-os-system":  # the key leaked: still nothing but the model's classes
            path.write_bytes(_signed(path, pickle.dumps((_Boom(), _Boom()))))
        elif damage == "signed-other-shape":
            path.write_bytes(_signed(path, pickle.dumps(("x", {"table": "evil"}))))
        else:
            path.write_bytes(_signed(path, pickle.dumps((loadcache._FORMAT, io.BytesIO()))))
    finally:
        cache.enable(False)
    loaded, hit = _load(spec, directory)
    assert not hit and not canary.exists()
    assert_same(loaded, _full(spec))
    assert _load(spec, directory)[1]  # the entry was written again


def test_the_unpickler_refuses_anything_but_the_records():
    for thing in (os.system, print, io.BytesIO(), _Boom()):
        with pytest.raises(pickle.UnpicklingError):
            loadcache._Unpickler(io.BytesIO(pickle.dumps(thing))).load()


def test_a_first_load_writes_no_whole_entry(tmp_path):
    """Admission on second sight: a cold load pays no pickle of the model."""
    spec = write_spec(tmp_path / "spec", FILES)
    before = dict(loadcache.stats)
    _load(spec, tmp_path / "c")
    assert loadcache.stats["stored"] == before["stored"]
    assert not list((tmp_path / "c" / "loads").iterdir())
