"""A loaded table file keeps its bytes, not its marks: the marks read again on demand
are exactly those of a file read at once, with and without the spec cache."""

from __future__ import annotations

import pickle

import pytest

from schemadiff.spec import cache, loadcache
from schemadiff.spec.context import FileContext
from schemadiff.spec.load import load_spec
from schemadiff.spec.yamlread import YList, YMap, read_yaml

from .conftest import EXAMPLES

EXAMPLE_SPECS = sorted(p.parent for p in EXAMPLES.glob("*/schema/schemadiff.yaml"))


def _paths(node, prefix=()):
    """Every path into a YAML tree (keys and list positions)."""
    yield prefix
    if isinstance(node, YMap):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, YList):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _assert_same_marks(loaded, spec_dir):
    assert loaded.contexts
    for ctx in loaded.contexts.values():
        assert ctx._raw is not None and ctx._data is None  # nothing parsed until a finding asks
        relative = ctx.file.split("/", 1)[1] if ctx.file.startswith(spec_dir.name + "/") else ctx.file
        eager = FileContext(ctx.file, read_yaml(spec_dir / relative, ctx.file), [], [])
        paths = list(_paths(eager.data)) + [("no", "such", "path")]
        for path in paths:
            for key in (False, True):
                assert ctx.mark(*path, key=key) == eager.mark(*path, key=key), (ctx.file, path, key)
        assert ctx.data == eager.data


@pytest.mark.parametrize("spec", EXAMPLE_SPECS, ids=lambda p: p.parent.name)
def test_marks_read_again_are_exact_without_cache(spec):
    _assert_same_marks(load_spec(spec, display=spec.name), spec)


@pytest.mark.parametrize("spec", EXAMPLE_SPECS, ids=lambda p: p.parent.name)
def test_marks_read_again_are_exact_from_the_cache(spec, tmp_path, monkeypatch):
    # the per-file cache alone (the cache of whole loads kept out)
    monkeypatch.setattr(loadcache, "cached_load", lambda spec_dir, display, load, **_: load(None))
    cache.enable(True, tmp_path / "cache")
    try:
        before = cache.stats["hits"]
        load_spec(spec, display=spec.name)  # cold: stores
        loaded = load_spec(spec, display=spec.name)  # warm: every table file from the cache
        assert cache.stats["hits"] - before == len(loaded.contexts)
    finally:
        cache.enable(False)
    _assert_same_marks(loaded, spec)


@pytest.mark.parametrize("spec", EXAMPLE_SPECS, ids=lambda p: p.parent.name)
def test_marks_read_again_are_exact_from_a_whole_load(spec, tmp_path):
    cache.enable(True, tmp_path / "cache")
    try:
        before = loadcache.stats["hits"]
        load_spec(spec, display=spec.name)  # cold: the per-file entries
        load_spec(spec, display=spec.name)  # second sight: the whole entry
        loaded = load_spec(spec, display=spec.name)  # warm: the whole load from the cache
        assert loadcache.stats["hits"] - before == 1
    finally:
        cache.enable(False)
    _assert_same_marks(loaded, spec)


def test_the_cache_no_longer_unpickles_yaml_nodes():
    """Format 2 stores no positions: YMap/YList are off the allowlist."""
    import io

    for node in (YMap(), YList()):
        with pytest.raises(pickle.UnpicklingError):
            cache._Unpickler(io.BytesIO(pickle.dumps(node))).load()
