"""The console script leaves without the interpreter's teardown (``cli._leave``): the same
stdout, stderr and exit code as Python's own exit, atexit handlers run, a thread that is not
a daemon is waited for, and a closed pipe on stdout gets Python's own exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES, write_spec

SPEC = EXAMPLES / "customer_care" / "schema"


def _run(argv: list[str], full: bool, prelude: str = "", **kwargs) -> subprocess.CompletedProcess:
    """The console script's ``run()`` in a new process; output captured unless ``kwargs`` say."""
    env = {**os.environ, "SCHEMADIFF_NO_CACHE": "1"}
    env.pop("SCHEMADIFF_FULL_EXIT", None)
    if full:
        env["SCHEMADIFF_FULL_EXIT"] = "1"
    code = f"import sys\n{prelude}\nsys.argv = ['schemadiff', *{argv!r}]\nfrom schemadiff.cli import run\nrun()\n"
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.run([sys.executable, "-c", code], env=env, **streams)


@pytest.mark.parametrize("argv", [["sql", str(SPEC)], ["validate", str(SPEC)], ["sql", "no/such/dir"],
                                  ["sql", str(SPEC), "--no-such-option"], ["--version"]])
def test_the_same_output_and_exit_code_as_python_s_own_exit(argv):
    fast, full = _run(argv, False), _run(argv, True)
    assert (fast.returncode, fast.stdout, fast.stderr) == (full.returncode, full.stdout, full.stderr)
    assert fast.stdout or fast.stderr


def test_a_broken_spec_exits_as_before(tmp_path):
    spec = write_spec(tmp_path / "s", {"schemadiff.yaml": "version: 1\n", "tables/a.yaml": "table: a\ncolour: red\n"})
    fast, full = _run(["sql", str(spec)], False), _run(["sql", str(spec)], True)
    assert (fast.returncode, fast.stdout, fast.stderr) == (full.returncode, full.stdout, full.stderr)
    assert fast.returncode == 1 and b"colour" in fast.stderr


def test_atexit_handlers_and_finalizers_run(tmp_path):
    marker = tmp_path / "ran"
    prelude = (f"import atexit, tempfile\n"
               f"atexit.register(lambda: open({str(marker)!r}, 'w').write('ran'))\n"
               f"kept = tempfile.TemporaryDirectory(dir={str(tmp_path)!r}, prefix='left-')\n")
    r = _run(["sql", str(SPEC)], False, prelude)
    assert r.returncode == 0, r.stderr
    assert marker.read_text() == "ran"
    assert not list(tmp_path.glob("left-*"))  # the directory's finalizer removed it at exit


def test_a_thread_that_is_not_a_daemon_is_waited_for(tmp_path):
    marker = tmp_path / "done"
    prelude = (f"import threading, time\n"
               f"threading.Thread(target=lambda: (time.sleep(0.5), open({str(marker)!r}, 'w').write('done'))).start()\n")
    r = _run(["sql", str(SPEC)], False, prelude)
    assert r.returncode == 0 and marker.read_text() == "done"


def test_a_closed_stdout_gets_python_s_own_exit(tmp_path):
    results = []
    for full in (False, True):
        r, w = os.pipe()
        os.close(r)  # nobody reads: the first flush fails
        try:
            p = _run(["sql", str(SPEC)], full, stdout=w)
        finally:
            os.close(w)
        results.append((p.returncode, p.stderr))
    assert results[0] == results[1]
    assert results[0][0] != 0


def test_the_teardown_is_skipped_and_only_it(tmp_path):
    """What the fast way out leaves undone: objects still alive at exit are not freed one by one
    (a ``__del__`` of such an object does not run); ``SCHEMADIFF_FULL_EXIT=1`` frees them."""
    marker = tmp_path / "freed"
    prelude = (f"class Kept:\n"
               f"    def __del__(self, open=open):  # bound now: builtins may be gone by then\n"
               f"        open({str(marker)!r}, 'w').write('freed')\n"
               f"kept = Kept()\n")
    assert _run(["sql", str(SPEC)], False, prelude).returncode == 0
    assert not marker.exists()
    assert _run(["sql", str(SPEC)], True, prelude).returncode == 0
    assert marker.read_text() == "freed"


def test_a_stdout_closed_from_the_start_exits_as_before():
    """Started with descriptor 1 closed, Python has no ``sys.stdout``: nothing to flush, exit 0
    as Python's own exit (found in review: a traceback and exit 1)."""
    results = []
    for full in (False, True):
        p = _run(["validate", str(SPEC)], full, stdout=None, preexec_fn=lambda: os.close(1))
        results.append((p.returncode, p.stderr))
    assert results[0] == results[1] == (0, b"")
