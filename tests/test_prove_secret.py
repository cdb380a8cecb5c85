"""``check --prove`` gives its sandbox role a one-time password: it must reach
the server only as a SCRAM-SHA-256 verifier computed on the client, never in
clear DDL, so a server that logs every statement (``log_statement = 'all'``)
writes no secret to its log — while the proof still logs in with it.

The server here is a new cluster of the same PostgreSQL as the test server (its
binaries; ``scripts/pg15.sh`` starts it, logging to a file), where ``pg_hba.conf``
lets the sandbox role in only by ``scram-sha-256``: a proof that runs has logged in
with the password the verifier was made from.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from schemadiff import prove as prove_module
from schemadiff.check import run_check
from schemadiff.policy import Policy
from schemadiff.prove import SANDBOX_ROLE, prove
from schemadiff.spec import load_spec

from .conftest import write_spec

ROOT = Path(__file__).resolve().parent.parent
BASE = {"schemadiff.yaml": "version: 1\n",
        "tables/t.yaml": "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n"}
HEAD = {"schemadiff.yaml": "version: 1\n",
        "tables/t.yaml": "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n  note: text\n"}


@pytest.fixture(params=["scram-sha-256", "md5"], ids=lambda p: f"password_encryption {p}")
def logging_server(request, pg):
    """(superuser DSN, server log path) of a new cluster logging every statement,
    where the sandbox role may log in only with its password (scram-sha-256). Its
    ``password_encryption`` does not matter: a verifier is stored as it is sent."""
    bin_dir = Path(pg.psql).resolve().parent
    if not (bin_dir / "initdb").exists() or not (bin_dir / "pg_ctl").exists():
        pytest.skip(f"no initdb beside {pg.psql}: cannot start a logging cluster of the test server's version")
    where = Path(tempfile.mkdtemp(prefix="sd-prove-log-"))
    os.chmod(where, 0o755)
    env = {**os.environ, "PG15_BIN": str(bin_dir)}
    started = subprocess.run([str(ROOT / "scripts" / "pg15.sh"), "start", str(where)], env=env,
                             capture_output=True, text=True, timeout=120)
    try:
        assert started.returncode == 0, started.stderr
        dsn = re.search(r"SCHEMADIFF_TEST_DSN='([^']+)'", started.stdout).group(1)
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.info.server_version // 10000 == pg.version // 10000
            hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
            hba.write_text(f"local all {SANDBOX_ROLE} scram-sha-256\n" + hba.read_text())
            conn.execute("ALTER SYSTEM SET log_statement = 'all'")
            conn.execute("ALTER SYSTEM SET log_min_error_statement = 'info'")
            conn.execute("ALTER SYSTEM SET log_connections = 'on'")
            conn.execute(f"ALTER SYSTEM SET password_encryption = '{request.param}'")
            conn.execute("SELECT pg_reload_conf()")
        yield dsn, where / "server.log"
    finally:
        subprocess.run([str(ROOT / "scripts" / "pg15.sh"), "stop", str(where)], env=env, capture_output=True,
                       timeout=120)
        subprocess.run(["rm", "-rf", str(where)], timeout=60)


def test_the_control_hba_refuses_the_sandbox_role_without_its_password(logging_server):
    dsn, _ = logging_server
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {SANDBOX_ROLE} LOGIN")
    try:
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(dsn.replace("postgres@", f"{SANDBOX_ROLE}@"), connect_timeout=5).close()
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP ROLE {SANDBOX_ROLE}")


def test_the_sandbox_password_is_nowhere_in_a_server_log_of_every_statement(logging_server, tmp_path, monkeypatch):
    dsn, log = logging_server
    issued: list[str] = []
    real = secrets.token_urlsafe
    monkeypatch.setattr(prove_module.secrets, "token_urlsafe", lambda n=None: issued.append(real(n)) or issued[-1])
    base = load_spec(write_spec(tmp_path / "base", BASE))
    head = load_spec(write_spec(tmp_path / "head", HEAD))
    result = run_check(head, base, Policy(), base_label="base", head_label="head")
    stored: list[str] = []
    said: list[str] = []

    def say(text: str) -> None:
        said.append(text)
        if "built the base" in text:  # the role exists now: what did the server store?
            with psycopg.connect(dsn, autocommit=True) as conn:
                stored.append(conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s",
                                           (SANDBOX_ROLE,)).fetchone()[0])

    proof = prove(base.schema, head.schema, result.plan, server_dsn=dsn, say=say)
    assert "base + 1 planned statement(s) = the head spec built fresh" in proof, proof
    [password] = issued
    assert len(password) >= 40
    assert stored and stored[0].startswith("SCRAM-SHA-256$4096:") and password not in stored[0], stored
    text = log.read_text(errors="replace")
    assert password not in text
    assert "CREATE ROLE" in text and "SCRAM-SHA-256$" in text, text[-2000:]  # the log does hold the DDL
    # the proof's sessions logged in by scram-sha-256 (pg_hba.conf allows the role nothing else)
    assert any(SANDBOX_ROLE in line and "method=scram-sha-256" in line for line in text.splitlines()), text[-2000:]
    assert not any(password in line for line in said)
    with psycopg.connect(dsn, autocommit=True) as conn:  # what the proof made is gone
        assert not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (SANDBOX_ROLE,)).fetchone()


def test_the_verifier_is_libpqs_and_never_the_password(pg):
    with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
        one = prove_module.scram_verifier(conn, "correct horse battery staple")
        two = prove_module.scram_verifier(conn, "correct horse battery staple")
    assert one.startswith("SCRAM-SHA-256$4096:") and "correct horse" not in one
    assert one != two  # a new salt each time


def test_a_sandbox_repr_holds_no_password():
    box = prove_module.Sandbox(SANDBOX_ROLE, {"prove_a": "host=/x dbname=prove_a password=s3cret-one-time"})
    assert "s3cret" not in repr(box) and "s3cret" not in str(box)
