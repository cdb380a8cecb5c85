"""``import`` writes each file once, into a staging directory inside ``--out``, loads it back
there and moves it into place (``outdir.Staging``). A failed import (a load-back refusal, an
error or a Ctrl-C while writing, loading or moving, something appearing in ``--out``
meanwhile) leaves the file system exactly as it was; every bad ``--out`` gets main's message."""

from __future__ import annotations

import os
import pathlib
import stat
import tempfile
from pathlib import Path

import pytest

import schemadiff.outdir as outdir
import schemadiff.spec.load as spec_load

from .conftest import run_cli

TABLES = ("CREATE TYPE mood AS ENUM ('ok', 'meh'); "
          "CREATE TABLE a (id bigint PRIMARY KEY, m mood, n int CHECK (n > 0)); "
          "CREATE TABLE b (id bigint PRIMARY KEY, a_id bigint REFERENCES a (id)); "
          "CREATE TABLE c (id bigint PRIMARY KEY, note text DEFAULT 'x')")


def _psql(pg, db, sql):
    result = pg.run_psql(db, sql=sql)
    assert result.returncode == 0, result.stderr


def _tree(root: Path) -> list[tuple[str, str]]:
    """Every entry below ``root`` (links not followed) with its type and mode: what a test compares."""
    out = []
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            p = Path(dirpath) / name
            out.append((p.relative_to(root).as_posix(), stat.filemode(os.lstat(p).st_mode)))
    return sorted(out)


def _shapes(base: Path) -> dict[str, Path]:
    """--out shapes an import may write to: absent, absent with absent parents, an empty
    directory (mode 0750), a link to an empty directory, a path through a linked parent."""
    base.mkdir()
    (base / "empty").mkdir()
    os.chmod(base / "empty", 0o750)
    (base / "target").mkdir()
    (base / "link").symlink_to(base / "target")
    (base / "real").mkdir()
    (base / "lp").symlink_to(base / "real")
    return {"absent": base / "o", "deep": base / "a" / "b" / "c", "empty": base / "empty",
            "link": base / "link", "through_link": base / "lp" / "o"}


@pytest.fixture
def spare_tmp(tmp_path, monkeypatch):
    """A private TMPDIR: the import must not write there (no second copy of the files)."""
    spare = tmp_path / "tmpdir"
    spare.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spare))
    return spare


def test_each_file_is_written_once_into_out_and_nothing_elsewhere(pg, db, tmp_path, spare_tmp, monkeypatch):
    _psql(pg, db, TABLES)
    writes: list[Path] = []
    real = pathlib.Path.write_text
    monkeypatch.setattr(pathlib.Path, "write_text", lambda self, *a, **k: writes.append(self) or real(self, *a, **k))
    shapes = _shapes(tmp_path / "w")
    for name, out in shapes.items():
        writes.clear()
        result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
        assert result.code == 0, (name, result)
        written = sorted(p.as_posix() for p in out.rglob("*") if p.is_file())
        assert [p.relative_to(out.resolve()).as_posix() for p in sorted(out.resolve().rglob("*.yaml"))] == \
            ["schemadiff.yaml", "tables/a.yaml", "tables/b.yaml", "tables/c.yaml"], name
        assert len(writes) == len(written) == 4, (name, writes)  # once each, not once more to a temporary copy
        assert not [n for n in os.listdir(out) if n.startswith(".")], name  # no staging directory left
        assert not list(spare_tmp.iterdir())
    assert stat.S_IMODE(os.stat(shapes["empty"]).st_mode) == 0o750  # an existing directory is kept as it was
    assert (tmp_path / "w" / "link").is_symlink() and (tmp_path / "w" / "target" / "schemadiff.yaml").is_file()
    assert (tmp_path / "w" / "real" / "o" / "tables" / "a.yaml").is_file()


def test_the_files_are_those_of_a_plain_write(pg, db, tmp_path):
    """The same bytes as the dump rendered: what was loaded back is what is in --out."""
    _psql(pg, db, TABLES)
    out = tmp_path / "o"
    assert run_cli("import", "--db", pg.dsn(db), "--out", str(out)).code == 0
    again = tmp_path / "again"
    again.mkdir()
    assert run_cli("import", "--db", pg.dsn(db), "--out", str(again)).code == 0
    first = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    second = {p.relative_to(again).as_posix(): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first == second and len(first) == 4
    assert run_cli("plan", str(out), "--db", pg.dsn(db), "--no-cache").code == 0


def test_a_load_back_refusal_leaves_every_out_as_it_was(pg, db, tmp_path, spare_tmp):
    _psql(pg, db, "CREATE TYPE mood AS ENUM ('', 'ok'); CREATE TABLE t (m mood)")
    base = tmp_path / "r"
    shapes = _shapes(base)
    before = _tree(base)
    for name, out in shapes.items():
        result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
        assert result.code == 1, (name, result)
        assert f"{out}/schemadiff.yaml:" in result.err and "an enum value cannot be empty" in result.err
        assert ".schemadiff-import-" not in result.err  # the staging directory is never named
        assert result.err.rstrip().endswith("nothing was written"), result.err
        assert _tree(base) == before, name
    assert not list(spare_tmp.iterdir())


@pytest.mark.parametrize("where", ["first write", "a write into out", "load-back", "first move", "last move",
                                   "between the last link and its unlink"])
def test_ctrl_c_anywhere_leaves_every_out_as_it_was(pg, db, tmp_path, monkeypatch, where):
    _psql(pg, db, TABLES)
    base = tmp_path / "k"
    shapes = _shapes(base)
    before = _tree(base)
    calls = {"n": 0}

    def interrupt_at(n, real):
        def wrapped(*a, **k):
            calls["n"] += 1
            if calls["n"] == n:
                raise KeyboardInterrupt
            return real(*a, **k)
        return wrapped

    target = {}
    if where == "first write":
        monkeypatch.setattr(pathlib.Path, "write_text", interrupt_at(1, pathlib.Path.write_text))
    elif where == "a write into out":  # the third file, the first time it is written below --out
        real_write = pathlib.Path.write_text

        def write_or_interrupt(self, *a, **k):
            if self.name == "b.yaml" and str(self).startswith(str(target["out"]) + os.sep):
                raise KeyboardInterrupt
            return real_write(self, *a, **k)
        monkeypatch.setattr(pathlib.Path, "write_text", write_or_interrupt)
    elif where == "load-back":
        real_load = spec_load.load_spec

        def load_then_interrupt(*a, **k):
            real_load(*a, **k)
            raise KeyboardInterrupt
        monkeypatch.setattr(spec_load, "load_spec", load_then_interrupt)
    elif where == "first move":  # two entries move: tables/ (a rename), then schemadiff.yaml (a link)
        monkeypatch.setattr(outdir.os, "rename", interrupt_at(1, os.rename))
    elif where == "last move":
        monkeypatch.setattr(outdir.os, "link", interrupt_at(1, os.link))
    else:  # schemadiff.yaml linked into --out, its staged name not yet unlinked: the link is undone too
        real_link = os.link

        def link_then_interrupt(*a, **k):
            real_link(*a, **k)
            raise KeyboardInterrupt
        monkeypatch.setattr(outdir.os, "link", link_then_interrupt)
    for name, out in shapes.items():
        calls["n"] = 0
        target["out"] = out
        with pytest.raises(KeyboardInterrupt):
            run_cli("import", "--db", pg.dsn(db), "--out", str(out))
        assert _tree(base) == before, (where, name)


@pytest.mark.parametrize("planted", ["file", "link to a directory", "empty directory named tables"])
def test_what_appears_in_out_meanwhile_is_refused_never_replaced_or_followed(pg, db, tmp_path, monkeypatch, planted):
    """Another process (or a hostile one) puts something into --out while the spec loads back:
    the import stops, removes only what it made, and never writes through a planted link."""
    _psql(pg, db, TABLES)
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "keep.yaml").write_text("precious\n", encoding="utf-8")
    out = tmp_path / "o"
    real_load = spec_load.load_spec

    def load_and_plant(*a, **k):
        loaded = real_load(*a, **k)
        if planted == "file":
            (out / "schemadiff.yaml").write_text("mine\n", encoding="utf-8")
        elif planted == "link to a directory":
            (out / "tables").symlink_to(canary)
        else:
            (out / "tables").mkdir()
        return loaded
    monkeypatch.setattr(spec_load, "load_spec", load_and_plant)
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 1, result
    assert result.err == f"schemadiff: {out} exists and is not an empty directory; nothing was written\n"
    assert sorted(os.listdir(out)) == ["schemadiff.yaml" if planted == "file" else "tables"]  # theirs, only
    assert _tree(canary) == [("keep.yaml", "-rw-r--r--")]
    assert (canary / "keep.yaml").read_text(encoding="utf-8") == "precious\n"
    if planted == "file":
        assert (out / "schemadiff.yaml").read_text(encoding="utf-8") == "mine\n"


def test_every_bad_out_gets_mains_message_and_is_left_as_it_was(pg, db, tmp_path):
    _psql(pg, db, TABLES)
    base = tmp_path / "bad"
    base.mkdir()
    (base / "nonempty").mkdir()
    (base / "nonempty" / "x").write_text("x", encoding="utf-8")
    (base / "hidden").mkdir()
    (base / "hidden" / ".schemadiff-import-abc").mkdir()  # even a staging-like name: not empty
    (base / "afile").write_text("x", encoding="utf-8")
    (base / "full").mkdir()
    (base / "full" / "x").write_text("x", encoding="utf-8")
    (base / "link_full").symlink_to(base / "full")
    (base / "link_file").symlink_to(base / "afile")
    (base / "dangling").symlink_to(base / "nowhere")
    (base / "loop").symlink_to(base / "loop")
    os.mkfifo(base / "fifo")
    before = _tree(base)
    not_empty = "exists and is not an empty directory; nothing was written"
    cases = {"nonempty": not_empty, "hidden": not_empty, "afile": not_empty, "link_full": not_empty,
             "link_file": not_empty, "fifo": not_empty, "dangling": "File exists", "loop": "File exists",
             "afile/o": "Not a directory"}
    for rel, said in cases.items():
        out = base / rel
        result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
        assert result.code == 1, (rel, result)
        if said == not_empty:
            assert result.err == f"schemadiff: {out} {said}\n", result
        else:
            assert result.err == f"schemadiff: {out}: {said}\n", result
        assert result.out == ""
        assert _tree(base) == before, rel


def test_a_new_out_gets_the_modes_a_plain_mkdir_gives(pg, db, tmp_path):
    _psql(pg, db, TABLES)
    old = os.umask(0o027)
    try:
        assert run_cli("import", "--db", pg.dsn(db), "--out", str(tmp_path / "x" / "o")).code == 0
    finally:
        os.umask(old)
    modes = dict(_tree(tmp_path / "x"))
    assert modes == {"o": "drwxr-x---", "o/schemadiff.yaml": "-rw-r-----", "o/tables": "drwxr-x---",
                     "o/tables/a.yaml": "-rw-r-----", "o/tables/b.yaml": "-rw-r-----",
                     "o/tables/c.yaml": "-rw-r-----"}


def test_a_staging_name_taken_meanwhile_is_never_used_nor_removed(pg, db, tmp_path, monkeypatch):
    """Another process takes the staging directory's name between the check of --out and the
    mkdir: another name is drawn, the import then finds --out not empty and stops, and the
    other process's directory is left as it was."""
    _psql(pg, db, TABLES)
    out = tmp_path / "o"
    names = iter(["aaaa", "bbbb"])

    def token_hex(n):
        name = next(names)
        if name == "aaaa":
            theirs = out / f".schemadiff-import-{name}"
            theirs.mkdir()
            (theirs / "keep").write_text("theirs\n", encoding="utf-8")
        return name
    monkeypatch.setattr(outdir.secrets, "token_hex", token_hex)
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 1, result
    assert result.err == f"schemadiff: {out} exists and is not an empty directory; nothing was written\n"
    assert _tree(out) == [(".schemadiff-import-aaaa", "drwxr-xr-x"), (".schemadiff-import-aaaa/keep", "-rw-r--r--")]


def test_a_file_that_appears_after_the_last_check_is_never_replaced(pg, db, tmp_path, monkeypatch):
    """Between ``publish``'s check of a name and its move, another process creates the file:
    the move fails on it (a hard link never replaces a name) and the import is undone."""
    _psql(pg, db, TABLES)
    out = tmp_path / "race"
    real_lexists = os.path.lexists

    def lexists_then_planted(path):
        found = real_lexists(path)
        if not found and Path(path) == out / "schemadiff.yaml":
            Path(path).write_text("the user's own file\n", encoding="utf-8")
        return found

    monkeypatch.setattr(outdir.os.path, "lexists", lexists_then_planted)
    r = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    monkeypatch.undo()
    assert r.code == 1 and "exists and is not an empty directory" in r.err and "nothing was written" in r.err, r
    assert (out / "schemadiff.yaml").read_text(encoding="utf-8") == "the user's own file\n"
    assert sorted(p.name for p in out.iterdir()) == ["schemadiff.yaml"]  # the rest undone


def test_a_failed_import_removes_the_parents_it_made_through_dotdot(pg, db, tmp_path):
    _psql(pg, db, "CREATE TYPE mood AS ENUM ('', 'ok'); CREATE TABLE t (m mood)")  # the load-back refuses it
    before = sorted(p.name for p in tmp_path.iterdir())
    r = run_cli("import", "--db", pg.dsn(db), "--out", str(tmp_path / "newparent" / ".." / "o2"))
    assert r.code == 1 and "nothing was written" in r.err, r
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # neither o2 nor newparent is left


def test_a_file_that_cannot_be_written_is_reported_under_out(pg, db, tmp_path, monkeypatch):
    import errno

    _psql(pg, db, TABLES)
    out = tmp_path / "full"
    real_write = pathlib.Path.write_text

    def disk_full(self, *a, **k):
        if self.name == "b.yaml":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write(self, *a, **k)

    monkeypatch.setattr(pathlib.Path, "write_text", disk_full)
    r = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert r.code == 1 and "No space left on device" in r.err and r.err.rstrip().endswith("nothing was written"), r
    assert ".schemadiff-import-" not in r.err and f"{out}/tables/b.yaml" in r.err
    assert not out.exists()


def test_a_schema_named_like_a_table_file_gets_its_own_folder(pg, db, tmp_path):
    """Schema ``x.yaml``'s folder would be ``tables/x.yaml``: the file of table ``public.x``."""
    _psql(pg, db, 'CREATE TABLE public.x (id int); CREATE SCHEMA "x.yaml"; CREATE TABLE "x.yaml".t (id int);')
    out = tmp_path / "clash"
    r = run_cli("import", "--db", pg.dsn(db), "--schema", "public", "--schema", "x.yaml", "--out", str(out))
    assert r.code == 0, r
    assert (out / "tables" / "x.yaml").is_file() and (out / "tables" / "x.yaml_" / "t.yaml").is_file()
    assert run_cli("plan", str(out), "--db", pg.dsn(db), "--no-cache").code == 0


def test_sigterm_while_writing_leaves_every_out_as_it_was(pg, db, tmp_path, monkeypatch):
    """What ``timeout``, a cancelled CI job or ``docker stop`` send: undone as a Ctrl-C is."""
    import signal

    _psql(pg, db, TABLES)
    base = tmp_path / "t"
    shapes = _shapes(base)
    before = _tree(base)
    real_load = spec_load.load_spec

    def load_then_terminated(*a, **k):
        real_load(*a, **k)
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not stop the import")

    monkeypatch.setattr(spec_load, "load_spec", load_then_terminated)
    handler = signal.getsignal(signal.SIGTERM)
    for name, out in shapes.items():
        with pytest.raises(SystemExit) as stopped:
            run_cli("import", "--db", pg.dsn(db), "--out", str(out))
        assert stopped.value.code == 143
        assert _tree(base) == before, name
    assert signal.getsignal(signal.SIGTERM) is handler  # restored


TWELVE = TABLES + "; " + "; ".join(
    f"CREATE TABLE t{i} (id bigint PRIMARY KEY, c_id bigint REFERENCES c (id), "
    f"n int NOT NULL DEFAULT {i} CHECK (n >= {i}), note text); CREATE INDEX t{i}_n ON t{i} (n) WHERE n > {i}"
    for i in range(12))


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def two_cores(monkeypatch):
    """Every ``preparse.halves`` forks (MIN_FILES 1); the list holds how many items each other
    process got; ``reads`` counts the YAML files ``load_spec`` parses itself."""
    from schemadiff.spec import preparse, yamlread

    started: list[int] = []
    real = preparse._start

    def start(items, work):
        started.append(len(items))
        return real(items, work)

    monkeypatch.setattr(preparse, "_start", start)
    monkeypatch.setattr(preparse, "MIN_FILES", 1)
    monkeypatch.delenv("SCHEMADIFF_NO_FORK", raising=False)
    reads: list[str] = []
    loading = []
    real_load, real_parse = spec_load.load_spec, yamlread.parse_yaml

    def load_spec(*args, **kwargs):
        loading.append(True)
        try:
            return real_load(*args, **kwargs)
        finally:
            loading.pop()

    def parse_yaml(raw, display, *args, **kwargs):
        if loading and os.getpid() == here:
            reads.append(Path(display).name)
        return real_parse(raw, display, *args, **kwargs)

    here = os.getpid()
    monkeypatch.setattr(spec_load, "load_spec", load_spec)
    monkeypatch.setattr(yamlread, "parse_yaml", parse_yaml)  # read_yaml's too; the load imports it per call
    return started, reads


def test_tables_rendered_and_read_on_two_cores_are_the_plain_import(pg, db, tmp_path, monkeypatch, two_cores):
    """``import`` renders its tables' files and reads each text back as the load would read the
    file on two cores (``dump._rendered_on_two_cores``): the same files, output and exit code as
    on one, and the load-back parses no table file itself (it takes each text's reading, keyed by
    the bytes it reads from the file)."""
    started, reads = two_cores
    _psql(pg, db, TWELVE)
    split = run_cli("import", "--db", pg.dsn(db), "--out", str(tmp_path / "split"))
    assert started == [7]  # of 15 tables, every other one (the 2nd, the 4th, …)
    assert reads == ["schemadiff.yaml"]  # the root only: every table's reading was taken
    reads.clear()
    monkeypatch.setenv("SCHEMADIFF_NO_FORK", "1")
    plain = run_cli("import", "--db", pg.dsn(db), "--out", str(tmp_path / "plain"))
    assert started == [7]
    assert len(reads) == 16  # the root and 15 table files
    assert (split.code, split.out.replace("/split:", "/plain:"), split.err) == (plain.code, plain.out, plain.err)
    assert split.code == 0, split
    assert _files(tmp_path / "split") == _files(tmp_path / "plain") and len(_files(tmp_path / "plain")) == 16


@pytest.mark.parametrize("how", ["crash", "garbage", "forged", "not text", "not a spec", "not its table"])
def test_tables_the_other_process_does_not_hand_back_are_rendered_and_read_here(
        pg, db, tmp_path, monkeypatch, two_cores, how):
    """Whatever the other process hands back instead of (text, reading) pairs of its own tables
    (nothing: it crashed; bytes that do not unpickle; a forged pickle; values of another shape;
    indexes past its share), ``import`` renders those tables and the load reads their files, with
    the same files and output as without the other process."""
    from schemadiff.spec import dump

    from .test_preparse import other_process_fails

    started, reads = two_cores
    _psql(pg, db, TWELVE)
    monkeypatch.setenv("SCHEMADIFF_NO_FORK", "1")
    plain = run_cli("import", "--db", pg.dsn(db), "--out", str(tmp_path / "plain"))
    monkeypatch.delenv("SCHEMADIFF_NO_FORK")
    reads.clear()
    marker = tmp_path / "ran"

    def reshape(how, value):
        if how == "not text":
            return {i: (b"table: x\n", None) for i in value}
        if how == "not a spec":
            return {i: (text, {"table": "x"}) for i, (text, _) in value.items()}
        return {i + 100: v for i, v in value.items()}  # not its table

    other_process_fails(monkeypatch, how, marker, reshape, crash_in=(dump, "table_text"))
    split = run_cli("import", "--db", pg.dsn(db), "--out", str(tmp_path / "split"))
    assert started == [7]
    assert len(reads) == 8 and "schemadiff.yaml" in reads, (how, reads)  # the root, the other process's 7
    assert not marker.exists()
    assert (split.code, split.out.replace("/split:", "/plain:"), split.err) == (plain.code, plain.out, plain.err)
    assert _files(tmp_path / "split") == _files(tmp_path / "plain")
