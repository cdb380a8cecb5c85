from __future__ import annotations

import io
from pathlib import Path

import pytest

from schemadiff.cli import main

from .pg import Server, start_server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session", autouse=True)
def _spec_cache_of_the_session(tmp_path_factory):
    """The spec cache of the whole run in a directory of its own, never the user's."""
    import os

    if "SCHEMADIFF_CACHE_DIR" not in os.environ:
        os.environ["SCHEMADIFF_CACHE_DIR"] = str(tmp_path_factory.mktemp("spec-cache"))
        yield
        del os.environ["SCHEMADIFF_CACHE_DIR"]
    else:
        yield


@pytest.fixture(scope="session")
def pg() -> Server:
    server, handle = start_server()
    yield server
    if handle is not None:
        handle.cleanup()


@pytest.fixture
def db(pg: Server):
    """A fresh, empty database for one test; dropped afterwards."""
    name = pg.create_database()
    yield name
    pg.drop_database(name)


class CliResult:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out[:200]!r}, err={self.err[:500]!r})"


def run_cli(*argv: str) -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return CliResult(code, out.getvalue(), err.getvalue())


def write_spec(root: Path, files: dict[str, str]) -> Path:
    """Write a spec directory from {relative path: text}."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
