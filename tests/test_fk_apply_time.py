"""What PostgreSQL would reject is found before apply (issue 16, item 2): foreign
keys whose column types no btree equality operator compares, in the spec and
against the live catalog; and when apply does fail, the server's message, DETAIL
and HINT, with a retry advised only when one can succeed."""

from __future__ import annotations

import itertools
import re

import psycopg
import pytest

from schemadiff.apply_errors import advice, is_transient, server_message
from schemadiff.fkcheck import comparable

from .conftest import run_cli, write_spec

ROOT = "version: 1\nenums:\n  mood: [a, b]\n"
CUSTOMERS = ("table: customers\ncolumns:\n  id: {type: bigint, primary_key: true}\n"
             "  code: {type: varchar(10), unique: true}\n  m: {type: mood, unique: true}\n")


def test_a_uuid_referencing_a_bigint_key_is_a_load_error_naming_both_columns(tmp_path):
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": ROOT, "tables/customers.yaml": CUSTOMERS,
        "tables/orders.yaml": "table: orders\ncolumns:\n  id: {type: bigint, primary_key: true}\n"
                              "  customer_id: {type: uuid, nullable: false, references: customers(id)}\n"
                              "  n: {type: integer, references: customers(id)}\n"
                              "  code: {type: text, references: customers(code)}\n"
                              "  m: {type: text, references: customers(m)}\n"
                              "  m2: {type: mood, references: customers(m)}\n"})
    for command in ("validate", "plan"):
        result = run_cli(command, str(spec)) if command == "validate" else run_cli("sql", str(spec))
        assert result.code == 1, result
        lines = [line for line in result.err.splitlines() if ": error: " in line]
        assert len(lines) == 2, result.err  # integer -> bigint, text -> varchar and mood -> mood are fine
        assert "orders.yaml:4:" in lines[0]
        assert "orders.customer_id (uuid) cannot reference public.customers.id (bigint)" in lines[0]
        assert "orders.yaml:7:" in lines[1] and "orders.m (text) cannot reference public.customers.m (public.mood)" \
            in lines[1]


TYPES = ["smallint", "integer", "bigint", "numeric", "numeric(10,2)", "real", "double precision", "text",
         "character varying(20)", "character(3)", "name", "uuid", "boolean", "date", "timestamp without time zone",
         "timestamp with time zone", "time without time zone", "interval", "bytea", "jsonb", "inet", "cidr",
         "bit(3)", "bit varying", "money", "integer[]", "bigint[]", "text[]", "public.mood"]


def test_the_rule_set_agrees_with_the_server_on_every_pair(pg, db):
    """Each (referencing, referenced) pair: the server's verdict on ADD FOREIGN KEY
    is the rule set's wherever the rule set decides."""
    decided = disagreements = 0
    wrong = []
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute("CREATE TYPE public.mood AS ENUM ('a', 'b')")
        for i, pk in enumerate(TYPES):
            conn.execute(f"CREATE TABLE public.pk{i} (k {pk} PRIMARY KEY)")
        for (i, pk), (j, fk) in itertools.product(enumerate(TYPES), enumerate(TYPES)):
            verdict = comparable(fk, pk, {"public.mood"})
            assert verdict is not None, (fk, pk)  # every built-in here is judged
            try:
                with conn.transaction():
                    conn.execute(f"CREATE TABLE public.fk_{i}_{j} (r {fk} REFERENCES public.pk{i} (k))")
                    raise psycopg.Rollback()
                server = True
            except psycopg.errors.DatatypeMismatch:
                server = False
            decided += 1
            if server != verdict:
                wrong.append((fk, pk, server))
    assert decided == len(TYPES) ** 2
    assert wrong == [], f"{len(wrong)} of {decided} pairs disagree: {wrong[:10]}"


def _live(pg, db, tmp_path, ddl: str, column: str, reference: str):
    assert pg.run_psql(db, sql=ddl).returncode == 0
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": "version: 1\nexternal:\n  tables: [public.accounts]\n",
        "tables/orders.yaml": f"table: orders\ncolumns:\n  id: {{type: bigint, primary_key: true}}\n"
                              f"  {column}: {{type: uuid, references: {reference}}}\n"})
    return spec


@pytest.mark.parametrize("ddl,reference,expected", [
    ("CREATE TABLE accounts (id bigint PRIMARY KEY)", "accounts(id)",
     "orders.account_id (uuid) cannot reference public.accounts.id (bigint)"),
    ("CREATE TABLE accounts (id uuid)", "accounts(id)",
     "public.accounts(id) has no primary key or unique constraint in the database"),
    ("CREATE TABLE accounts (id uuid PRIMARY KEY)", "accounts(uid)",
     "references public.accounts(uid), a column public.accounts does not have in the database"),
])
def test_a_foreign_key_to_a_table_only_the_database_has_is_checked_against_the_catalog(
        pg, db, tmp_path, ddl, reference, expected):
    spec = _live(pg, db, tmp_path, ddl, "account_id", reference)
    for command in ("plan", "apply"):
        result = run_cli(command, str(spec), "--db", pg.dsn(db), *(["--yes"] if command == "apply" else []))
        assert result.code == 1, result
        assert expected in result.err
        assert "orders.yaml:4: error: foreign key orders_account_id_fkey" in result.err, result.err
    assert pg.run_psql(db, sql="SELECT 1 FROM public.orders").returncode != 0  # nothing was applied


@pytest.mark.parametrize("ddl", ["CREATE TABLE accounts (id uuid PRIMARY KEY)", "SELECT 1"])
def test_a_matching_external_key_plans_and_a_missing_table_is_not_judged(pg, db, tmp_path, ddl):
    """A throwaway or development database may lack the external table: the plan
    (and the migration file made from it) is still made."""
    spec = _live(pg, db, tmp_path, ddl, "account_id", "accounts(id)")
    result = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert result.code == 0, result


def test_a_failed_apply_prints_the_servers_detail_and_advises_no_retry(pg, db, tmp_path):
    """A domain the rule set does not judge: the server decides at apply, and says why."""
    assert pg.run_psql(db, sql="CREATE DOMAIN public.code AS text; "
                               "CREATE TABLE accounts (id uuid PRIMARY KEY)").returncode == 0
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": "version: 1\nexternal:\n  tables: [public.accounts]\n  types: [public.code]\n",
        "tables/orders.yaml": "table: orders\ncolumns:\n  id: {type: bigint, primary_key: true}\n"
                              "  account: {type: public.code, references: accounts(id)}\n"})
    result = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert result.code == 1, result
    assert 'foreign key constraint "orders_account_fkey" cannot be implemented (SQLSTATE 42804)' in result.err, result.err
    # PostgreSQL 18 and 15 word the DETAIL differently; both name the two columns and types.
    assert re.search(r'\n  DETAIL: Key columns "account" .*"id" .*incompatible types: (public\.)?code and uuid\.',
                     result.err), result.err
    assert "running apply again fails the same way" in result.err
    assert "Run apply again" not in result.err and "run apply again" not in result.err


def test_only_moment_dependent_failures_advise_a_retry(pg, db):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        for sql, transient in [("SELECT 1/0", False), ("CREATE TABLE x (a int REFERENCES nowhere(a))", False),
                               ("SET lock_timeout = '1ms'; SELECT pg_catalog.pg_sleep(0); "
                                "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '55P03', MESSAGE = 'lock'; END $$", True),
                               ("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'ser', "
                                "DETAIL = 'the detail', HINT = 'the hint'; END $$", True)]:
            with pytest.raises(psycopg.Error) as info:
                conn.execute(sql)
            assert is_transient(info.value) is transient, sql
            assert ("run apply again" in advice(info.value)) is transient
        text = server_message(info.value)
        assert text == "ser (SQLSTATE 40001)\n  DETAIL: the detail\n  HINT: the hint"


def test_a_hostile_server_message_is_shown_on_one_line_each(pg, db):
    """A message, DETAIL or HINT can carry data (a row's value, a name from the spec): newlines,
    escape sequences and a forged CI annotation never reach the terminal or the log as such."""
    evil = "x' || chr(10) || '::error file=README.md::forged' || chr(27) || '[31m' || chr(13) || 'y"
    sql = (f"DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '23505', MESSAGE = '{evil}', "
           f"DETAIL = '{evil}', HINT = '{evil}'; END $$")
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as info:
            conn.execute(sql)
    raw = info.value.diag
    assert "\n" in raw.message_primary and "\x1b" in raw.message_detail  # the server did send them
    text = server_message(info.value)
    lines = text.split("\n")
    assert len(lines) == 3 and lines[1].startswith("  DETAIL: ") and lines[2].startswith("  HINT: "), text
    assert "\x1b" not in text and "\r" not in text
    assert not any(line.lstrip().startswith("::error") for line in lines)
    assert is_transient(info.value) is False
