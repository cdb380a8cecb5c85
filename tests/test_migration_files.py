"""Migration files (docs/migrations.md): the next name in each convention, the
files and where they go, the refusals; and on the real test server, for every
example and for every change type a rollback knows: the migration applies the
way a runner would (psql, stop at the first error), its validation passes, the
rollback undoes it exactly (pg_dump before == after) and validation then fails.
"""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from schemadiff import changes as c
from schemadiff.compile import ddl
from schemadiff.compile.changes import CONCURRENT, TRANSACTIONAL
from schemadiff.compile.rollback import NEVER_PLANNED, undo_steps
from schemadiff.compile.validation import validation_checks
from schemadiff.introspect import introspect
from schemadiff.introspect.connect import connect
from schemadiff.migration_files import (
    CONVENTIONS,
    MigrationFileError,
    normalize_name,
    write_migration,
)
from schemadiff.model import (
    CheckConstraint,
    Column,
    EnumType,
    Index,
    IndexElement,
    Policy,
    PolicyCommand,
    PrimaryKey,
    QualifiedName,
    Schema,
    Table,
)
from schemadiff.plan import Plan, Step, build_plan
from schemadiff.planning import managed_schemas, plan_with_connection
from schemadiff.rules import Finding, Verdict
from schemadiff.spec import load_spec

from .conftest import EXAMPLES, write_spec
from .test_apply import schema_dump

NAMES = sorted(p.parent.parent.name for p in EXAMPLES.glob("*/schema/schemadiff.yaml"))
NOW = datetime(2025, 11, 10, 12, 30, 45, tzinfo=UTC)

# ----------------------------------------------------------------------------- plans without a database

T = Table("public", "t", (Column("id", "integer", nullable=False),), primary_key=PrimaryKey("t_pkey", ("id",)))
NEW_TABLE = build_plan(Schema(), Schema(tables=(T,)))
WITH_INDEX = build_plan(Schema(tables=(T,)), Schema(tables=(dataclasses.replace(
    T, indexes=(Index("t_id_idx", (IndexElement(column="id"),)),)),)))
REFUSED = build_plan(Schema(tables=(T,)), Schema(tables=(dataclasses.replace(T, columns=(Column("id", "text"),)),)))
NOTHING = build_plan(Schema(tables=(T,)), Schema(tables=(T,)))


def files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def statements(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("--")]


def touch(root: Path, *names: str) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("-- an existing migration\n")
    return root


def test_the_plans_used_here_are_what_they_claim():
    assert NEW_TABLE.steps and not NEW_TABLE.refused
    assert {s.phase for s in WITH_INDEX.steps} == {CONCURRENT}
    assert REFUSED.refused and not REFUSED.steps
    assert not NOTHING.steps and not NOTHING.refused


# ----------------------------------------------------------------------------- numbered

def test_after_115_comes_116(tmp_path):
    touch(tmp_path, "001_init.sql", "115_customer_notes.sql", "README.md")
    w = write_migration(NEW_TABLE, tmp_path, "customer_care_state", now=NOW)
    assert (w.convention, w.version, w.name) == ("number", "116", "customer_care_state")
    assert w.migration == tmp_path / "116_customer_care_state.sql"
    assert w.rollback == tmp_path / "rollback" / "116_customer_care_state.sql"
    assert w.validation == tmp_path / "validation" / "116_customer_care_state.sql"
    assert files(tmp_path) == ["001_init.sql", "115_customer_notes.sql", "116_customer_care_state.sql", "README.md",
                               "rollback", "rollback/116_customer_care_state.sql",
                               "validation", "validation/116_customer_care_state.sql"]


@pytest.mark.parametrize("existing, expected", [
    (["009_a.sql"], "010_next.sql"),
    (["001_a.sql", "002_b.sql", "007_c.sql"], "008_next.sql"),  # a gap: max + 1
    (["0099_a.sql", "0100_b.sql"], "0101_next.sql"),
    (["999_a.sql"], "1000_next.sql"),
    (["1_a.sql", "2_b.sql", "10_c.sql"], "11_next.sql"),  # not padded: not padded
    (["115_x.sql", "115_x_smoke_test.sql"], "116_next.sql"),  # seed 001's smoke test beside its migration
])
def test_numbers_keep_their_width(tmp_path, existing, expected):
    touch(tmp_path, *existing)
    w = write_migration(NEW_TABLE, tmp_path, "next", now=NOW)
    assert w.migration.name == expected


# ----------------------------------------------------------------------------- timestamps

@pytest.mark.parametrize("existing, now, expected", [
    ("202501011200_a.sql", NOW, "202511101230"),
    ("202511101230_a.sql", NOW, "202511101231"),  # same minute: one later
    ("203001010000_a.sql", NOW, "203001010001"),  # the newest is ahead of the clock: still after it
    ("20250101120000_a.sql", NOW, "20251110123045"),
    ("20251110123045_a.sql", NOW, "20251110123046"),
    ("20301231235959_a.sql", NOW, "20310101000000"),
])
def test_timestamps_strictly_increase(tmp_path, existing, now, expected):
    touch(tmp_path, existing)
    w = write_migration(NEW_TABLE, tmp_path, "next", now=now)
    assert w.version == expected
    assert w.convention == ("timestamp12" if len(expected) == 12 else "timestamp14")
    assert w.migration.name == f"{expected}_next.sql"
    assert max(p.name for p in tmp_path.glob("*.sql")) == w.migration.name


def test_a_timestamp_is_utc(tmp_path):
    touch(tmp_path, "202501011200_a.sql")
    paris = timezone(timedelta(hours=1))
    w = write_migration(NEW_TABLE, tmp_path, "next", now=datetime(2025, 11, 10, 13, 30, tzinfo=paris))
    assert w.version == "202511101230"


# ----------------------------------------------------------------------------- Prisma

def test_prisma_keeps_seed_002s_eight_digits_and_layout(tmp_path):
    root = tmp_path / "prisma" / "migrations"
    touch(root, "20251110_add_memory_entities/migration.sql", "20251110_add_memory_entities/rollback.sql",
          "migration_lock.toml")
    w = write_migration(NEW_TABLE, root, "Add Jobs", now=NOW)
    assert (w.convention, w.version, w.name) == ("prisma", "20251111", "add_jobs")  # strictly after 20251110
    folder = root / "20251111_add_jobs"
    assert w.paths == (folder / "migration.sql", folder / "rollback.sql", folder / "validation.sql")
    assert sorted(p.name for p in folder.iterdir()) == ["migration.sql", "rollback.sql", "validation.sql"]
    assert "-- Validation (read-only, fails when something is missing): validation.sql" in w.migration.read_text()


def test_prisma_default_is_fourteen_digits(tmp_path):
    root = touch(tmp_path / "db", "20240101000000_init/migration.sql")
    w = write_migration(NEW_TABLE, root, "next", now=NOW)
    assert (w.convention, w.migration.parent.name) == ("prisma", "20251110123045_next")


def test_empty_prisma_migrations_directory(tmp_path):
    w = write_migration(NEW_TABLE, tmp_path / "prisma" / "migrations", "init", now=NOW)
    assert w.convention == "prisma"
    assert w.migration == tmp_path / "prisma" / "migrations" / "20251110123045_init" / "migration.sql"


# ----------------------------------------------------------------------------- Supabase

def test_empty_supabase_migrations_directory(tmp_path):
    root = tmp_path / "supabase" / "migrations"
    root.mkdir(parents=True)
    w = write_migration(NEW_TABLE, root, "engagement system", now=NOW)
    assert w.convention == "supabase"
    assert w.migration == root / "20251110123045_engagement_system.sql"
    assert w.rollback == root / "rollback" / "20251110123045_engagement_system.sql"


def test_supabase_directory_with_migrations(tmp_path):
    root = touch(tmp_path / "supabase" / "migrations", "20240101000000_init.sql")
    assert write_migration(NEW_TABLE, root, "x", now=NOW).convention == "supabase"
    elsewhere = touch(tmp_path / "db", "20240101000000_init.sql")
    assert write_migration(NEW_TABLE, elsewhere, "x", now=NOW).convention == "timestamp14"


def test_numbered_files_in_supabase_migrations_stay_numbered(tmp_path):
    """Supabase's CLI takes any `<digits>_name.sql` (seed 001 applies `116_…` with it)."""
    root = touch(tmp_path / "supabase" / "migrations", "115_x.sql")
    w = write_migration(NEW_TABLE, root, "customer_care_state", now=NOW)
    assert (w.convention, w.migration.name) == ("number", "116_customer_care_state.sql")


# ----------------------------------------------------------------------------- golang-migrate

def test_golang_migrate_up_and_down(tmp_path):
    touch(tmp_path, "000001_init.up.sql", "000001_init.down.sql", "000002_users.up.sql", "000002_users.down.sql")
    w = write_migration(NEW_TABLE, tmp_path, "next", now=NOW)
    assert (w.convention, w.version) == ("golang-migrate", "000003")
    assert w.migration == tmp_path / "000003_next.up.sql"
    assert w.rollback == tmp_path / "000003_next.down.sql"
    assert w.validation == tmp_path / "validation" / "000003_next.sql"
    assert w.rollback.read_text().startswith("-- DESTRUCTIVE ROLLBACK")


def test_golang_migrate_with_timestamps(tmp_path):
    touch(tmp_path, "20240101000000_init.up.sql", "20240101000000_init.down.sql")
    w = write_migration(NEW_TABLE, tmp_path, "next", now=NOW)
    assert w.migration.name == "20251110123045_next.up.sql"


# ----------------------------------------------------------------------------- empty, absent, forced

def test_an_empty_or_absent_directory_starts_at_001(tmp_path):
    (tmp_path / "empty").mkdir()
    assert write_migration(NEW_TABLE, tmp_path / "empty", "init", now=NOW).migration.name == "001_init.sql"
    w = write_migration(NEW_TABLE, tmp_path / "backend" / "migrations", "init", now=NOW)
    assert w.migration == tmp_path / "backend" / "migrations" / "001_init.sql"


@pytest.mark.parametrize("convention, expected", [
    ("number", "001_x.sql"), ("timestamp8", "20251110_x.sql"), ("timestamp12", "202511101230_x.sql"),
    ("timestamp14", "20251110123045_x.sql"), ("supabase", "20251110123045_x.sql"),
    ("prisma", "20251110123045_x/migration.sql"), ("golang-migrate", "000001_x.up.sql"),
])
def test_forced_convention_in_an_empty_directory(tmp_path, convention, expected):
    w = write_migration(NEW_TABLE, tmp_path, "x", convention=convention, now=NOW)
    assert w.convention == convention
    assert w.migration.relative_to(tmp_path).as_posix() == expected


def test_all_conventions_are_covered_above():
    assert set(CONVENTIONS) == {"number", "timestamp8", "timestamp12", "timestamp14", "supabase", "prisma",
                                "golang-migrate"}


def test_forcing_picks_one_convention_of_a_mixed_directory(tmp_path):
    touch(tmp_path, "001_a.sql", "002_b.sql", "20240101000000_c.sql")
    with pytest.raises(MigrationFileError, match="mixes numbered and timestamped"):
        write_migration(NEW_TABLE, tmp_path, "x", now=NOW)
    assert write_migration(NEW_TABLE, tmp_path, "x", convention="number", now=NOW).migration.name == "003_x.sql"
    w = write_migration(NEW_TABLE, tmp_path, "y", convention="timestamp14", now=NOW)
    assert w.migration.name == "20251110123045_y.sql"


def test_forcing_a_convention_the_directory_does_not_follow_is_refused(tmp_path):
    touch(tmp_path, "20240101000000_a.sql")
    with pytest.raises(MigrationFileError, match="would not sort after them"):
        write_migration(NEW_TABLE, tmp_path, "x", convention="number", now=NOW)
    with pytest.raises(MigrationFileError, match="another convention"):
        write_migration(NEW_TABLE, tmp_path, "x", convention="prisma", now=NOW)
    with pytest.raises(MigrationFileError, match="unknown convention 'flyway'"):
        write_migration(NEW_TABLE, tmp_path, "x", convention="flyway", now=NOW)
    assert files(tmp_path) == ["20240101000000_a.sql"]


# ----------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("existing, message", [
    (["001_a.sql", "202501011200_b.sql"], "mixes numbered and timestamped"),
    (["202501011200_a.sql", "20250101120000_b.sql"], "mixes numbered and timestamped"),
    (["001_a.sql", "20240101000000_b/migration.sql"], "mixes migration layouts"),
    (["001_a.up.sql", "001_a.down.sql", "002_b.sql"], "mixes migration layouts"),
    (["01_a.sql", "002_b.sql"], "zero-padded to different widths"),
    (["1_a.sql", "002_b.sql"], "mixes 3-digit numbers with shorter ones"),
    (["init.sql", "users.sql"], "follow no known naming"),
])
def test_a_directory_it_cannot_read_is_refused(tmp_path, existing, message):
    touch(tmp_path, *existing)
    before = files(tmp_path)
    with pytest.raises(MigrationFileError, match=message):
        write_migration(NEW_TABLE, tmp_path, "x", now=NOW)
    assert files(tmp_path) == before


def test_an_existing_target_is_never_overwritten(tmp_path):
    touch(tmp_path, "115_x.sql")
    (tmp_path / "rollback").mkdir()
    (tmp_path / "rollback" / "116_next.sql").write_text("keep me\n")
    with pytest.raises(MigrationFileError, match=r"116_next.sql already exists; schemadiff never overwrites"):
        write_migration(NEW_TABLE, tmp_path, "next", now=NOW)
    assert files(tmp_path) == ["115_x.sql", "rollback", "rollback/116_next.sql"]
    assert (tmp_path / "rollback" / "116_next.sql").read_text() == "keep me\n"


def test_an_existing_prisma_folder_is_never_overwritten(tmp_path):
    root = touch(tmp_path / "prisma" / "migrations", "20240101000000_init/migration.sql")
    (root / "20251110123045_next").mkdir()  # no migration.sql: not a migration, but the target
    with pytest.raises(MigrationFileError, match="20251110123045_next already exists"):
        write_migration(NEW_TABLE, root, "next", now=NOW)
    assert list((root / "20251110123045_next").iterdir()) == []


def test_an_empty_plan_writes_nothing(tmp_path):
    assert write_migration(NOTHING, tmp_path / "migrations", "x", now=NOW) is None
    assert not (tmp_path / "migrations").exists()


def test_a_refused_plan_is_an_error_and_writes_nothing(tmp_path):
    with pytest.raises(MigrationFileError, match="the plan is refused"):
        write_migration(REFUSED, tmp_path / "migrations", "x", now=NOW)
    assert not (tmp_path / "migrations").exists()


@pytest.mark.parametrize("name, slug", [
    ("customer_care_state", "customer_care_state"),
    ("Add Customer-Care  state", "add_customer_care_state"),
    ("  engagement system  ", "engagement_system"),
    ("AddMemoryEntities", "addmemoryentities"),
    ("v2 -- fix", "v2_fix"),
])
def test_names_are_normalized(name, slug):
    assert normalize_name(name) == slug


@pytest.mark.parametrize("name, message", [
    ("", "is empty"), (" - ", "is empty"), ("../etc/passwd", "characters"), ("a/b", "characters"),
    ("x.sql", "characters"), ("café", "characters"), ("a'b", "characters"), ("x" * 101, "longer than 100"),
])
def test_unsafe_names_are_refused(tmp_path, name, message):
    with pytest.raises(MigrationFileError, match=message):
        write_migration(NEW_TABLE, tmp_path, name, now=NOW)
    assert files(tmp_path) == []


@pytest.mark.parametrize("timeout", ["5s'; DROP TABLE t; --", "five", ""])
def test_a_timeout_that_is_not_a_duration_is_refused(tmp_path, timeout):
    with pytest.raises(MigrationFileError, match="is not a duration"):
        write_migration(NEW_TABLE, tmp_path, "x", lock_timeout=timeout, now=NOW)
    with pytest.raises(MigrationFileError, match="is not a duration"):
        write_migration(NEW_TABLE, tmp_path, "x", statement_timeout=timeout, now=NOW)


# ----------------------------------------------------------------------------- contents

def test_headers(tmp_path):
    w = write_migration(NEW_TABLE, tmp_path / "a", "x", now=NOW, source="db/schema\nsecond line")
    text = w.migration.read_text()
    assert text.startswith("-- Migration 001_x: generated by schemadiff from db/schema second line.\n"
                           "-- Do not edit: change the spec and generate the migration again.\n")
    assert "CONCURRENTLY" not in text and "must NOT wrap" not in text
    assert "\\set" not in text  # no psql meta-commands: runners send the file as it is
    assert "-- Rollback (DESTRUCTIVE, emergencies only): rollback/001_x.sql" in text
    rollback = w.rollback.read_text()
    assert rollback.startswith("-- DESTRUCTIVE ROLLBACK of migration 001_x")
    assert "FOR EMERGENCIES ONLY" in rollback and "ALL DATA IN THE DROPPED TABLES AND COLUMNS IS LOST" in rollback
    assert "DROP TABLE IF EXISTS public.t;" in statements(rollback)
    assert not any("CASCADE" in line for line in statements(rollback))

    w = write_migration(WITH_INDEX, tmp_path / "b", "x", now=NOW)
    text = w.migration.read_text()
    assert "CREATE INDEX CONCURRENTLY" in text and "the migration runner must NOT wrap this file" in text
    assert "DROP INDEX CONCURRENTLY IF EXISTS public.t_id_idx;" in w.rollback.read_text()
    assert "do not\n-- wrap this file in one transaction" in w.rollback.read_text()


def test_every_change_type_has_a_rollback_and_a_validation_or_is_never_planned():
    from schemadiff.compile import rollback, validation
    kinds = {k for _, k in inspect.getmembers(c, inspect.isclass) if issubclass(k, c.Change) and k is not c.Change}
    handled = set(rollback._UNDO)
    assert handled == set(validation._CHECKS)
    assert handled | NEVER_PLANNED == kinds and not handled & NEVER_PLANNED


def test_a_step_of_an_unknown_kind_fails_loudly(tmp_path):
    drop = c.DropTable(T)
    plan = Plan(changes=[drop], findings={0: [Finding("SD000", "t", Verdict.ADD, "t", drop)]},
                steps=[Step(TRANSACTIONAL, "DROP TABLE public.t", drop, ())])
    with pytest.raises(MigrationFileError, match="no rollback for DropTable"):
        write_migration(plan, tmp_path, "x", now=NOW)
    assert files(tmp_path) == []


def test_the_validation_dollar_quote_is_never_in_the_body(tmp_path):
    t = dataclasses.replace(T, comment="a $schemadiff$ in a comment")
    w = write_migration(build_plan(Schema(), Schema(tables=(t,))), tmp_path, "x", now=NOW)
    text = w.validation.read_text()
    assert "DO $schemadiff_$" in text and text.count("$schemadiff_$") == 2


# ----------------------------------------------------------------------------- on the real server

def dump(pg, db: str) -> str:
    return schema_dump(pg, db)


def model(pg, db: str, desired: Schema) -> Schema:
    with connect(pg.dsn(db)) as conn:
        return introspect(conn, managed_schemas(desired), missing_ok=True).schema


def run(pg, db: str, path: Path):
    return pg.run_psql(db, file=path)


def roundtrip(pg, db: str, plan: Plan, desired: Schema, directory: Path, *, reverts: bool = True):
    """Apply, validate, roll back, validate again; return the Written."""
    before_dump, before_model = dump(pg, db), model(pg, db, desired)
    w = write_migration(plan, directory, "next", now=NOW, source="tests")
    applied = run(pg, db, w.migration)
    assert applied.returncode == 0, applied.stderr
    valid = run(pg, db, w.validation)
    assert valid.returncode == 0, valid.stderr
    assert f"schemadiff validation of {w.migration.name.split('.')[0]} passed" in valid.stderr
    after = dump(pg, db)
    assert after != before_dump
    assert not any("CASCADE" in line for line in statements(w.rollback.read_text()))
    rolled = run(pg, db, w.rollback)
    assert rolled.returncode == 0, rolled.stderr
    if reverts:
        assert dump(pg, db) == before_dump
        assert model(pg, db, desired) == before_model
        invalid = run(pg, db, w.validation)
        assert invalid.returncode != 0
        assert "schemadiff validation of" in invalid.stderr and "failed" in invalid.stderr, invalid.stderr
    return w


@pytest.mark.parametrize("name", NAMES)
def test_example_migration_validates_and_rolls_back_exactly(name, pg, db, tmp_path):
    assert run(pg, db, EXAMPLES / name / "existing.sql").returncode == 0
    desired = load_spec(EXAMPLES / name / "schema").schema
    with connect(pg.dsn(db)) as conn:
        plan = plan_with_connection(desired, conn).plan
    touch(tmp_path, "115_x.sql")
    w = roundtrip(pg, db, plan, desired, tmp_path)
    assert w.migration.name == "116_next.sql"
    # the rollback really is the way back: the same migration applies again and validates
    assert run(pg, db, w.migration).returncode == 0
    assert run(pg, db, w.validation).returncode == 0


def test_validation_names_what_is_missing(pg, db, tmp_path):
    assert run(pg, db, EXAMPLES / "memory_entities" / "existing.sql").returncode == 0
    desired = load_spec(EXAMPLES / "memory_entities" / "schema").schema
    with connect(pg.dsn(db)) as conn:
        plan = plan_with_connection(desired, conn).plan
    w = write_migration(plan, tmp_path, "next", now=NOW)
    assert run(pg, db, w.migration).returncode == 0
    assert run(pg, db, w.validation).returncode == 0
    # a failed concurrent build leaves an INVALID index: validation must say so
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        conn.execute('UPDATE pg_index SET indisvalid = false WHERE indexrelid = \'public."Lead_customer_id_idx"\''
                     "::regclass")
        conn.execute('COMMENT ON TABLE public."Message" IS \'changed\'')
    result = run(pg, db, w.validation)
    assert result.returncode != 0
    assert "failed: 2 of" in result.stderr
    assert "index public.Lead_customer_id_idx on public.Lead (valid)" in result.stderr
    assert "comment on table public.Message" in result.stderr


EXISTING = """
CREATE TYPE public.mood AS ENUM ('happy', 'sad');
CREATE TABLE public.entry (
  id integer PRIMARY KEY,
  title varchar(10),
  state text CONSTRAINT entry_state_check CHECK (state IN ('new', 'done')),
  feeling public.mood
);
COMMENT ON TABLE public.entry IS 'Before.';
"""

ROOT = """version: 1
schemas: [billing]
extensions: [citext]
enums:
  mood: [happy, sad]
external:
  types: [public.citext]
"""

ENTRY = """table: entry
comment: After.
columns:
  id: {type: integer, primary_key: true}
  title: varchar(10)
  state: {type: text, check: "state IN ('new', 'done')"}
  feeling: mood
  code: {type: text, unique: true, comment: A public code.}
  score: {type: integer, check: "score >= 0"}
  owner_id: {type: integer, references: billing.account(id)}
indexes:
  entry_title_idx: {columns: [title], comment: By title.}
  entry_owner_idx: [owner_id]
"""

ACCOUNT = """table: account
schema: billing
comment: Billing accounts.
columns:
  id: {type: integer, primary_key: true}
  email: {type: citext, nullable: false, comment: Login.}
  buddy_id: {type: integer, references: billing.account(id)}
unique:
  - [email]
indexes:
  account_buddy_idx: [buddy_id]
rls:
  enabled: true
  policies:
    own: {using: "id > 0"}
"""


def test_every_reversible_kind_on_existing_and_new_objects(pg, db, tmp_path):
    """New schema, extension and table (self reference, citext column, RLS, policy,
    comments), and on an existing table: columns with a comment, a UNIQUE built
    concurrently, a CHECK and a FOREIGN KEY validated later, indexes (one with a
    comment), a changed table comment. All of it goes, nothing else moves."""
    assert pg.run_psql(db, sql=EXISTING).returncode == 0
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/entry.yaml": ENTRY,
                                          "tables/account.yaml": ACCOUNT})
    desired = load_spec(spec).schema
    with connect(pg.dsn(db)) as conn:
        plan = plan_with_connection(desired, conn).plan
    kinds = {type(s.change) for s in plan.steps}
    assert {c.AddSchema, c.AddExtension, c.AddTable, c.AddColumn, c.AddUnique, c.AddCheck, c.AddForeignKey,
            c.AddIndex, c.SetComment} <= kinds, (kinds, plan.refused)
    # (a concurrent phase: a supabase directory would need --allow-split, test_migration_split.py)
    w = roundtrip(pg, db, plan, desired, tmp_path / "migrations")
    assert w.convention == "number"
    rollback = w.rollback.read_text()
    assert "COMMENT ON TABLE public.entry IS 'Before.';" in rollback
    assert rollback.index("DROP CONSTRAINT IF EXISTS entry_code_key") < rollback.index(
        "DROP INDEX CONCURRENTLY IF EXISTS public.entry_code_key")
    assert rollback.index("DROP TABLE IF EXISTS billing.account") < rollback.index("DROP EXTENSION IF EXISTS citext")
    assert rollback.index("DROP EXTENSION IF EXISTS citext") < rollback.index("DROP SCHEMA IF EXISTS billing")


def test_what_cannot_be_undone_is_said_and_left(pg, db, tmp_path):
    """An added enum value and widenings stay: the rollback says why, and runs nothing for them."""
    assert pg.run_psql(db, sql=EXISTING).returncode == 0
    root = ROOT.replace("mood: [happy, sad]", "mood: [happy, meh, sad]").replace("schemas: [billing]\n", "")
    root = root.replace("extensions: [citext]\n", "")
    entry = ("table: entry\ncomment: Before.\ncolumns:\n  id: {type: integer, primary_key: true}\n"
             "  title: varchar(20)\n  state: {type: text, check: \"state IN ('new', 'done', 'gone')\"}\n"
             "  feeling: mood\n")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": root, "tables/entry.yaml": entry})
    desired = load_spec(spec).schema
    with connect(pg.dsn(db)) as conn:
        plan = plan_with_connection(desired, conn).plan
    assert {type(s.change) for s in plan.steps} == {c.AddEnumValue, c.AlterColumnType, c.ReplaceCheck}, plan.refused
    w = roundtrip(pg, db, plan, desired, tmp_path / "m", reverts=False)
    rollback = w.rollback.read_text()
    assert "-- NOT UNDONE (cannot be undone safely):" in rollback
    assert "add enum value 'meh'" in rollback and "cannot drop a value from an enum type" in rollback
    assert "character varying(10) -> character varying(20): not undone: left widened" in rollback
    assert "-- Nothing to drop." in rollback
    assert statements(rollback) == []
    assert run(pg, db, w.validation).returncode == 0  # nothing was undone, so all of it is still there


def test_rls_policy_default_and_primary_key_on_an_existing_table(pg, db, tmp_path):
    """Changes the rules refuse today (they change who reads what, or what writers store)
    but a rollback must still know, should a policy ever allow them: a plan made by hand."""
    assert pg.run_psql(db, sql="CREATE TABLE public.note (id integer NOT NULL, body text);"
                               "COMMENT ON COLUMN public.note.body IS 'Old.';").returncode == 0
    q = QualifiedName("public", "note")
    t = Table("public", "note", ())
    policy = Policy("readers", PolicyCommand.SELECT, using="true")
    steps = [
        (c.AddPrimaryKey(q, PrimaryKey("note_pkey", ("id",))),
         "ALTER TABLE public.note ADD CONSTRAINT note_pkey PRIMARY KEY (id)"),
        (c.EnableRls(q), ddl.enable_rls(t).sql),
        (c.ForceRls(q, True), ddl.force_rls(t).sql),
        (c.AddPolicy(q, policy), ddl.create_policy(t, policy).sql),
        (c.SetDefault(q, "body", "'empty'"), "ALTER TABLE public.note ALTER COLUMN body SET DEFAULT 'empty'"),
        (c.SetComment("column", q, "body", "Old.", "New."), "COMMENT ON COLUMN public.note.body IS 'New.'"),
    ]
    changes = [ch for ch, _ in steps]
    plan = Plan(changes=changes, findings={i: [Finding("TEST", "by-hand", Verdict.ADD, "test", ch)]
                                           for i, ch in enumerate(changes)},
                steps=[Step(TRANSACTIONAL, sql, ch, ()) for ch, sql in steps])
    desired = Schema(tables=(t,))
    w = roundtrip(pg, db, plan, desired, tmp_path / "m")
    rollback = w.rollback.read_text()
    for expected in ("ALTER TABLE public.note DROP CONSTRAINT IF EXISTS note_pkey;",
                     "ALTER TABLE public.note DISABLE ROW LEVEL SECURITY;",
                     "ALTER TABLE public.note NO FORCE ROW LEVEL SECURITY;",
                     "DROP POLICY IF EXISTS readers ON public.note;",
                     "ALTER TABLE public.note ALTER COLUMN body DROP DEFAULT;",
                     "COMMENT ON COLUMN public.note.body IS 'Old.';"):
        assert expected in rollback


def test_undo_and_checks_follow_the_plan():
    """Reverse order: a table created later is dropped earlier; checks in plan order."""
    a = Table("public", "a", (Column("id", "integer", nullable=False),), primary_key=PrimaryKey("a_pkey", ("id",)))
    b = Table("public", "b", (Column("a_id", "integer"),),
              checks=(CheckConstraint("b_a_id_check", "a_id > 0"),))
    e = EnumType("public", "e", ("x",))
    plan = build_plan(Schema(), Schema(enums=(e,), tables=(a, b)))
    sqls = [u.sql for u in undo_steps(plan)]
    assert sqls == ["DROP TABLE IF EXISTS public.b", "DROP TABLE IF EXISTS public.a", "DROP TYPE IF EXISTS public.e"]
    labels = [what for what, _ in validation_checks(plan)]
    assert labels[0] == "enum public.e (x)" and "constraint b_a_id_check on public.b (validated)" in labels


# -- through the command: plan --write-migration ----------------------------------

def test_plan_write_migration_command(pg, db, tmp_path):
    from .conftest import run_cli

    assert run(pg, db, EXAMPLES / "customer_care" / "prerequisites.sql").returncode == 0
    migrations = touch(tmp_path / "migrations", "115_previous.sql")
    spec = str(EXAMPLES / "customer_care" / "schema")
    r = run_cli("plan", spec, "--db", pg.dsn(db), "--write-migration", str(migrations))
    assert r.code == 1 and "--write-migration needs --name" in r.err
    r = run_cli("plan", spec, "--db", pg.dsn(db), "--write-migration", str(migrations),
                "--name", "customer care state")
    assert r.code == 0, r
    assert "wrote the migration (number convention)" in r.err
    written = ["115_previous.sql", "116_customer_care_state.sql", "rollback", "rollback/116_customer_care_state.sql",
               "validation", "validation/116_customer_care_state.sql"]
    assert files(migrations) == written
    assert run(pg, db, migrations / "116_customer_care_state.sql").returncode == 0
    assert run(pg, db, migrations / "validation" / "116_customer_care_state.sql").returncode == 0
    # the database matches now: an empty plan writes nothing
    r = run_cli("plan", spec, "--db", pg.dsn(db), "--write-migration", str(migrations), "--name", "again")
    assert r.code == 0 and "no migration written" in r.err, r
    assert files(migrations) == written
    # a refused plan writes nothing either
    changed = tmp_path / "spec"
    import shutil
    shutil.copytree(spec, changed)
    text = (changed / "tables" / "customer_care_state.yaml").read_text(encoding="utf-8")
    (changed / "tables" / "customer_care_state.yaml").write_text(
        text.replace("  last_signal_at:    timestamptz\n", "  last_signal_at:    date\n"), encoding="utf-8")
    r = run_cli("plan", str(changed), "--db", pg.dsn(db), "--write-migration", str(migrations), "--name", "x")
    assert r.code == 3 and "SD304" in r.out and "no migration was written" in r.err, r
    assert files(migrations) == written
