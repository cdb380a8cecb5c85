"""docs/tutorial.md runs as written (issue 16, "Done when").

Every fenced ```sh block of the tutorial is run verbatim, in order, in one bash
session (``set -e``: a failing command fails the test) in a temporary directory,
with ``DATABASE_URL`` naming a fresh database of the test server. A ```text block
right after a ```sh block is that block's output (standard output and error, as a
terminal shows them) and must match it line for line, ``…`` standing for any text.
A block preceded by ``<!-- tutorial: not run … -->`` is not run (the install: the
test runs the schemadiff it is installed with, first on PATH).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

TUTORIAL = ROOT / "docs" / "tutorial.md"
_FENCE = re.compile(r"(?P<skip><!-- tutorial: not run[^>]*-->\s*\n)?^```(?P<lang>\w*)\n(?P<body>.*?)^```\s*$",
                    re.MULTILINE | re.DOTALL)
MARK = "@@tutorial-block@@"


def blocks(text: str) -> list[tuple[str, str | None]]:
    """[(sh block, the text block shown right after it or None)], skipped blocks left out."""
    found = list(_FENCE.finditer(text))
    out = []
    for n, m in enumerate(found):
        if m.group("lang") != "sh" or m.group("skip"):
            continue
        expected = None
        if n + 1 < len(found):
            nxt = found[n + 1]
            if nxt.group("lang") == "text" and not text[m.end():nxt.start()].strip():
                expected = nxt.group("body")
        out.append((m.group("body"), expected))
    return out


def matches(expected: str, actual: str) -> bool:
    want, got = expected.rstrip("\n").split("\n"), actual.rstrip("\n").split("\n")
    if len(want) != len(got):
        return False
    for w, g in zip(want, got):
        pattern = ".*".join(re.escape(part) for part in w.rstrip().split("…"))
        if not re.fullmatch(pattern, g.rstrip()):
            return False
    return True


def test_the_tutorial_has_what_it_promises():
    text = TUTORIAL.read_text(encoding="utf-8")
    found = blocks(text)
    assert len(found) >= 10 and sum(1 for _, e in found if e is not None) >= 8
    commands = "\n".join(body for body, _ in found)
    for step in ("schemadiff import", "schemadiff plan", "schemadiff apply", "schemadiff check",
                 "--write-migration", "git commit"):
        assert step in commands, step
    assert "docs/tutorial.md" in (ROOT / "README.md").read_text(encoding="utf-8")  # linked from the README
    assert matches("a … b\nc", "a 123 b\nc") and not matches("a … b", "a 1 c") and not matches("x", "x\ny")


def test_the_tutorial_runs_verbatim(pg, db, tmp_path: Path):
    found = blocks(TUTORIAL.read_text(encoding="utf-8"))
    script = ["set -e", "exec 2>&1"]
    for n, (body, _) in enumerate(found):
        script += [f"echo {MARK}{n}", body.rstrip("\n")]
    script.append(f"echo {MARK}end")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and k not in ("DATABASE_URL", "CI", "NO_COLOR")}
    path_dirs = [str(Path(sys.executable).parent), str(Path(pg.psql).parent)]
    env.update(PATH=os.pathsep.join(path_dirs + [env.get("PATH", "")]), DATABASE_URL=pg.dsn(db),
               PYTHONUNBUFFERED="1",  # standard output and error in the order a terminal shows them
               GIT_AUTHOR_NAME="Tutorial", GIT_AUTHOR_EMAIL="tutorial@example.com",
               GIT_COMMITTER_NAME="Tutorial", GIT_COMMITTER_EMAIL="tutorial@example.com",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    outputs = done.stdout.split(f"{MARK}")
    ran = {}
    for chunk in outputs[1:]:
        label, _, rest = chunk.partition("\n")
        ran[label] = rest
    last = max((int(k) for k in ran if k.isdigit()), default=-1)
    assert done.returncode == 0 and "end" in ran, (
        f"block {last} failed (exit {done.returncode}):\n{found[last][0] if last >= 0 else ''}\n"
        f"output:\n{ran.get(str(last), done.stdout)}{done.stderr}")
    for n, (body, expected) in enumerate(found):
        if expected is not None:
            assert matches(expected, ran[str(n)]), (
                f"the output of block {n} drifted from docs/tutorial.md:\n--- block\n{body}--- shown\n{expected}"
                f"--- now\n{ran[str(n)]}")
