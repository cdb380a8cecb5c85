"""A `.yaml` entry in the spec directory that is not a regular file is an error naming
it, never skipped in silence (a skipped table file is a table the plan stops seeing),
and never opened first (a FIFO would block the loader forever)."""

from __future__ import annotations

import os
import socket

import pytest

from .conftest import run_cli, write_spec

GOOD = {"schemadiff.yaml": "version: 1\n", "tables/t.yaml": "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n"}


def _fifo(path):
    os.mkfifo(path)


def _device_link(path):
    os.symlink("/dev/zero", path)


def _broken_link(path):
    os.symlink(path.parent / "nowhere.yaml", path)


def _socket(path):
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    return s


@pytest.mark.parametrize("make, words", [
    (_fifo, "is not a regular file (a FIFO)"),
    (_device_link, "is not a regular file (a character device)"),
    (_broken_link, "a broken link"),
    (_socket, "is not a regular file (a socket)"),
], ids=["fifo", "link-to-dev-zero", "broken-link", "socket"])
@pytest.mark.parametrize("command", ["validate", "sql"])
def test_a_spec_entry_that_is_not_a_regular_file_is_an_error_naming_it(tmp_path, make, words, command):
    spec = write_spec(tmp_path / "spec", GOOD)
    odd = spec / "tables" / "u.yaml"
    keep = make(odd)
    try:
        r = run_cli(command, str(spec))
    finally:
        if keep is not None:
            keep.close()
    assert r.code == 1, r
    assert "tables/u.yaml" in r.err and words in r.err, r.err
    assert "Traceback" not in r.err


def test_a_link_to_a_regular_spec_file_is_read(tmp_path):
    spec = write_spec(tmp_path / "spec", GOOD)
    other = write_spec(tmp_path / "elsewhere", {"u.yaml": "table: u\ncolumns:\n  id: {type: bigint}\n"})
    os.symlink(other / "u.yaml", spec / "tables" / "u.yaml")
    r = run_cli("sql", str(spec))
    assert r.code == 0, r
    assert "CREATE TABLE public.u" in r.out
