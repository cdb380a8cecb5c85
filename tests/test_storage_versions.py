"""Storage parameters newer than the target server (``storage.Param.since``): plan
names each at its spec line with exit 1 and apply runs nothing, instead of apply
failing on the server's own ``unrecognized parameter``; a server that has them
plans and applies the same spec. Run on PostgreSQL 15 and 18 both."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from schemadiff import changes as c
from schemadiff import storage
from schemadiff.locate import locate
from schemadiff.spec.load import load_spec
from schemadiff.storage_versions import unknown_to_server

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"
T = ("table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n  s: text\n"
     "storage:\n  fillfactor: 90\n  autovacuum_vacuum_max_threshold: 1000\n")  # the key: line 7
U = ("table: u\ncolumns:\n  id: bigint\n  s: text\n"
     "storage: {autovacuum_enabled: true, toast.vacuum_max_eager_freeze_failure_rate: 0.1}\n")  # line 5


def _major(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.info.server_version // 10000


def _value(p: storage.Param) -> str:
    if p.type == "bool":
        return "true"
    if p.type == "enum":
        return f"'{p.values[0]}'"
    v = p.low if p.low is not None and p.low > 0 else (p.high if p.high is not None and p.high < 1 else 1)
    return str(int(v)) if p.type == "int" else repr(float(v))


def _probe(kind: str, p: storage.Param) -> list[str]:
    if kind in (storage.HEAP, storage.TOAST):
        key = p.name if kind == storage.HEAP else storage.TOAST_PREFIX + p.name
        return [f"CREATE TABLE probe (x text) WITH ({key} = {_value(p)})"]
    column = {"gist": "int4range", "spgist": "int4range", "gin": "integer[]"}.get(kind, "integer")
    return [f"CREATE TABLE probe (x {column})",
            f"CREATE INDEX ON probe USING {kind} (x) WITH ({p.name} = {_value(p)})"]


def test_since_is_what_the_server_accepts(pg, db):
    """Every allowlist entry on every relation kind: the server takes it exactly when
    ``since`` says it has it, and names it unrecognized otherwise."""
    dsn = pg.dsn(db)
    major = _major(dsn)
    wrong = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for p in storage.PARAMS:
            for kind in sorted(p.kinds):
                error = None
                try:
                    with conn.transaction():
                        for statement in _probe(kind, p):
                            conn.execute(statement)
                        conn.execute("DROP TABLE probe")
                except psycopg.Error as exc:
                    error = str(exc)
                if (error is None) != (p.since <= major) or (error and "unrecognized parameter" not in error):
                    wrong.append((kind, p.name, p.since, error))
    assert not wrong, f"PostgreSQL {major}: {wrong}"
    assert any(p.since > 15 for p in storage.PARAMS)  # the check below has something to find on 15


def test_plan_finds_a_parameter_the_server_does_not_have(pg, db, tmp_path):
    dsn = pg.dsn(db)
    major = _major(dsn)
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": T, "tables/u.yaml": U})
    assert run_cli("validate", str(spec)).code == 0  # only the server's version decides
    if major < 18:
        with psycopg.connect(dsn) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
        for command in ("plan", "apply"):
            result = run_cli(command, str(spec), "--db", dsn, *(["--yes"] if command == "apply" else []))
            assert result.code == 1, result
            assert (f"tables/t.yaml:7: error: storage parameter autovacuum_vacuum_max_threshold of table public.t: "
                    f"the server (PostgreSQL {version}) does not have it; PostgreSQL 18 introduced it") in result.err, \
                result.err
            assert (f"tables/u.yaml:5: error: storage parameter toast.vacuum_max_eager_freeze_failure_rate of table "
                    f"public.u: the server (PostgreSQL {version}) does not have it; PostgreSQL 18 introduced it") \
                in result.err, result.err
            assert "2 definitions the database would reject" in result.err
            assert "unrecognized parameter" not in result.err
        for table in ("t", "u"):  # apply ran nothing
            assert pg.run_psql(db, sql=f"SELECT 1 FROM public.{table}").returncode != 0
    else:
        assert run_cli("plan", str(spec), "--db", dsn).code == 0
        applied = run_cli("apply", str(spec), "--db", dsn, "--yes")
        assert applied.code == 0, applied
        with psycopg.connect(dsn) as conn:
            rows = dict(conn.execute(
                "SELECT c.relname, c.reloptions FROM pg_class c WHERE c.relname IN ('t', 'u') "
                "UNION ALL SELECT 'u toast', t.reloptions FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid "
                "WHERE c.relname = 'u'").fetchall())
        assert "autovacuum_vacuum_max_threshold=1000" in rows["t"], rows
        assert "vacuum_max_eager_freeze_failure_rate=0.1" in rows["u toast"], rows
        again = run_cli("plan", str(spec), "--db", dsn)
        assert again.code == 0 and "0 to add" in again.out, again


def test_found_on_an_existing_table_too(pg, db, tmp_path):
    """A parameter added to a table the database already has (ALTER TABLE … SET)."""
    dsn = pg.dsn(db)
    if _major(dsn) >= 18:
        pytest.skip("the server has every parameter of the allowlist")
    assert pg.run_psql(db, sql="CREATE TABLE t (id bigint PRIMARY KEY, s text) WITH (fillfactor = 90)").returncode == 0
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/t.yaml": T})
    result = run_cli("apply", str(spec), "--db", dsn, "--yes")
    assert result.code == 1 and "tables/t.yaml:7: error: storage parameter autovacuum_vacuum_max_threshold" \
        in result.err, result
    assert "PostgreSQL 18 introduced it" in result.err
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT reloptions FROM pg_class WHERE relname = 't'").fetchone()[0] == ["fillfactor=90"]


def test_the_line_of_an_index_or_key_parameter(tmp_path, monkeypatch):
    """Each relation's storage key at its own line. The allowlist's newer parameters are
    all tables' today, so here every parameter pretends to be newer than the server."""
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/k.yaml": (
        "table: k\n"                                                    # 1
        "columns:\n  id: bigint\n  s: text\n  n: integer\n"            # 2-5
        "primary_key: {columns: [id], storage: {fillfactor: 70}}\n"    # 6
        "unique:\n"                                                    # 7
        "  - {columns: [n], storage: {deduplicate_items: true}}\n"     # 8
        "  - columns: [s]\n"                                           # 9
        "    name: k_s_key\n"                                          # 10
        "    storage:\n      fillfactor: 60\n"                         # 11-12
        "indexes:\n  k_n_ix:\n    columns: [n]\n"                      # 13-15
        "    storage: {fillfactor: 50, deduplicate_items: false}\n"    # 16
        "storage:\n  fillfactor: 80\n")})                              # 17-18
    loaded = load_spec(spec)
    real = storage.param
    monkeypatch.setattr(storage, "param", lambda kind, key: replace(real(kind, key), since=99))
    found = unknown_to_server(loaded.schema, 18, "18.1")
    spots = {(m.split(":")[0], locate(ch, loaded).line) for ch, m in found}
    assert spots == {
        ("storage parameter fillfactor of table public.k", 18),
        ("storage parameter fillfactor of index k_pkey of table public.k", 6),
        ("storage parameter deduplicate_items of index k_n_key of table public.k", 8),
        ("storage parameter fillfactor of index k_s_key of table public.k", 12),
        ("storage parameter fillfactor of index k_n_ix of table public.k", 16),
        ("storage parameter deduplicate_items of index k_n_ix of table public.k", 16),
    }, found
    assert all("the server (PostgreSQL 18.1) does not have it; PostgreSQL 99 introduced it" in m for _, m in found)
    assert all(locate(ch, loaded).file.endswith("tables/k.yaml") for ch, _ in found)
