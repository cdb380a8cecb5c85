"""A plan -> migration files in a repository's own migrations directory.

Pure: no argument parsing, no database. The one entry point::

    write_migration(plan, directory, name, *, convention="auto", now=None,
                    lock_timeout="5s", statement_timeout="60s", source="") -> Written | None

- returns ``None`` and writes nothing when the plan has no steps;
- raises ``MigrationFileError`` (its message is for the user, as it is) when the
  plan is refused, the name is not a usable slug, a timeout is not a duration,
  the directory mixes conventions (or holds only ``.sql`` files of an unknown
  one), ``convention`` disagrees with the migrations already there, or a file
  to write already exists (nothing is ever overwritten);
- otherwise writes three files and returns ``Written`` (convention, version,
  slug, and the paths: ``migration``, ``rollback``, ``validation``, ``paths``).

The name is normalized, never guessed: surrounding spaces are stripped, letters
lower-cased, runs of spaces, hyphens and underscores become one ``_``; what is
left must be ASCII letters, digits and ``_`` (at most 100 characters), else the
name is refused ("Add customer-care state" -> ``add_customer_care_state``).

Conventions (``convention=`` forces one; ``"auto"`` detects it, see
docs/migrations.md): ``number`` (``116_name.sql``), ``timestamp8`` /
``timestamp12`` / ``timestamp14`` (``YYYYMMDD[HHMM[SS]]_name.sql``, UTC),
``supabase`` (14-digit ``timestamp14`` in ``supabase/migrations``), ``prisma``
(``<timestamp>_name/migration.sql``) and ``golang-migrate``
(``NNN_name.up.sql`` / ``.down.sql``). Flat conventions get their rollback and
validation scripts in ``rollback/`` and ``validation/`` subdirectories, where
runners that apply every ``*.sql`` of the directory do not look; Prisma gets
them beside ``migration.sql`` (Prisma runs only that file); golang-migrate's
rollback is the ``.down.sql`` file.

The three scripts:
- migration: ``render_sql(plan, …, psql=False)`` under a header;
- rollback: drops exactly what the migration adds, in reverse order, never with
  CASCADE; what cannot be undone safely (an enum value, a widening) is a comment
  saying why; a change type it does not know fails loudly;
- validation: one read-only ``DO`` block that raises when anything the migration
  adds is missing or not valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import changes as c
from .compile import ddl
from .compile.changes import CONCURRENT
from .compile.schema import table_extras
from .identifiers import quote_ident, quote_literal, quote_qualified
from .model import QualifiedName
from .plan import Plan, Step
from .report import render_sql

CONVENTIONS = ("number", "timestamp8", "timestamp12", "timestamp14", "supabase", "prisma", "golang-migrate")
MAX_NAME = 100


class MigrationFileError(Exception):
    """Nothing was written; the message says why."""


@dataclass(frozen=True)
class Written:
    convention: str  # one of CONVENTIONS
    version: str  # the number or timestamp prefix: "116", "20251110120000"
    name: str  # the normalized slug
    migration: Path
    rollback: Path
    validation: Path

    @property
    def paths(self) -> tuple[Path, Path, Path]:
        return (self.migration, self.rollback, self.validation)


# ----------------------------------------------------------------------------- names

_NAME_SEPARATORS = re.compile(r"[\s\-_]+")
_SLUG = re.compile(r"^[a-z0-9_]+$")
_DURATION = re.compile(r"^\d+(\.\d+)?\s*(us|ms|s|min|h|d)?$")


def normalize_name(name: str) -> str:
    slug = _NAME_SEPARATORS.sub("_", name.strip().lower()).strip("_")
    if not slug:
        raise MigrationFileError(f"migration name {name!r} is empty: give a few words, e.g. add_customer_care_state")
    if not _SLUG.match(slug):
        bad = "".join(sorted({ch for ch in slug if not re.match(r"[a-z0-9_]", ch)}))
        raise MigrationFileError(f"migration name {name!r} has characters a file name should not carry ({bad!r}): "
                                 "use letters, digits, spaces, '-' or '_'")
    if len(slug) > MAX_NAME:
        raise MigrationFileError(f"migration name {name!r} is longer than {MAX_NAME} characters")
    return slug


# ----------------------------------------------------------------------------- the directory

_UPDOWN = re.compile(r"^(\d+)_(.+)\.(up|down)\.sql$")
_FLAT = re.compile(r"^(\d+)_(.+)\.sql$")
_FOLDER = re.compile(r"^(\d+)_(.+)$")
_TIME_FORMATS = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
_TIME_STEPS = {8: timedelta(days=1), 12: timedelta(minutes=1), 14: timedelta(seconds=1)}
_FLAT_CONVENTION = {8: "timestamp8", 12: "timestamp12", 14: "timestamp14"}


@dataclass(frozen=True)
class _Entry:
    layout: str  # "flat" | "updown" | "prisma"
    version: str
    name: str  # file or folder name, for messages


@dataclass(frozen=True)
class Numbering:
    """How versions are made: a sequence or a UTC timestamp, in so many digits."""

    kind: str  # "sequence" | "timestamp"
    width: int  # digits; for a sequence, the zero-padded width (1: not padded)


def _parse_time(version: str) -> datetime | None:
    fmt = _TIME_FORMATS.get(len(version))
    if fmt is None:
        return None
    try:
        return datetime.strptime(version, fmt)
    except ValueError:
        return None


def _scan(directory: Path) -> tuple[list[_Entry], list[str]]:
    """(migrations found, ``.sql`` entries that follow no known convention)."""
    if not directory.exists():
        return [], []
    if not directory.is_dir():
        raise MigrationFileError(f"{directory} is not a directory")
    entries, unknown = [], []
    for child in sorted(directory.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            if (child / "migration.sql").is_file():
                m = _FOLDER.match(child.name)
                if m:
                    entries.append(_Entry("prisma", m.group(1), child.name + "/"))
                else:
                    unknown.append(child.name + "/migration.sql")
            continue  # rollback/, validation/ and other folders are not migrations
        if child.suffix != ".sql":
            continue  # README.md, Prisma's migration_lock.toml
        m = _UPDOWN.match(child.name)
        if m:
            entries.append(_Entry("updown", m.group(1), child.name))
        elif _FLAT.match(child.name):
            entries.append(_Entry("flat", _FLAT.match(child.name).group(1), child.name))
        else:
            unknown.append(child.name)
    return entries, unknown


def _numbering(entries: list[_Entry]) -> Numbering:
    versions = [e.version for e in entries]
    timed = [v for v in versions if _parse_time(v) is not None]
    widths = {len(v) for v in versions}
    if timed and len(timed) == len(versions) and len(widths) == 1:
        return Numbering("timestamp", widths.pop())
    if timed and (len(widths) > 1 or any(len(v) in (12, 14) for v in timed)):
        ordered = sorted(entries, key=lambda e: (len(e.version), e.version))
        raise MigrationFileError(f"the directory mixes numbered and timestamped migrations ({ordered[0].name}, "
                                 f"{ordered[-1].name}): cannot tell which convention to follow; pass a convention")
    padded = {len(v) for v in versions if len(v) > 1 and v.startswith("0")}
    if len(padded) > 1:
        raise MigrationFileError(f"the directory's numbers are zero-padded to different widths "
                                 f"({', '.join(str(w) for w in sorted(padded))} digits): cannot tell the width")
    width = padded.pop() if padded else 1
    short = [e.name for e in entries if len(e.version) < width]
    if short:
        raise MigrationFileError(f"the directory mixes {width}-digit numbers with shorter ones ({', '.join(short[:3])}): "
                                 "cannot tell the width")
    return Numbering("sequence", width)


def _flat_convention(numbering: Numbering, supabase_path: bool) -> str:
    if numbering.kind == "sequence":
        return "number"
    if numbering.width == 14 and supabase_path:
        return "supabase"
    return _FLAT_CONVENTION[numbering.width]


def _path_hint(directory: Path) -> str | None:
    tail = tuple(p.lower() for p in directory.absolute().parts[-2:])
    return {("prisma", "migrations"): "prisma", ("supabase", "migrations"): "supabase"}.get(tail)


_DEFAULTS = {  # convention -> (layout, numbering) in an empty directory
    "number": ("flat", Numbering("sequence", 3)),
    "timestamp8": ("flat", Numbering("timestamp", 8)),
    "timestamp12": ("flat", Numbering("timestamp", 12)),
    "timestamp14": ("flat", Numbering("timestamp", 14)),
    "supabase": ("flat", Numbering("timestamp", 14)),
    "prisma": ("prisma", Numbering("timestamp", 14)),
    "golang-migrate": ("updown", Numbering("sequence", 6)),
}
_LAYOUT_CONVENTION = {"prisma": "prisma", "updown": "golang-migrate"}


def _kind(entry: _Entry) -> str:
    """A flat entry's convention by its version alone: timestampN or number."""
    timed = _parse_time(entry.version) is not None
    return _FLAT_CONVENTION[len(entry.version)] if timed else "number"


def _matches(entry: _Entry, convention: str) -> bool:
    layout, _ = _DEFAULTS[convention]
    if entry.layout != layout:
        return False
    return layout != "flat" or _kind(entry) == ("timestamp14" if convention == "supabase" else convention)


def detect(directory: Path, convention: str = "auto") -> tuple[str, str, Numbering, list[str]]:
    """(convention, layout, numbering, existing versions) for the next migration."""
    if convention != "auto" and convention not in CONVENTIONS:
        raise MigrationFileError(f"unknown convention {convention!r}: choose one of auto, {', '.join(CONVENTIONS)}")
    entries, unknown = _scan(directory)
    hint = _path_hint(directory)
    if convention != "auto":
        layout, default = _DEFAULTS[convention]
        mine = [e for e in entries if _matches(e, convention)]
        if entries and not mine:
            raise MigrationFileError(
                f"the directory holds migrations of another convention ({', '.join(e.name for e in entries[:3])}); "
                f"a {convention} migration would not sort after them")
        numbering = _numbering(mine) if mine else default
        return convention, layout, numbering, [e.version for e in mine]
    if not entries:
        if unknown:
            raise MigrationFileError(f"the directory holds .sql files that follow no known naming "
                                     f"({', '.join(unknown[:3])}): cannot tell the convention; pass one")
        convention = hint or "number"
        layout, numbering = _DEFAULTS[convention]
        return convention, layout, numbering, []
    layouts = sorted({e.layout for e in entries})
    if len(layouts) > 1:
        shown = {lay: next(e.name for e in entries if e.layout == lay) for lay in layouts}
        raise MigrationFileError("the directory mixes migration layouts ("
                                 + ", ".join(f"{lay}: {shown[lay]}" for lay in layouts)
                                 + "): cannot tell which convention to follow; pass a convention")
    layout = layouts[0]
    numbering = _numbering(entries)
    name = _LAYOUT_CONVENTION.get(layout) or _flat_convention(numbering, hint == "supabase")
    return name, layout, numbering, [e.version for e in entries]


def next_version(numbering: Numbering, existing: list[str], now: datetime) -> str:
    if numbering.kind == "sequence":
        n = max((int(v) for v in existing), default=0) + 1
        return str(n).zfill(numbering.width)
    fmt, width = _TIME_FORMATS[numbering.width], numbering.width
    candidate = now.strftime(fmt)
    newest = max(existing, default=None, key=int)
    if newest is not None and int(candidate) <= int(newest):
        candidate = (datetime.strptime(newest, fmt) + _TIME_STEPS[width]).strftime(fmt)
    return candidate


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        return now  # naive: taken as UTC
    return now.astimezone(UTC)


# ----------------------------------------------------------------------------- writing

def write_migration(plan: Plan, directory: Path, name: str, *, convention: str = "auto",
                    now: datetime | None = None, lock_timeout: str = "5s", statement_timeout: str = "60s",
                    source: str = "") -> Written | None:
    """See the module docstring."""
    if plan.refused:
        raise MigrationFileError(f"the plan is refused ({len(plan.refused)} change(s)); no migration is written "
                                 "for a plan that may not be applied")
    if not plan.steps:
        return None
    slug = normalize_name(name)
    for label, value in (("lock timeout", lock_timeout), ("statement timeout", statement_timeout)):
        if not _DURATION.match(value):
            raise MigrationFileError(f"{label} {value!r} is not a duration like 5s, 500ms or 2min")
    directory = Path(directory)
    chosen, layout, numbering, existing = detect(directory, convention)
    version = next_version(numbering, existing, _utc(now))
    stem = f"{version}_{slug}"
    if layout == "prisma":
        folder = directory / stem
        migration, rollback, validation = folder / "migration.sql", folder / "rollback.sql", folder / "validation.sql"
    elif layout == "updown":
        migration, rollback = directory / f"{stem}.up.sql", directory / f"{stem}.down.sql"
        validation = directory / "validation" / f"{stem}.sql"
    else:
        migration = directory / f"{stem}.sql"
        rollback, validation = directory / "rollback" / f"{stem}.sql", directory / "validation" / f"{stem}.sql"
    written = Written(chosen, version, slug, migration, rollback, validation)
    taken = [p for p in (*written.paths, *([migration.parent] if layout == "prisma" else [])) if p.exists()]
    if taken:
        raise MigrationFileError(f"{taken[0]} already exists; schemadiff never overwrites a migration")

    src = " ".join(source.split())
    relative = lambda p: p.relative_to(migration.parent).as_posix()
    texts = [
        (migration, migration_sql(plan, stem, src, lock_timeout, statement_timeout,
                                  rollback=relative(rollback), validation=relative(validation))),
        (rollback, rollback_sql(plan, stem, src, lock_timeout, statement_timeout)),
        (validation, validation_sql(plan, stem, src)),
    ]
    created: list[Path] = []
    try:
        for path, text in texts:
            for parent in reversed(path.parents):
                if not parent.exists():
                    parent.mkdir()
                    created.append(parent)
            with open(path, "x", encoding="utf-8", newline="\n") as f:
                created.append(path)
                f.write(text)
    except FileExistsError as exc:
        _remove(created)
        raise MigrationFileError(f"{exc.filename} already exists; schemadiff never overwrites a migration") from None
    except OSError:
        _remove(created)
        raise
    return written


def _remove(created: list[Path]) -> None:
    for path in reversed(created):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink(missing_ok=True)


def _has_concurrent(plan: Plan) -> bool:
    return any(s.phase == CONCURRENT for s in plan.steps)


_NO_WRAP = [
    "It holds its own BEGIN/COMMIT per phase and builds indexes CONCURRENTLY, which PostgreSQL refuses",
    "inside a transaction block: the migration runner must NOT wrap this file in one transaction nor send",
    "it as one multi-statement query. Run it as it is: psql -v ON_ERROR_STOP=1 -f FILE",
]


def _generated(what: str, stem: str, source: str) -> str:
    return f"-- {what} {stem}: generated by schemadiff" + (f" from {source}" if source else "") + "."


def migration_sql(plan: Plan, stem: str, source: str, lock_timeout: str, statement_timeout: str, *,
                  rollback: str, validation: str) -> str:
    head = [_generated("Migration", stem, source),
            "-- Do not edit: change the spec and generate the migration again.",
            f"-- Validation (read-only, fails when something is missing): {validation}",
            f"-- Rollback (DESTRUCTIVE, emergencies only): {rollback}"]
    if _has_concurrent(plan):
        head += [f"-- {line}" for line in _NO_WRAP]
    return "\n".join(head) + "\n--\n" + render_sql(plan, lock_timeout, statement_timeout, psql=False)


# ----------------------------------------------------------------------------- rollback

# Sections of a rollback, in the order they run: constraints added to existing
# tables (one transaction; a UNIQUE constraint owns its index, so it goes before
# the index), indexes on existing tables (DROP INDEX CONCURRENTLY, outside any
# transaction), then everything else (one transaction: columns, tables, types…).
CONSTRAINTS, INDEXES, OBJECTS = "constraints", "indexes", "objects"


@dataclass(frozen=True)
class Undo:
    section: str | None  # None: a note, no statement
    sql: str  # the statement, or the note's text


def _q(name: QualifiedName) -> str:
    return quote_qualified(name.schema, name.name)


def _drop_constraint(table: QualifiedName, name: str, if_table_exists: bool = False) -> str:
    return (f"ALTER TABLE {'IF EXISTS ' if if_table_exists else ''}{_q(table)} "
            f"DROP CONSTRAINT IF EXISTS {quote_ident(name)}")


def _drop_index(table: QualifiedName, name: str) -> str:
    return f"DROP INDEX CONCURRENTLY IF EXISTS {quote_qualified(table.schema, name)}"


def _comment_target(ch: c.SetComment) -> str:
    if ch.kind == "column":
        return f"COLUMN {_q(ch.object)}.{quote_ident(ch.column)}"
    return f"{ch.kind.upper()} {_q(ch.object)}"


def _undo_add_table(ch: c.AddTable, step: Step) -> list[Undo]:
    t = ch.table
    if step.detail is None:
        return [Undo(OBJECTS, f"DROP TABLE IF EXISTS {_q(t.qualified)}")]
    for fk in t.foreign_keys:  # a foreign key added after the tables (a cycle or a later target)
        if step.sql == ddl.add_foreign_key(t, fk).sql:
            return [Undo(OBJECTS, _drop_constraint(t.qualified, fk.name, if_table_exists=True))]
    if step.sql in {stmt.sql for _, _, stmt in table_extras(t)}:
        return []  # its indexes, RLS, policies and comments go with the table
    raise MigrationFileError(f"no rollback for a step of {ch.target()} ({step.detail}): {step.sql[:80]}")


def _not_undone(why: str) -> Callable[[c.Change, Step], list[Undo]]:
    return lambda ch, step: [Undo(None, f"{ch.target()}: {ch.describe()}: not undone: {why}")]


_UNDO: dict[type, Callable[[c.Change, Step], list[Undo]]] = {
    c.AddSchema: lambda ch, s: [Undo(OBJECTS, f"DROP SCHEMA IF EXISTS {quote_ident(ch.name)}")],
    c.AddExtension: lambda ch, s: [Undo(OBJECTS, f"DROP EXTENSION IF EXISTS {quote_ident(ch.extension.name)}")],
    c.AddEnum: lambda ch, s: [Undo(OBJECTS, f"DROP TYPE IF EXISTS {_q(ch.enum.qualified)}")],
    c.AddTable: _undo_add_table,
    c.AddColumn: lambda ch, s: [Undo(OBJECTS, f"ALTER TABLE {_q(ch.table)} DROP COLUMN IF EXISTS "
                                              f"{quote_ident(ch.column.name)}")],
    c.AddCheck: lambda ch, s: [Undo(CONSTRAINTS, _drop_constraint(ch.table, ch.check.name))],
    c.AddForeignKey: lambda ch, s: [Undo(CONSTRAINTS, _drop_constraint(ch.table, ch.foreign_key.name))],
    c.AddPrimaryKey: lambda ch, s: [Undo(CONSTRAINTS, _drop_constraint(ch.table, ch.primary_key.name))],
    c.AddUnique: lambda ch, s: [Undo(CONSTRAINTS, _drop_constraint(ch.table, ch.unique.name)),
                                Undo(INDEXES, _drop_index(ch.table, ch.unique.name))],
    c.AddIndex: lambda ch, s: [Undo(INDEXES, _drop_index(ch.table, ch.index.name))],
    c.EnableRls: lambda ch, s: [Undo(OBJECTS, f"ALTER TABLE {_q(ch.table)} DISABLE ROW LEVEL SECURITY")],
    c.ForceRls: lambda ch, s: [Undo(OBJECTS, f"ALTER TABLE {_q(ch.table)} "
                                             f"{'NO FORCE' if ch.forced else 'FORCE'} ROW LEVEL SECURITY")],
    c.AddPolicy: lambda ch, s: [Undo(OBJECTS, f"DROP POLICY IF EXISTS {quote_ident(ch.policy.name)} "
                                              f"ON {_q(ch.table)}")],
    c.SetDefault: lambda ch, s: [Undo(OBJECTS, f"ALTER TABLE {_q(ch.table)} ALTER COLUMN "
                                               f"{quote_ident(ch.column)} DROP DEFAULT")],
    c.SetComment: lambda ch, s: [Undo(OBJECTS, f"COMMENT ON {_comment_target(ch)} IS "
                                               + ("NULL" if ch.before is None else quote_literal(ch.before)))],
    c.AddEnumValue: _not_undone("PostgreSQL cannot drop a value from an enum type; rows may already hold it"),
    c.AlterColumnType: _not_undone("left widened: values written since may not fit the narrower type, and "
                                   "narrowing rewrites or scans the table under an exclusive lock"),
    c.ReplaceCheck: _not_undone("left widened: rows written since may hold values the narrower check rejects"),
    c.ValidateConstraint: _not_undone("a validated constraint only proved existing rows valid; nothing to undo"),
    c.RebuildInvalidIndex: _not_undone("the index existed before, INVALID; the rebuilt, valid index is kept"),
}

# Change types that never become a step (destructive or breaking: always refused).
NEVER_PLANNED = frozenset({
    c.DropExtension, c.DropEnum, c.RemoveEnumValue, c.ReorderEnumValues, c.DropTable, c.DropColumn,
    c.SetNotNull, c.DropNotNull, c.ChangeDefault, c.AlterColumnKind, c.DropPrimaryKey, c.DropUnique, c.DropCheck,
    c.DropForeignKey, c.ReplaceForeignKey, c.ReplaceUnique, c.DropIndex, c.ReplaceIndex, c.DisableRls,
    c.DropPolicy, c.ReplacePolicy,
})


def undo_steps(plan: Plan) -> list[Undo]:
    """What the rollback does, in the order it does it; notes first."""
    seen: set[tuple[str | None, str]] = set()
    out: list[Undo] = []
    for step in reversed(plan.steps):
        undo = _UNDO.get(type(step.change))
        if undo is None:
            raise MigrationFileError(f"no rollback for {type(step.change).__name__} ({step.change.target()}: "
                                     f"{step.change.describe()}); refusing to write a migration without one")
        for u in undo(step.change, step):
            if (u.section, u.sql) not in seen:
                seen.add((u.section, u.sql))
                out.append(u)
    order = {None: 0, CONSTRAINTS: 1, INDEXES: 2, OBJECTS: 3}
    return sorted(out, key=lambda u: order[u.section])  # stable: reverse plan order within a section


def rollback_sql(plan: Plan, stem: str, source: str, lock_timeout: str, statement_timeout: str) -> str:
    undos = undo_steps(plan)
    notes = [u.sql for u in undos if u.section is None]
    head = [_generated("DESTRUCTIVE ROLLBACK of migration", stem, source),
            "-- FOR EMERGENCIES ONLY. It drops what the migration added, in reverse order:",
            "-- ALL DATA IN THE DROPPED TABLES AND COLUMNS IS LOST.",
            "-- Nothing is dropped with CASCADE: if anything has come to depend on an added object,",
            "-- the rollback stops with an error and that part of the database is left as it is."]
    if any(u.section == INDEXES for u in undos):
        head += ["-- It drops indexes CONCURRENTLY, which PostgreSQL refuses inside a transaction block: do not",
                 "-- wrap this file in one transaction. Run it as it is: psql -v ON_ERROR_STOP=1 -f FILE"]
    if notes:
        head += ["--", "-- NOT UNDONE (cannot be undone safely):"] + [f"--   {n}" for n in notes]
    out = head + [""]
    for section in (CONSTRAINTS, INDEXES, OBJECTS):
        stmts = [u.sql for u in undos if u.section == section]
        if not stmts:
            continue
        if section == INDEXES:
            out += ["-- indexes added to existing tables, one at a time, outside any transaction"]
            for sql in stmts:
                out += [f"SET lock_timeout = '{lock_timeout}';", "SET statement_timeout = 0;", sql + ";", ""]
            out += ["RESET lock_timeout;", "RESET statement_timeout;", ""]
            continue
        title = {CONSTRAINTS: "constraints added to existing tables",
                 OBJECTS: "the rest (columns, tables, types, schemas, extensions, comments restored)"}[section]
        out += [f"-- {title}, in one transaction", "BEGIN;", f"SET LOCAL lock_timeout = '{lock_timeout}';",
                f"SET LOCAL statement_timeout = '{statement_timeout}';"]
        out += [sql + ";" for sql in stmts]
        out += ["COMMIT;", ""]
    if len(out) == len(head) + 1:
        out += ["-- Nothing to drop.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


# ----------------------------------------------------------------------------- validation

def _rel(name: QualifiedName) -> str:
    return f"to_regclass({quote_literal(_q(name))})"


def _exists(sql: str) -> str:
    return f"EXISTS (SELECT 1 FROM {sql})"


def _column_check(table: QualifiedName, column: str, type_: str) -> tuple[str, str]:
    return (f"column {table}.{column} ({type_})",
            _exists(f"pg_attribute WHERE attrelid = {_rel(table)} AND attname = {quote_literal(column)} "
                    f"AND attnum > 0 AND NOT attisdropped AND format_type(atttypid, atttypmod) = {quote_literal(type_)}"))


def _constraint_check(table: QualifiedName, name: str, kind: str | None) -> tuple[str, str]:
    contype = f" AND contype = {quote_literal(kind)}" if kind else ""
    return (f"constraint {name} on {table} (validated)",
            _exists(f"pg_constraint WHERE conrelid = {_rel(table)} AND conname = {quote_literal(name)}{contype} "
                    "AND convalidated"))


def _index_check(table: QualifiedName, name: str) -> tuple[str, str]:
    index = QualifiedName(table.schema, name)
    return (f"index {index} on {table} (valid)",
            _exists(f"pg_index WHERE indexrelid = {_rel(index)} AND indrelid = {_rel(table)} "
                    "AND indisvalid AND indisready"))


def _comment_check(kind: str, obj: QualifiedName, column: str | None, text: str | None) -> tuple[str, str]:
    expected = "NULL" if text is None else quote_literal(text)
    if kind == "column":
        actual = (f"(SELECT col_description(attrelid, attnum) FROM pg_attribute WHERE attrelid = {_rel(obj)} "
                  f"AND attname = {quote_literal(column)})")
        what = f"column {obj}.{column}"
    elif kind == "type":
        actual, what = f"obj_description(to_regtype({quote_literal(_q(obj))}), 'pg_type')", f"type {obj}"
    else:
        actual, what = f"obj_description({_rel(obj)}, 'pg_class')", f"{kind} {obj}"
    return f"comment on {what}", f"{actual} IS NOT DISTINCT FROM {expected}"


def _rls_check(table: QualifiedName, column: str, on: bool) -> tuple[str, str]:
    label = {"relrowsecurity": "row level security", "relforcerowsecurity": "forced row level security"}[column]
    return (f"{label} {'on' if on else 'off'} for {table}",
            _exists(f"pg_class WHERE oid = {_rel(table)} AND {column} = {'true' if on else 'false'}"))


def _policy_check(table: QualifiedName, name: str) -> tuple[str, str]:
    return (f"policy {name} on {table}",
            _exists(f"pg_policy WHERE polrelid = {_rel(table)} AND polname = {quote_literal(name)}"))


def _table_checks(ch: c.AddTable) -> list[tuple[str, str]]:
    t, q = ch.table, ch.table.qualified
    out = [(f"table {q}", _exists(f"pg_class WHERE oid = {_rel(q)} AND relkind IN ('r', 'p')"))]
    out += [_column_check(q, col.name, col.type) for col in t.columns]
    if t.primary_key:
        out.append(_constraint_check(q, t.primary_key.name, "p"))
    out += [_constraint_check(q, u.name, "u") for u in t.uniques]
    out += [_constraint_check(q, k.name, "c") for k in t.checks]
    out += [_constraint_check(q, k.name, "f") for k in t.foreign_keys]
    out += [_index_check(q, ix.name) for ix in t.indexes]
    if t.rls_enabled:
        out.append(_rls_check(q, "relrowsecurity", True))
    if t.rls_forced:
        out.append(_rls_check(q, "relforcerowsecurity", True))
    out += [_policy_check(q, p.name) for p in t.policies]
    if t.comment is not None:
        out.append(_comment_check("table", q, None, t.comment))
    out += [_comment_check("column", q, col.name, col.comment) for col in t.columns if col.comment is not None]
    out += [_comment_check("index", QualifiedName(q.schema, ix.name), None, ix.comment)
            for ix in t.indexes if ix.comment is not None]
    return out


def _enum_checks(ch: c.AddEnum) -> list[tuple[str, str]]:
    e = ch.enum
    values = ", ".join(quote_literal(v) for v in e.values)
    labels = (f"ARRAY(SELECT enumlabel::text FROM pg_enum WHERE enumtypid = to_regtype({quote_literal(_q(e.qualified))}) "
              "ORDER BY enumsortorder)")
    out = [(f"enum {e.qualified} ({', '.join(e.values)})", f"{labels} = ARRAY[{values}]::text[]")]
    if e.comment is not None:
        out.append(_comment_check("type", e.qualified, None, e.comment))
    return out


def _column_checks(ch: c.AddColumn) -> list[tuple[str, str]]:
    out = [_column_check(ch.table, ch.column.name, ch.column.type)]
    if ch.column.comment is not None:
        out.append(_comment_check("column", ch.table, ch.column.name, ch.column.comment))
    return out


def _index_checks(ch: c.AddIndex) -> list[tuple[str, str]]:
    out = [_index_check(ch.table, ch.index.name)]
    if ch.index.comment is not None:
        out.append(_comment_check("index", QualifiedName(ch.table.schema, ch.index.name), None, ch.index.comment))
    return out


_CHECKS: dict[type, Callable[[c.Change], list[tuple[str, str]]]] = {
    c.AddSchema: lambda ch: [(f"schema {ch.name}", _exists(f"pg_namespace WHERE nspname = {quote_literal(ch.name)}"))],
    c.AddExtension: lambda ch: [(f"extension {ch.extension.name}",
                                 _exists(f"pg_extension WHERE extname = {quote_literal(ch.extension.name)}"))],
    c.AddEnum: _enum_checks,
    c.AddEnumValue: lambda ch: [(f"enum value {ch.value!r} of {ch.enum}",
                                 _exists(f"pg_enum WHERE enumtypid = to_regtype({quote_literal(_q(ch.enum))}) "
                                         f"AND enumlabel = {quote_literal(ch.value)}"))],
    c.AddTable: _table_checks,
    c.AddColumn: _column_checks,
    c.AlterColumnType: lambda ch: [_column_check(ch.table, ch.column, ch.after)],
    c.AddCheck: lambda ch: [_constraint_check(ch.table, ch.check.name, "c")],
    c.ReplaceCheck: lambda ch: [_constraint_check(ch.table, ch.after.name, "c")],
    c.AddForeignKey: lambda ch: [_constraint_check(ch.table, ch.foreign_key.name, "f")],
    c.AddPrimaryKey: lambda ch: [_constraint_check(ch.table, ch.primary_key.name, "p")],
    c.AddUnique: lambda ch: [_constraint_check(ch.table, ch.unique.name, "u")],
    c.ValidateConstraint: lambda ch: [_constraint_check(ch.table, ch.name, None)],
    c.AddIndex: _index_checks,
    c.RebuildInvalidIndex: lambda ch: [_index_check(ch.table, ch.index.name)],
    c.EnableRls: lambda ch: [_rls_check(ch.table, "relrowsecurity", True)],
    c.ForceRls: lambda ch: [_rls_check(ch.table, "relforcerowsecurity", ch.forced)],
    c.AddPolicy: lambda ch: [_policy_check(ch.table, ch.policy.name)],
    c.SetDefault: lambda ch: [(f"default of {ch.table}.{ch.column}",
                               _exists(f"pg_attribute WHERE attrelid = {_rel(ch.table)} "
                                       f"AND attname = {quote_literal(ch.column)} AND atthasdef"))],
    c.SetComment: lambda ch: [_comment_check(ch.kind, ch.object, ch.column, ch.after)],
}


def validation_checks(plan: Plan) -> list[tuple[str, str]]:
    """(what, a boolean SQL expression that is true when it is in place), in plan order."""
    out: list[tuple[str, str]] = []
    kept: set[tuple[str, str]] = set()
    done: set[int] = set()
    for step in plan.steps:
        if id(step.change) in done:
            continue
        done.add(id(step.change))
        check = _CHECKS.get(type(step.change))
        if check is None:
            raise MigrationFileError(f"no validation for {type(step.change).__name__} ({step.change.target()})")
        for item in check(step.change):
            if item not in kept:
                kept.add(item)
                out.append(item)
    return out


def validation_sql(plan: Plan, stem: str, source: str) -> str:
    checks = validation_checks(plan)
    body = [f"    IF NOT ({cond}) THEN\n      missing := array_append(missing, {quote_literal(what)});\n    END IF;"
            for what, cond in checks]
    text = "\n".join(body)
    tag = "$schemadiff$"
    while tag in text:
        tag = tag[:-1] + "_$"
    lines = [
        _generated("Validation of migration", stem, source),
        "-- Read-only: raises an error when anything the migration adds is missing or not valid",
        "-- (run it after the migration: psql -v ON_ERROR_STOP=1 -f FILE); it changes nothing.",
        "BEGIN TRANSACTION READ ONLY;",
        "SET LOCAL search_path = pg_catalog;  -- types print as the spec writes them",
        f"DO {tag}",
        "  DECLARE",
        "    missing text[] := ARRAY[]::text[];",
        "  BEGIN",
        text,
        "    IF cardinality(missing) > 0 THEN",
        f"      RAISE EXCEPTION 'schemadiff validation of {stem} failed: % of {len(checks)} checks, first: %', "
        + "cardinality(missing), missing[1]",
        "        USING DETAIL = 'missing or not valid:' || chr(10) || array_to_string(missing, chr(10));",
        "    END IF;",
        f"    RAISE NOTICE 'schemadiff validation of {stem} passed: {len(checks)} checks';",
        "  END",
        f"{tag};",
        "ROLLBACK;",
    ]
    return "\n".join(lines) + "\n"


__all__ = [
    "CONVENTIONS",
    "NEVER_PLANNED",
    "MigrationFileError",
    "Numbering",
    "Written",
    "detect",
    "next_version",
    "normalize_name",
    "rollback_sql",
    "undo_steps",
    "validation_checks",
    "validation_sql",
    "write_migration",
]
