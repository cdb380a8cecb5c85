"""Which database, and connecting to it without ever printing a secret.

The database comes from ``--db``, else ``DATABASE_URL``, else libpq's own
environment (``PGHOST``, ``PGDATABASE``, ``PGSERVICE``…).

Secrets are removed in one place: ``scrub(text, dsn)`` is applied to every
message and log line that may hold a connection's text, and ``redact(dsn)``
(the DSN as messages show it) ends with it too. A secret is the value of a
secret option of the DSN (``password``, ``sslpassword``…), ``PGPASSWORD``,
and every password of the service files and the password file libpq may
read. libpq's own text is never shown when the DSN does not parse (it quotes
the DSN, password included): ``describe_parse_error`` says what is wrong and
where, without any value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

LIBPQ_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGSERVICEFILE")
SECRET_KEYS = ("password", "sslpassword", "oauth_client_secret", "scram_client_key", "scram_server_key")
HIDDEN = "***"


class ConnectError(Exception):
    pass


def resolve_dsn(arg: str | None, environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(dsn, where it came from), or None when nothing names a database."""
    environ = os.environ if environ is None else environ
    if arg:
        return arg, "--db"
    if environ.get("DATABASE_URL"):
        return environ["DATABASE_URL"], "DATABASE_URL"
    if any(environ.get(v) for v in LIBPQ_VARIABLES):
        return "", "the PG* environment variables"
    return None


def redact(dsn: str) -> str:
    """The DSN as messages show it: every secret option ***; one that does not parse is not shown."""
    if not dsn:
        return "(libpq environment)"
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "(a connection string that does not parse)"
    for key in SECRET_KEYS:
        if key in params:
            params[key] = HIDDEN
    return scrub(make_conninfo(**params), dsn) or "(an empty connection string: libpq's defaults)"


def target_of(conn: psycopg.Connection) -> str:
    """The database a session is connected to, as libpq resolved it (from the DSN, the
    ``PG*`` variables, a service file or its defaults): ``dbname=… host=… port=… user=…``.
    Never a password: libpq's connection info, not the DSN."""
    info = conn.info
    params = {"dbname": info.dbname, "host": info.host, "port": str(info.port), "user": info.user}
    return scrub(make_conninfo(**{k: v for k, v in params.items() if v}))


def named_target(dsn: str, target: str) -> str:
    """How headers name the database: the DSN as given (secrets ***) when it names the
    database and its host itself, else what libpq resolved (``target_of``), after the
    DSN when there is one (``service=prod (dbname=… host=… …)``)."""
    if not dsn:
        return target
    shown = redact(dsn)
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        return target
    if params.get("dbname") and (params.get("host") or params.get("hostaddr")):
        return shown
    return f"{shown} ({target})" if target else shown


# -- the one scrubber ----------------------------------------------------------------

_URI_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s]*@", re.IGNORECASE)
_KEY_VALUE = re.compile(r"\b(" + "|".join(SECRET_KEYS) + r")(\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&]*)", re.IGNORECASE)


def scrub(text: str, dsn: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``text`` with every secret replaced by ***: the secrets of ``dsn``, of the
    environment, of the service and password files, and whatever is written like
    a password in a connection string (``password=…``, ``scheme://user:…@``)."""
    for secret in sorted(secrets_of(dsn or "", environ), key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    text = _URI_PASSWORD.sub(lambda m: f"{m.group(1)}:{HIDDEN}@", text)
    return _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{HIDDEN}", text)


def secrets_of(dsn: str, environ: Mapping[str, str] | None = None) -> set[str]:
    """Every secret text that could reach a message when connecting with ``dsn``."""
    environ = os.environ if environ is None else environ
    found: set[str] = set()
    try:
        params = conninfo_to_dict(dsn) if dsn else {}
    except psycopg.Error:
        params = {}
    for key in SECRET_KEYS:
        if params.get(key):
            found.add(str(params[key]))
    # as written, before libpq decoded it (percent-encoded in a URI, quoted in key=value)
    for m in _URI_PASSWORD.finditer(dsn):
        found.add(m.group(0)[len(m.group(1)) + 1:-1])
    for m in _KEY_VALUE.finditer(dsn):
        found.add(m.group(3))
        found.add(m.group(3).strip("'"))
    if environ.get("PGPASSWORD"):
        found.add(environ["PGPASSWORD"])
    for path in _service_files(params, environ):
        found |= _file_secrets(str(path), "service")
    passfile = params.get("passfile") or environ.get("PGPASSFILE") or _home(".pgpass")
    if passfile:
        found |= _file_secrets(str(passfile), "pgpass")
    return {s for s in found if s and s != HIDDEN}


def _home(name: str) -> Path | None:
    home = os.environ.get("HOME")
    return Path(home) / name if home else None


def _service_files(params: Mapping[str, str], environ: Mapping[str, str]) -> list[Path]:
    out = [Path(environ["PGSERVICEFILE"])] if environ.get("PGSERVICEFILE") else [p for p in [_home(".pg_service.conf")] if p]
    out += [Path(environ.get("PGSYSCONFDIR", "/etc/postgresql-common")) / "pg_service.conf"]
    return out


@cache
def _file_secrets_cached(path: str, kind: str, mtime: float) -> frozenset[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(1 << 20)
    except OSError:
        return frozenset()
    found = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if kind == "service":
            key, sep, value = line.partition("=")
            if sep and key.strip().lower() in SECRET_KEYS:
                found.add(value.strip())
        else:  # hostname:port:database:username:password, with \: and \\ escaped
            fields = re.split(r"(?<!\\):", line, maxsplit=4)
            if len(fields) == 5:
                found.add(fields[4])
                found.add(fields[4].replace("\\:", ":").replace("\\\\", "\\"))
    return frozenset(found)


def _file_secrets(path: str, kind: str) -> frozenset[str]:
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return frozenset()
    return _file_secrets_cached(path, kind, mtime)


# -- a DSN that does not parse -----------------------------------------------------------

_PROBLEMS = (
    ("invalid percent-encoded token", "a %-escape that is not % and two hex digits"),
    ("forbidden value %00", "a %00 escape (a NUL byte)"),
    ('missing "=" after', "a word without \"=\" (quote a value that holds a space: key='a b')"),
    ("invalid connection option", "an option libpq does not know"),
    ("unterminated quoted string", "a quoted value that is not closed"),
    ("invalid URI query parameter", "a query parameter libpq does not know"),
    ("extra key/value separator", 'a query parameter with two "="'),
    ("missing key/value separator", 'a query parameter without "="'),
    ('matching "]"', 'an IPv6 host address without its closing "]"'),
    ("IPv6 host address may not be empty", "an empty IPv6 host address"),
    ("unexpected spaces", "a space in a URI (write it %20)"),
    ("unexpected character", "an unexpected character after a host address"),
)
_URI = re.compile(r"^(postgres(?:ql)?)://(?:(?P<userinfo>[^@/?]*)@)?(?P<hosts>[^/?]*)(?:/(?P<db>[^?]*))?"
                  r"(?:\?(?P<query>.*))?$", re.DOTALL)


@cache
def _keywords() -> frozenset[str]:
    from psycopg import pq

    return frozenset(o.keyword.decode() for o in pq.Conninfo.get_defaults())


def describe_parse_error(dsn: str, libpq_message: str) -> str:
    """Why ``dsn`` does not parse and where, never quoting any of its values."""
    problem = next((said for key, said in _PROBLEMS if key in libpq_message), "libpq cannot read it")
    where = _uri_place(dsn) if _URI.match(dsn) else _keyword_place(dsn)
    return f"the DSN does not parse: {problem}" + (f" {where}" if where else "") + " (its text is not shown: it may hold a password)"


def _bad_escape(text: str) -> bool:
    return bool(re.search(r"%(?![0-9a-fA-F]{2})|%00", text)) or " " in text


def _uri_place(dsn: str) -> str | None:
    m = _URI.match(dsn)
    assert m is not None
    userinfo = m.group("userinfo")
    if userinfo is not None:
        user, sep, password = userinfo.partition(":")
        if _bad_escape(user):
            return "in the user name"
        if sep and _bad_escape(password):
            return "in the password"
    if m.group("hosts") and (_bad_escape(m.group("hosts")) or m.group("hosts").count("[") != m.group("hosts").count("]")):
        return "in the host part"
    if m.group("db") and _bad_escape(m.group("db")):
        return "in the database name"
    for n, param in enumerate((m.group("query") or "").split("&"), 1):
        key, sep, value = param.partition("=")
        if key in _keywords():
            if not sep or "=" in value or _bad_escape(value):
                return f"in the value of query parameter {key}"
        else:
            return f"in query parameter {n}"
    return None


def _keyword_place(dsn: str) -> str | None:
    """libpq's key=value grammar: name, optional spaces, =, optional spaces, a
    value (single-quoted with backslash escapes, else up to a space)."""
    i, n, previous = 0, len(dsn), None
    while True:
        while i < n and dsn[i].isspace():
            i += 1
        if i >= n:
            return None
        start = i
        while i < n and dsn[i] != "=" and not dsn[i].isspace():
            i += 1
        key = dsn[start:i]
        while i < n and dsn[i].isspace():
            i += 1
        if i >= n or dsn[i] != "=":
            return f"at character {start + 1}" + (f", after the value of {previous}" if previous else "")
        if key not in _keywords():
            return f"at character {start + 1}"
        i += 1
        while i < n and dsn[i].isspace():
            i += 1
        if i < n and dsn[i] == "'":
            i += 1
            while i < n and dsn[i] != "'":
                i += 2 if dsn[i] == "\\" else 1
            if i >= n:
                return f"in the value of {key}"
            i += 1
        else:
            while i < n and not dsn[i].isspace():
                i += 2 if dsn[i] == "\\" else 1
        previous = key


# -- connecting -------------------------------------------------------------------------

def check_dsn(dsn: str) -> None:
    """ConnectError (a message of ours, without any value) unless ``dsn`` parses."""
    if not dsn:
        return
    try:
        conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise ConnectError(describe_parse_error(dsn, str(exc))) from None


def error_message(exc: BaseException, dsn: str) -> str:
    """libpq's or the server's first line about ``exc``, scrubbed."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return scrub(first, dsn)


# Every session schemadiff opens on a target: names resolve in pg_catalog (and pg_temp
# last: no temporary object takes the place of a pg_catalog one), string constants
# are read as standard SQL. The database's or role's own settings (`ALTER DATABASE …
# SET search_path = evil, pg_catalog`, `standard_conforming_strings = off`) are
# hostile input: until this is pinned, no unqualified name is used.
# The client encoding too: UTF8 whatever the database's (a LATIN1 database converts,
# a SQL_ASCII one passes its bytes through, and bytes that are not UTF-8 are an error,
# never text read in another encoding).
SEARCH_PATH = "pg_catalog, pg_temp"
BASE_SETTINGS = {"search_path": SEARCH_PATH, "standard_conforming_strings": "on", "client_encoding": "UTF8"}


class SettingsError(Exception):
    pass


def set_settings(conn: psycopg.Connection, values: dict[str, str], local: bool) -> None:
    """set_config each (name, value) — every value a bound parameter, never SQL
    text — then read them all back from pg_settings; SettingsError if one differs."""
    calls = ", ".join("pg_catalog.set_config(%s, %s, %s)" for _ in values)
    conn.execute(f"SELECT {calls}", [x for name, value in values.items() for x in (name, value, local)])
    check_settings(conn, values)


def check_settings(conn: psycopg.Connection, values: dict[str, str]) -> None:
    wanted = {name: _base_unit(value) for name, value in values.items()}
    rows = dict(conn.execute("SELECT name, setting FROM pg_catalog.pg_settings WHERE name = ANY(%s)",
                             (list(wanted),)).fetchall())
    wrong = [f"{name} is {rows.get(name)!r}, not {value!r}" for name, value in wanted.items()
             if rows.get(name) != value]
    if wrong:
        raise SettingsError("the session does not hold the settings schemadiff pinned: " + "; ".join(wrong))


def _base_unit(value: str) -> str:
    return value.removesuffix("ms") if value.endswith("ms") and value[:-2].isdigit() else value


def connect(dsn: str, *, application_name: str = "schemadiff") -> psycopg.Connection:
    """A connection to the target with ``BASE_SETTINGS`` pinned for the session
    before anything else runs on it."""
    check_dsn(dsn)
    try:
        conn = psycopg.connect(dsn, autocommit=True, application_name=application_name, connect_timeout=10,
                               client_encoding="UTF8")
    except psycopg.Error as exc:
        raise ConnectError(f"cannot connect to {redact(dsn)}: {error_message(exc, dsn)}") from None
    try:
        set_settings(conn, BASE_SETTINGS, local=False)
    except (psycopg.Error, SettingsError) as exc:
        conn.close()
        raise ConnectError(f"cannot pin the session's settings on {redact(dsn)}: "
                           f"{error_message(exc, dsn) if isinstance(exc, psycopg.Error) else exc}") from None
    return conn


_TIMEOUTS = (("statement timeout", "statement_timeout"), ("lock timeout", "lock_timeout"),
             ("transaction timeout", "transaction_timeout"),
             ("idle-in-transaction timeout", "idle_in_transaction_session_timeout"),
             ("idle-session timeout", "idle_session_timeout"))


def describe_database_error(exc: BaseException, dsn: str, doing: str) -> str:
    """One line about a database error while ``doing`` something, naming the
    server setting that cancelled it when a timeout did, scrubbed."""
    text = error_message(exc, dsn)
    setting = next((name for said, name in _TIMEOUTS if said in text), None)
    if setting:
        return (f"{doing} was cancelled by the server's {setting} ({text}): it is set for this role or database, "
                f"or in the DSN (options='-c {setting}=…'); raise it for schemadiff's session")
    return f"the database failed while {doing}: {text}"
