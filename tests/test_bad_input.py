"""Bad input never ends in a traceback: every command, a corpus of malformed
inputs — broken YAML, deep nesting, binary junk, a file where a directory
belongs and the reverse, missing paths, an unreadable file, bad DSNs, a server
whose timeouts cancel the catalog reads, bad option values — exits 1 with one
clear message. In-process (any exception fails the test) and, for what depends
on the process (recursion limits, file permissions), as a real process."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from .conftest import run_cli, write_spec

GOOD = {"schemadiff.yaml": "version: 1\n", "tables/t.yaml": "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n"}
DEEP_FLOW = "[" * 500 + "]" * 500
DEEP_BLOCK = "".join("  " * (i + 1) + f"k{i}:\n" for i in range(500)) + "  " * 501 + "x: 1\n"
DEEP_SEQ = "".join("  " * (i + 1) + "-\n" for i in range(300))
ROOT = "version: 1\n"

# name -> the spec directory's files (bytes for binary), or a special
SPECS: dict[str, dict | str] = {
    "missing directory": "missing",
    "a file, not a directory": "file",
    "the root file is a directory": {"schemadiff.yaml/x": "x"},
    "no root file": {"tables/t.yaml": GOOD["tables/t.yaml"]},
    "broken YAML, root": {"schemadiff.yaml": "version: [\n"},
    "broken YAML, table": {"schemadiff.yaml": ROOT, "tables/t.yaml": "table: t\ncolumns: {id: [}\n"},
    "tab indentation": {"schemadiff.yaml": ROOT, "tables/t.yaml": "table: t\ncolumns:\n\tid: bigint\n"},
    "deep flow nesting, table": {"schemadiff.yaml": ROOT, "tables/t.yaml": f"table: t\ncolumns: {DEEP_FLOW}\n"},
    "deep block nesting, table": {"schemadiff.yaml": ROOT, "tables/t.yaml": "table: t\ncolumns:\n" + DEEP_BLOCK},
    "deep nesting with a tab (pure-Python reader)": {"schemadiff.yaml": ROOT, "tables/t.yaml":
                                                     f"table: t\ncomment: \"a\tb\"\ncolumns: {DEEP_FLOW}\n"},
    "deep nesting past libyaml's own limit": {"schemadiff.yaml": ROOT, "tables/t.yaml":
                                              "table: t\ncolumns: " + "[" * 5000 + "]" * 5000 + "\n"},
    "deep nesting, root": {"schemadiff.yaml": f"version: 1\nenums: {DEEP_FLOW}\n"},
    "deep nesting through aliases": {"schemadiff.yaml": ROOT, "tables/t.yaml": "a: &a " + "[" * 40 + "]" * 40 + "\n"
                                     "b: &b " + "[" * 40 + "*a" + "]" * 40 + "\ntable: t\n"},
    "alias bomb": {"schemadiff.yaml": ROOT, "tables/t.yaml": "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh")) + "table: t\n"},
    "binary junk, table": {"schemadiff.yaml": ROOT, "tables/t.yaml": bytes(range(256)) * 8},
    "binary junk, root": {"schemadiff.yaml": b"\x00\x01\x02\xff\xfe\xfd"},
    "UTF-8 with a NUL": {"schemadiff.yaml": "version: 1\x00\n"},
    "UTF-16": {"schemadiff.yaml": "version: 1\n".encode("utf-16")},
    "empty root": {"schemadiff.yaml": ""},
    "empty table file": {"schemadiff.yaml": ROOT, "tables/t.yaml": ""},
    "a list as root": {"schemadiff.yaml": "- version\n"},
    "a scalar as table": {"schemadiff.yaml": ROOT, "tables/t.yaml": "just text\n"},
    "a number of 5,000 digits": {"schemadiff.yaml": "version: 1" + "0" * 5000 + "\n"},
    "a number of 5,000 digits, table": {"schemadiff.yaml": ROOT, "tables/t.yaml":
                                        "table: t\ncolumns:\n  id: {type: bigint, nullable: " + "9" * 5000 + "}\n"},
    "a huge float": {"schemadiff.yaml": "version: 1e400\n"},
    "an unknown YAML tag": {"schemadiff.yaml": "version: !!python/object:os.system 1\n"},
    "several documents": {"schemadiff.yaml": "version: 1\n---\nversion: 1\n"},
    "a huge type modifier": {"schemadiff.yaml": ROOT, "tables/t.yaml":
                             "table: t\ncolumns:\n  id: {type: 'varchar(99999999999999999999999)'}\n"},
}


def _make(tmp: Path, spec) -> Path:
    if spec == "missing":
        return tmp / "no" / "such" / "spec"
    if spec == "file":
        (tmp / "afile.txt").write_text("hello\n", encoding="utf-8")
        return tmp / "afile.txt"
    d = tmp / "spec"
    for rel, body in spec.items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(body) if isinstance(body, bytes) else p.write_text(body, encoding="utf-8")
    return d


_MESSAGE = re.compile(r"^(schemadiff( [a-z-]+)?: |\S+:\d+:\d+: error: |error: )")


def _clean(r, code: int = 1, max_lines: int = 4) -> None:
    """Exit ``code``, no traceback, and a short message whose lines say what is wrong."""
    assert r.code == code, r
    assert "Traceback" not in r.out + r.err, r
    lines = [line for line in r.err.strip().splitlines() if line.strip()]
    assert lines, r
    assert _MESSAGE.match(lines[0]), r
    assert len(lines) <= max_lines, r
    assert all(len(line) < 600 for line in lines), r


@pytest.fixture(autouse=True)
def no_database_from_the_environment(monkeypatch):
    for name in ("DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE",
                 "PGSERVICEFILE", "CI"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("name", list(SPECS))
def test_every_command_on_a_malformed_spec(tmp_path: Path, name: str):
    bad = _make(tmp_path, SPECS[name])
    good = write_spec(tmp_path / "good", GOOD)
    for argv in (["validate", str(bad)], ["sql", str(bad)], ["plan", str(bad)],
                 ["plan", str(bad), "--format", "json"],
                 ["apply", str(bad), "--db", "host=127.0.0.1 port=1 connect_timeout=2", "--yes"],
                 ["check", str(bad), "--base-dir", str(good)], ["check", str(good), "--base-dir", str(bad)]):
        _clean(run_cli(*argv))


POLICIES = {
    "deep flow": f"version: 1\nseverity: {DEEP_FLOW}\n",
    "deep sequence": "version: 1\nwaivers:\n" + DEEP_SEQ,
    "broken": "version: 1\nseverity: {SD302: [\n",
    "binary": bytes(range(256)),
    "a number of 5,000 digits": "version: " + "1" * 5000 + "\n",
    "not a mapping": "- 1\n",
}


@pytest.mark.parametrize("name", list(POLICIES))
def test_a_malformed_policy_file(tmp_path: Path, name: str):
    good = write_spec(tmp_path / "good", GOOD)
    policy = tmp_path / "policy.yaml"
    body = POLICIES[name]
    policy.write_bytes(body) if isinstance(body, bytes) else policy.write_text(body, encoding="utf-8")
    _clean(run_cli("check", str(good), "--base-dir", str(good), "--policy", str(policy)))
    (good / "schemadiff-policy.yaml").write_bytes(policy.read_bytes())  # found in the spec root
    _clean(run_cli("check", str(good), "--base-dir", str(good)))


def test_paths_and_option_values(tmp_path: Path):
    good = write_spec(tmp_path / "good", GOOD)
    head = write_spec(tmp_path / "head", {**GOOD, "tables/u.yaml": "table: u\ncolumns:\n  id: bigint\n"})
    afile, adir = tmp_path / "afile", tmp_path / "adir"
    afile.write_text("x", encoding="utf-8")
    adir.mkdir()
    (tmp_path / "nonempty").mkdir()
    (tmp_path / "nonempty" / "x").write_text("x", encoding="utf-8")
    binary = tmp_path / "bin.sql"
    binary.write_bytes(b"\xff\xfe\x00junk")
    nodb = "host=127.0.0.1 port=1 connect_timeout=2"
    cases = [
        [], ["no-such-command"], ["validate"], ["plan", str(good), "--format", "yaml"],
        ["check", str(head), "--base-dir", str(good), "--format", "xml"],
        ["apply", str(good), "--retries", "many"], ["apply", str(good), "--lock-wait", "soon"],
        ["sql", str(good), "-o", str(adir)], ["sql", str(good), "-o", str(tmp_path / "no" / "dir" / "x.sql")],
        ["check", str(head), "--base-dir", str(good), "-o", str(adir)],
        ["json-schema", "--out", str(afile)],
        ["import", "--db", nodb, "--out", str(afile)], ["import", "--db", nodb, "--out", str(tmp_path / "nonempty")],
        ["import", "--out", str(tmp_path / "x")], ["apply", str(good)], ["apply", str(good), "--db", nodb],
        ["check", str(head), "--base-dir", str(good), "--policy", str(adir)],
        ["check", str(head), "--base-dir", str(good), "--policy", str(tmp_path / "missing.yaml")],
        ["check", str(head), "--base-dir", str(good), "--prove", "--prove-setup", str(adir)],
        ["check", str(head), "--base-dir", str(good), "--prove", "--prove-setup", str(binary)],
        ["check", str(head), "--base-dir", str(good), "--prove", "--prove-setup", str(tmp_path / "missing.sql")],
        ["check", str(head), "--base-dir", str(good), "--prove-timeout", "-5"],
        ["check", str(head), "--base-dir", str(afile)], ["check", str(head), "--base-ref", "main"],
        ["plan", str(good), "--write-migration", str(adir)], ["plan", str(good), "--name", "x"],
    ]
    for argv in cases:
        _clean(run_cli(*argv), max_lines=3 if argv else 1)


DSNS = [
    "postgresql://u:p%zz@localhost:1/db", "host=localhost password='open", "host=localhost nosuchoption=1",
    "postgresql://[::1/db", "postgresql://h/db?a=b=c", "host=localhost port=notaport connect_timeout=2",
    "host=no-such-host.invalid connect_timeout=2", "host=127.0.0.1 sslmode=sometimes",
    "host=127.0.0.1 port=1 connect_timeout=2", "service=no_such_service", "postgresql://",
]


@pytest.mark.parametrize("dsn", DSNS)
def test_bad_dsns(tmp_path: Path, dsn: str):
    good = write_spec(tmp_path / "good", GOOD)
    for argv in (["plan", str(good), "--db", dsn], ["plan", str(good), "--db", dsn, "--format", "json"],
                 ["apply", str(good), "--db", dsn, "--yes"], ["import", "--db", dsn, "--out", str(tmp_path / "i")]):
        r = run_cli(*argv)
        if dsn == "postgresql://" and r.code == 0:
            continue  # libpq's defaults may name a reachable server; then it is no bad input
        _clean(r, max_lines=1)
        assert not (tmp_path / "i").exists()


def test_a_database_that_does_not_exist(pg, tmp_path: Path):
    good = write_spec(tmp_path / "good", GOOD)
    dsn = pg.dsn("sd_no_such_database")
    for argv in (["plan", str(good), "--db", dsn], ["apply", str(good), "--db", dsn, "--yes"],
                 ["import", "--db", dsn, "--out", str(tmp_path / "i")]):
        r = run_cli(*argv)
        _clean(r, max_lines=1)
        assert 'database "sd_no_such_database" does not exist' in r.err, r


@pytest.mark.parametrize("setting,said", [("statement_timeout", "statement timeout"),
                                          ("lock_timeout", "lock timeout")])
def test_a_timeout_while_reading_the_catalogs_names_the_setting(pg, db, tmp_path: Path, setting: str, said: str):
    """The server cancels a catalog read (a catalog the read needs is locked by
    another session, so the cancellation is certain): one line naming the setting."""
    good = write_spec(tmp_path / "good", GOOD)
    dsn = pg.dsn(db) + f" options='-c {setting}=200'"
    with psycopg.connect(pg.dsn(db)) as holder:
        holder.execute("LOCK TABLE pg_catalog.pg_policy IN ACCESS EXCLUSIVE MODE")
        for argv in (["plan", str(good), "--db", dsn], ["plan", str(good), "--db", dsn, "--format", "json"],
                     ["import", "--db", dsn, "--out", str(tmp_path / "i")],
                     ["apply", str(good), "--db", dsn, "--yes", "--retries", "0"]):
            r = run_cli(*argv)
            _clean(r, max_lines=1)
            if argv[0] == "apply":  # apply pins its session's own timeouts: the one that fired is named
                assert re.search(r"\b(statement|lock)[ _]timeout\b", r.err), r
            else:
                assert f"was cancelled by the server's {setting}" in r.err, r
            assert not (tmp_path / "i").exists()
        holder.rollback()
    with psycopg.connect(pg.dsn(db)) as conn:  # nothing was changed
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relname = 't'").fetchone()[0] == 0


# -- as a real process ---------------------------------------------------------------------

def _process(*argv: str, user: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if user else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}
    return subprocess.run([*prefix, sys.executable, "-m", "schemadiff", *argv], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


@pytest.fixture
def shared_tmp():
    """A directory another user can enter (pytest's own are private to root)."""
    where = Path(tempfile.mkdtemp(prefix="schemadiff-bad-input-"))
    os.chmod(where, 0o755)
    yield where
    shutil.rmtree(where, ignore_errors=True)


@pytest.mark.parametrize("name", ["deep flow nesting, table", "deep block nesting, table",
                                  "deep nesting with a tab (pure-Python reader)", "deep nesting, root"])
def test_deep_nesting_as_a_real_process(shared_tmp: Path, name: str):
    bad = _make(shared_tmp, SPECS[name])
    for argv in (["validate", str(bad)], ["check", str(bad), "--base-dir", str(bad)]):
        done = _process(*argv)
        assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr, done
        assert "nests deeper than 64 levels" in done.stderr, done.stderr


def test_an_unreadable_file(shared_tmp: Path):
    """Root can read any file: the commands run as nobody when the tests run as root."""
    spec = write_spec(shared_tmp / "spec", GOOD)
    for d in (spec, spec / "tables"):
        os.chmod(d, 0o755)
    os.chmod(spec / "schemadiff.yaml", 0o644)
    os.chmod(spec / "tables" / "t.yaml", 0o000)
    as_nobody = os.geteuid() == 0
    if as_nobody and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: no way to make a file unreadable")
    for argv in (["validate", str(spec)], ["sql", str(spec)], ["check", str(spec), "--base-dir", str(spec)]):
        done = _process(*argv, user="nobody" if as_nobody else None, cwd=shared_tmp)
        assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr, done
        assert "t.yaml:1:1: error: cannot read the file: Permission denied" in done.stderr, done.stderr
