"""A cold load's table files read on two cores (``spec/preparse.py``).

What the other process hands back is what this one would have made of the same bytes under
the same name, and a load that takes it is the plain load: the same model, warnings, file
maps and marks, and the same errors. A process that fails in any way (a crash, garbage, a
forged pickle, values of another type or for files it was not given) hands back nothing the
load uses; the load then reads those files itself.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from schemadiff.spec import preparse
from schemadiff.spec import load as spec_load
from schemadiff.spec.errors import SpecError
from schemadiff.spec.load import _load_spec, table_spec
from schemadiff.spec.loadcache import read_files

from .conftest import write_spec
from .test_load_cache import EXAMPLE_SPECS, FILES, assert_same


@pytest.fixture
def splitting(monkeypatch):
    """Every split forks (MIN_FILES 1); the list holds the number of files each other process got."""
    monkeypatch.delenv("SCHEMADIFF_NO_FORK", raising=False)
    monkeypatch.setattr(preparse, "MIN_FILES", 1)
    started: list[int] = []
    real = preparse._start

    def start(items, work):
        other = real(items, work)
        started.append(len(items) if other is not None else -1)
        return other

    monkeypatch.setattr(preparse, "_start", start)
    return started


def _table(i: int) -> str:
    return (f"table: t{i:03d}\ncolumns:\n  id: {{type: bigint, primary_key: true}}\n"
            f"  note: {{type: text, check: length(note) < {100 + i}}}\n"
            f"  n: {{type: integer, default: {i}}}\n"
            + (f"  up: {{type: bigint, references: public.t{i - 1:03d}(id)}}\n" if i else "")
            + f"indexes:\n  t{i:03d}_n_idx: {{columns: [n], where: n > {i}}}\n")


def _spec(root: Path, n: int = 40, plus: dict[str, str] | None = None) -> Path:
    files = {**FILES, **{f"tables/t{i:03d}.yaml": _table(i) for i in range(n)}}
    return write_spec(root, {**files, **(plus or {})})


def _tables_of(named):
    return {key for key in named[1:] if table_spec(*key) is not None}


def test_split_hands_back_what_this_process_would_make_of_each_table_file(tmp_path, splitting):
    read, named = read_files(_spec(tmp_path / "s"), None)
    handed = preparse.split(named[1:])
    assert splitting == [len(named[1:]) // 2]  # every other file went to the other process
    assert set(handed) == _tables_of(named) and len(handed) == 42  # 40 + a + b: not the view, not the function
    for (display, raw), spec in handed.items():
        assert spec == table_spec(display, raw)


@pytest.mark.parametrize("which", ["synthetic", *[p.parent.name for p in EXAMPLE_SPECS]])
def test_a_load_given_the_handed_files_is_the_plain_load(tmp_path, splitting, which):
    spec = _spec(tmp_path / "s") if which == "synthetic" else next(p for p in EXAMPLE_SPECS if p.parent.name == which)
    read, named = read_files(spec, "shown")
    handed = preparse.split(named[1:])
    assert handed and splitting
    assert_same(_load_spec(spec, "shown", None, read, handed), _load_spec(spec, "shown", None))


BROKEN = {
    "tables/syntax.yaml": "table: syntax\ncolumns: [unclosed\n",
    "tables/unknown_key.yaml": "table: unknown_key\ncolumns:\n  id: {type: bigint}\ncolour: red\n",
    "tables/empty.yaml": "",
    "tables/list.yaml": "- table: list\n",
    "tables/no_table.yaml": "columns:\n  id: {type: bigint}\n",
    "tables/yaml11.yaml": "table: yaml11\ncolumns:\n  id: {type: bigint, nullable: yes}\n",
    "tables/bad_type.yaml": "table: bad_type\ncolumns:\n  id: {type: nosuchtype}\n",
}


def test_files_with_errors_are_not_handed_and_the_load_reports_them_as_the_plain_load(tmp_path, splitting):
    spec = _spec(tmp_path / "s", plus=BROKEN)
    read, named = read_files(spec, None)
    handed = preparse.split(named[1:])
    shown = {display.rsplit("/", 1)[-1] for display, _ in handed}
    # A file that reads and validates is handed even when a later check refuses it (a type).
    assert not shown & {Path(p).name for p in BROKEN if "bad_type" not in p} and "bad_type.yaml" in shown
    with pytest.raises(SpecError) as split_error:
        _load_spec(spec, None, None, read, handed)
    with pytest.raises(SpecError) as plain_error:
        _load_spec(spec, None, None)
    assert split_error.value.issues == plain_error.value.issues
    # Every file's reading error at once; the type is checked once every file has read.
    assert {Path(i.mark.file).name for i in plain_error.value.issues} == {Path(p).name for p in BROKEN} - {"bad_type.yaml"}
    spec = _spec(tmp_path / "t", plus={"tables/bad_type.yaml": BROKEN["tables/bad_type.yaml"]})
    read, named = read_files(spec, None)
    handed = preparse.split(named[1:])
    with pytest.raises(SpecError) as split_error:
        _load_spec(spec, None, None, read, handed)
    with pytest.raises(SpecError) as plain_error:
        _load_spec(spec, None, None)
    assert split_error.value.issues == plain_error.value.issues and "nosuchtype" in str(plain_error.value)


FORGED = b"cos\nsystem\n(S'touch %s'\ntR."


def other_process_fails(monkeypatch, how: str, marker: Path, reshape, crash_in=None) -> None:
    """Make the other process of ``preparse.halves`` fail as ``how`` says: "crash" (``crash_in``,
    a (module, name) of a function the work calls, exits it), "garbage" (bytes that do not
    unpickle), "forged" (a pickle that would run ``touch marker``), or anything else: the pickle
    of ``reshape(how, value)`` instead of its value. This process's own pickles are left alone."""
    here = os.getpid()
    real_dumps = pickle.dumps

    def dumps(value, *args, **kwargs):
        if os.getpid() == here:
            return real_dumps(value, *args, **kwargs)
        if how == "garbage":
            return b"\x80\x05not a pickle at all"
        if how == "forged":
            return FORGED % str(marker).encode()
        return real_dumps(reshape(how, value), *args, **kwargs)

    if how == "crash":
        module, name = crash_in
        real = getattr(module, name)

        def crashing(*args, **kwargs):
            if os.getpid() != here:
                os._exit(3)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, crashing)
    monkeypatch.setattr(pickle, "dumps", dumps)


@pytest.mark.parametrize("how", ["crash", "garbage", "forged", "not a spec", "not its file"])
def test_another_process_that_fails_hands_back_nothing_and_the_load_reads_its_files(
        tmp_path, splitting, monkeypatch, how):
    spec = _spec(tmp_path / "s")
    read, named = read_files(spec, None)
    marker = tmp_path / "ran"

    def reshape(how, value):
        if how == "not a spec":
            return {i: {"table": "x"} for i in value}
        return {i + len(named): v for i, v in value.items()}  # not its file

    other_process_fails(monkeypatch, how, marker, reshape, crash_in=(spec_load, "table_spec"))
    handed = preparse.split(named[1:])
    monkeypatch.undo()
    assert splitting == [len(named[1:]) // 2]
    mine = {key for key in named[1:][0::2] if table_spec(*key) is not None}
    assert set(handed) == mine and mine, how  # only this process's share
    assert not marker.exists()
    assert_same(_load_spec(spec, None, None, read, handed), _load_spec(spec, None, None))


def test_no_split_for_few_files_on_one_core_or_with_another_thread(tmp_path, monkeypatch):
    import threading

    monkeypatch.delenv("SCHEMADIFF_NO_FORK", raising=False)
    read, named = read_files(_spec(tmp_path / "s", n=10), None)
    assert preparse.split(named[1:]) == {}  # fewer than MIN_FILES
    monkeypatch.setattr(preparse, "MIN_FILES", 1)
    monkeypatch.setenv("SCHEMADIFF_NO_FORK", "1")
    assert preparse.split(named[1:]) == {}
    monkeypatch.delenv("SCHEMADIFF_NO_FORK")
    from schemadiff.spec import forkload

    monkeypatch.setattr(forkload, "_cores", lambda: 1)
    assert preparse.split(named[1:]) == {}
    monkeypatch.setattr(forkload, "_cores", lambda: 2)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert preparse.split(named[1:]) == {}
    finally:
        stop.set()
        other.join()
    assert len(preparse.split(named[1:])) == 12


@pytest.mark.parametrize("command", ["validate", "sql"])
def test_validate_and_sql_read_a_cold_spec_on_two_cores_and_print_the_same(tmp_path, splitting, monkeypatch, command):
    from .conftest import run_cli

    good = _spec(tmp_path / "good")
    bad = _spec(tmp_path / "bad", plus=BROKEN)
    for spec, code in ((good, 0), (bad, 1)):
        for cache in ("--no-cache", None):  # off; then on: cold, warm
            argv = [command, str(spec), *([cache] if cache else [])]
            monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(tmp_path / f"cache-{spec.name}"))
            runs = [run_cli(*argv) for _ in range(1 if cache else 2)]
            monkeypatch.setenv("SCHEMADIFF_NO_FORK", "1")
            monkeypatch.setenv("SCHEMADIFF_CACHE_DIR", str(tmp_path / f"plain-{spec.name}"))
            plain = [run_cli(*argv) for _ in runs]
            monkeypatch.delenv("SCHEMADIFF_NO_FORK")
            assert [(r.code, r.out, r.err) for r in runs] == [(p.code, p.out, p.err) for p in plain]
            assert runs[0].code == code, runs[0]
    # Cold: the --no-cache run and the cold cached run of each spec read on two cores; warm: not.
    assert len(splitting) == 4  # good and bad: the --no-cache run, the cold one; never the warm one


@pytest.mark.parametrize("planted", ["fifo", "device link"])
def test_a_hostile_path_in_a_spec_read_on_two_cores_fails_as_the_plain_load(tmp_path, splitting, monkeypatch, planted):
    """A FIFO named like a spec file, or a link to a device, in a cold spec that ``validate`` reads
    on two cores: never opened, never waited on; the plain load's error names it, exit 1."""
    import os

    from .conftest import run_cli

    spec = _spec(tmp_path / "s")
    target = spec / "tables" / "zz.yaml"
    if planted == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    argv = ["validate", str(spec), "--no-cache"]
    r = run_cli(*argv)
    monkeypatch.setenv("SCHEMADIFF_NO_FORK", "1")
    plain = run_cli(*argv)
    assert (r.code, r.out, r.err) == (plain.code, plain.out, plain.err)
    assert r.code == 1 and "zz.yaml" in r.err and "not a regular file" in r.err, r
    assert splitting == []  # the walk refused it before any file was handed to another process
