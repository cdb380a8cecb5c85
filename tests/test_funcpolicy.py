"""The function policy of spec expressions (funcpolicy.py): the snapshot agrees
with the server, and every context refuses what it must, with file:line."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from schemadiff.funcpolicy import CONTEXTS, judge_text
from schemadiff.model import QualifiedName

from .conftest import run_cli, write_spec

ROOT = Path(__file__).resolve().parent.parent


def test_snapshot_agrees_with_the_server(pg):
    """data/pg_functions.json must not contradict the live server on a name both
    know: the same answer to "has a VOLATILE overload" and "has an IMMUTABLE one"
    (regenerate it with scripts/pg_catalog_snapshot.py from the newest release)."""
    data = json.loads((ROOT / "src" / "schemadiff" / "data" / "pg_functions.json").read_text(encoding="utf-8"))
    with psycopg.connect(pg.admin_dsn) as conn:
        rows = conn.execute(
            "SELECT p.proname, string_agg(DISTINCT p.provolatile::text, '') FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = 'pg_catalog' AND p.prokind IN ('f', 'a', 'w') "
            "GROUP BY 1").fetchall()
        operators = {r[0] for r in conn.execute(
            "SELECT o.oprname FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode WHERE p.provolatile <> 'v'")}
    snapshot = data["functions"]
    wrong = sorted(name for name, vol in rows if name in snapshot
                   and (("v" in vol) != ("v" in snapshot[name]) or ("i" in vol) != ("i" in snapshot[name])))
    assert not wrong, wrong
    assert len({name for name, _ in rows} & set(snapshot)) > 2500
    assert operators - set(data["operators"]) <= {"<%", "%>"}, operators - set(data["operators"])


@pytest.mark.parametrize("text, context, called", [
    ("setval('s1', 1) > 0", "default", "setval()"),
    ("pg_catalog.setval('s1', 1) > 0 OR score IS NULL", "check", "pg_catalog.setval()"),
    ("lo_unlink(4243) = 1 OR tag IS NULL", "check", "lo_unlink()"),
    ("public.dblink_exec('x', 'DROP TABLE public.canary') IS NULL", "check", "public.dblink_exec()"),
    ("public.dblink_exec('x', 'DROP TABLE public.canary')", "default", "public.dblink_exec()"),
    ("set_config('session_replication_role', 'replica', false)", "default", "set_config()"),
    ("pg_terminate_backend(1)", "policy", "pg_terminate_backend()"),
    ("pg_advisory_lock(1) IS NULL", "check", "pg_advisory_lock()"),
    ("length(pg_read_file('/etc/passwd')) > 0", "policy", "pg_read_file()"),
    ("query_to_xml('SELECT 1', true, false, '') IS NOT NULL", "policy", "query_to_xml()"),
    ("txid_current() > 0", "default", "txid_current()"),
    ("random() > 0.5", "check", "random()"),
    ("now() > '2020-01-01'", "check", "now()"),
    ("lower(c) = 'x'", "index", None),
    ("CURRENT_DATE", "generated", "CURRENT DATE"),
    ("CURRENT_DATE", "default", None),
    ("now()", "default", None),
    ("gen_random_uuid()", "default", None),
    ("clock_timestamp()", "default", None),
    ("random()", "policy", "random()"),
    ("nextval('public.t_id_seq'::regclass)", "default", None),
    ("nextval(current_setting('x'))", "default", "nextval()"),
    ("my_helper(c)", "check", "my_helper()"),
    ("evil.f(c)", "policy", "evil.f()"),
    ("auth.uid() = user_id", "policy", None),
    ("auth.uid() = user_id", "check", "auth.uid()"),
    ("c OPERATOR(evil.===) 1", "check", "operator evil.==="),
    ("c === 1", "check", "operator ==="),
    ("tenant_id IN (SELECT id FROM public.t FOR UPDATE)", "policy", "FOR UPDATE/SHARE"),
    ("current_setting('app.tenant')::uuid = tenant_id", "policy", None),
])
def test_function_policy(text, context, called):
    problem = judge_text(text, context, {QualifiedName("auth", "uid"), QualifiedName("public", "dblink_exec")})
    if called is None:
        assert problem is None, problem
    else:
        assert problem is not None and problem.function == called, problem


def test_every_context_is_known():
    assert set(CONTEXTS) == {"check", "generated", "index", "default", "policy"}
    with pytest.raises(ValueError):
        judge_text("1", "trigger")


ROOT_SPEC = "version: 1\nschema: public\nexternal:\n  functions: [public.dblink_exec]\n"


@pytest.mark.parametrize("column, line_text", [
    ("  score: {type: integer, check: \"public.dblink_exec('x', 'DROP TABLE public.canary') IS NULL OR score IS NULL\"}",
     "public.dblink_exec()"),
    ("  score: {type: integer, check: \"lo_unlink(4243) = 1 OR score IS NULL\"}", "lo_unlink()"),
    ("  score: {type: bigint, default: \"setval('s1', 1)\"}", "setval()"),
    ("  score: {type: text, default: \"set_config('standard_conforming_strings', 'off', false)\"}", "set_config()"),
])
def test_loader_refuses_with_file_and_line(tmp_path: Path, column, line_text):
    spec = write_spec(tmp_path, {"schemadiff.yaml": ROOT_SPEC,
                                 "tables/t.yaml": "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"
                                                  + column + "\n"})
    for command in (("validate",), ("sql",), ("check", "--base", str(tmp_path / "base"))):
        (tmp_path / "base").mkdir(exist_ok=True)
        r = run_cli(command[0], str(spec), *command[1:])
        assert r.code == 1, (command, r)
        assert "tables/t.yaml:4:" in r.err and line_text in r.err, r.err
