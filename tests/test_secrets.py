"""Secrets are never printed: not the DSN's password or sslpassword, not what libpq
quotes of a DSN it cannot parse, not PGPASSWORD or the passwords of a service or
password file — by plan (every format and its --out file), apply or import, on
the way to success or to failure. A real server (it ignores the passwords:
trust authentication), so the success paths really run."""

from __future__ import annotations

import itertools
from pathlib import Path
from urllib.parse import quote

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schemadiff.introspect.connect import describe_parse_error, redact, scrub

from .conftest import run_cli, write_spec

SPEC = {"schemadiff.yaml": "version: 1\n",
        "tables/t.yaml": "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n"}
_n = itertools.count()


def _uri(pg, db: str, password: str, **query: str) -> str:
    p = conninfo_to_dict(pg.dsn(db))
    params = {"host": p.get("host", ""), **({"port": p["port"]} if p.get("port") else {}), **query}
    return (f"postgresql://{quote(p.get('user', 'postgres'))}:{quote(password, safe='')}@/{quote(db)}?"
            + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items()))


def _commands(spec: Path, tmp: Path, dsn: str | None) -> list[tuple[str, ...]]:
    db = ("--db", dsn) if dsn is not None else ()
    out = tmp / f"plan-{next(_n)}.json"
    return [("plan", str(spec), *db), ("plan", str(spec), *db, "--format", "json", "--out", str(out)),
            ("plan", str(spec), *db, "--format", "sql"), ("apply", str(spec), *db, "--yes"),
            ("import", *db, "--out", str(tmp / f"import-{next(_n)}"))]


def _run_all(spec: Path, tmp: Path, dsn: str | None, secrets: list[str], *, ok: bool) -> None:
    for argv in _commands(spec, tmp, dsn):
        r = run_cli(*argv)
        shown = r.out + r.err + "".join(p.read_text(encoding="utf-8") for p in tmp.glob("plan-*.json"))
        for secret in secrets:
            assert secret not in shown, (argv, secret, r)
        assert "Traceback" not in shown
        assert (r.code == 0) == ok, (argv, r)


def test_password_and_sslpassword_of_a_working_dsn(pg, db, tmp_path: Path):
    spec = write_spec(tmp_path / "spec", SPEC)
    dsn = pg.dsn(db) + " password=KvPwSecret1 sslpassword=KvSslSecret2"
    _run_all(spec, tmp_path, dsn, ["KvPwSecret1", "KvSslSecret2"], ok=True)
    header = run_cli("plan", str(spec), "--db", dsn).out.splitlines()[0]
    assert "password=*** " in header and "sslpassword=***" in header, header
    uri = _uri(pg, db, "Uri:Pw/Secret%3", sslpassword="UriSslSecret4")
    _run_all(spec, tmp_path, uri, ["Uri:Pw/Secret%3", quote("Uri:Pw/Secret%3", safe=""), "UriSslSecret4"], ok=True)


def test_database_url_is_redacted_too(pg, db, tmp_path: Path, monkeypatch):
    spec = write_spec(tmp_path / "spec", SPEC)
    monkeypatch.setenv("DATABASE_URL", _uri(pg, db, "EnvUrlSecret5", sslpassword="EnvUrlSsl6"))
    _run_all(spec, tmp_path, None, ["EnvUrlSecret5", "EnvUrlSsl6"], ok=True)


BROKEN = [
    # (dsn, its secrets, what the message says instead)
    ("postgresql://bob:S3cret%zzPW2@localhost:1/db", ["S3cret", "zzPW2"], "a %-escape that is not % and two hex "
     "digits in the password"),
    ("postgresql://bob:Nul%00Secret@localhost:1/db", ["Nul", "Secret"], "a %00 escape"),
    ("postgresql://bob:V6Secret7@[::1/db", ["V6Secret7"], 'an IPv6 host address without its closing "]"'),
    ("postgresql://bob@localhost:1/db?sslpassword=QrySecret8%zz", ["QrySecret8"],
     "in the value of query parameter sslpassword"),
    ("postgresql://bob:UnknownQ9@localhost:1/db?passwort=x", ["UnknownQ9"], "in query parameter 1"),
    ("postgresql://bob:Spaced Secret10@localhost:1/db", ["Spaced", "Secret10"], "a space in a URI"),
    ("host=localhost port=1 password='Quoted Secret11", ["Quoted", "Secret11"],
     "a quoted value that is not closed in the value of password"),
    ("host=localhost port=1 password=First Second12", ["First", "Second12"],
     "at character 38, after the value of password"),
    ("host=localhost port=1 password=Pw13Secret Bad14=1", ["Pw13Secret", "Bad14"], "an option libpq does not know"),
]


@pytest.mark.parametrize("dsn,secrets,said", BROKEN, ids=[b[2][:40] for b in BROKEN])
def test_a_dsn_that_does_not_parse_is_described_not_quoted(tmp_path: Path, dsn, secrets, said):
    spec = write_spec(tmp_path / "spec", SPEC)
    for argv in _commands(spec, tmp_path, dsn):
        r = run_cli(*argv)
        assert r.code == 1, (argv, r)
        for secret in secrets:
            assert secret not in r.out + r.err, (argv, secret, r)
        assert f"the DSN does not parse: " in r.err and said in r.err, (argv, r.err)
        assert len(r.err.strip().splitlines()) == 1, r.err


def test_failures_after_parsing_never_show_a_secret(pg, tmp_path: Path):
    spec = write_spec(tmp_path / "spec", SPEC)
    refused = "host=127.0.0.1 port=1 connect_timeout=2 password=RefusedSecret15 sslpassword=RefusedSsl16"
    _run_all(spec, tmp_path, refused, ["RefusedSecret15", "RefusedSsl16"], ok=False)
    missing = pg.dsn("no_such_database_here") + " password=MissingDbSecret17 sslpassword=MissingDbSsl18"
    _run_all(spec, tmp_path, missing, ["MissingDbSecret17", "MissingDbSsl18"], ok=False)
    r = run_cli("plan", str(spec), "--db", missing)
    assert "cannot connect to" in r.err and "password=*** " in r.err and "sslpassword=***" in r.err, r


def test_environment_service_and_password_files(pg, db, tmp_path: Path, monkeypatch):
    spec = write_spec(tmp_path / "spec", SPEC)
    p = conninfo_to_dict(pg.dsn(db))
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[good]\nhost={p.get('host', '')}\nport={p.get('port', '5432')}\ndbname={db}\n"
                        f"user={p.get('user', 'postgres')}\npassword=SvcSecret19\nsslpassword=SvcSsl20\n"
                        "[bad]\nhost=127.0.0.1\nport=1\npassword=SvcBadSecret21\n", encoding="utf-8")
    passfile = tmp_path / "pgpass"
    passfile.write_text("*:*:*:*:PassFile\\:Secret22\n", encoding="utf-8")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    monkeypatch.setenv("PGPASSWORD", "EnvPwSecret23")
    secrets = ["SvcSecret19", "SvcSsl20", "SvcBadSecret21", "PassFile", "Secret22", "EnvPwSecret23"]
    _run_all(spec, tmp_path, "service=good", secrets, ok=True)
    _run_all(spec, tmp_path, "service=bad connect_timeout=2", secrets, ok=False)
    monkeypatch.setenv("PGSERVICE", "good")
    _run_all(spec, tmp_path, None, secrets, ok=True)


def test_the_scrubber_removes_every_kind_of_secret(tmp_path: Path, monkeypatch):
    """The one function every message goes through: a text that holds each secret."""
    services = tmp_path / "services"
    services.write_text("[s]\npassword = SvcPw24\nsslpassword=SvcSsl25\n", encoding="utf-8")
    passfile = tmp_path / "pgpass"
    passfile.write_text("# comment\nh:5432:d:u:Pass\\:File26\n", encoding="utf-8")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    monkeypatch.setenv("PGPASSWORD", "EnvPw27")
    dsn = "postgresql://u:Uri%2FPw28@h/d?sslpassword=UriSsl29"
    text = ("x SvcPw24 SvcSsl25 Pass:File26 Pass\\:File26 EnvPw27 Uri/Pw28 Uri%2FPw28 UriSsl29 "
            "postgresql://v:Other30@h/d password=Other31 sslpassword='Other 32' oauth_client_secret=Other33")
    out = scrub(text, dsn)
    for secret in ("SvcPw24", "SvcSsl25", "File26", "EnvPw27", "Pw28", "UriSsl29", "Other30", "Other31", "Other 32",
                   "Other33"):
        assert secret not in out, (secret, out)
    assert out.startswith("x ***")
    assert redact(dsn) == "user=u password=*** dbname=d host=h sslpassword=***"
    assert redact("host=h password=a b") == "(a connection string that does not parse)"
    assert "S3cret" not in describe_parse_error("postgresql://u:S3cret%zz@h/d", 'invalid percent-encoded token: '
                                                '"S3cret%zz"')


def test_a_dsn_given_where_an_argument_was_expected_is_scrubbed(tmp_path: Path):
    spec = write_spec(tmp_path / "spec", SPEC)
    r = run_cli("plan", str(spec), "postgresql://u:StrayPw34@h/d")
    assert r.code == 1 and "StrayPw34" not in r.err and "postgresql://u:***@h/d" in r.err, r
    r = run_cli("plan", str(spec), "password=StrayPw35")
    assert r.code == 1 and "StrayPw35" not in r.err, r


def test_make_conninfo_round_trip_of_redact_keeps_other_options():
    assert redact(make_conninfo(host="h", dbname="d", options="-c statement_timeout=1")) == \
        "dbname=d host=h options='-c statement_timeout=1'"
