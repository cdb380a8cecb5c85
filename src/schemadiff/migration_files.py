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

Prisma and Supabase runners send each file as one transaction (``WRAPPING_RUNNERS``):
a plan with a concurrent build (``CREATE INDEX CONCURRENTLY``, refused by PostgreSQL
inside a transaction) raises ``MigrationFileError`` for them unless
``allow_split=True``, which writes the plan as ordered parts (``split_parts``: the
enum values, the transactional phase, each concurrent build alone in its file, each
validation) under consecutive versions, ``Written.parts`` listing them; the rollback
and validation of the whole plan go with the last part (docs/migrations.md).

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
- migration: ``render_sql(plan, …, psql=False)`` under a header (here);
- rollback: ``compile.rollback.rollback_sql`` — drops exactly what the migration
  adds, in reverse order, never with CASCADE; what cannot be undone safely (an
  enum value, a widening) is a comment saying why; a change type it does not
  know fails loudly (``MigrationFileError``, nothing written);
- validation: ``compile.validation.validation_sql`` — one read-only ``DO`` block
  that raises when anything the migration adds is missing or not valid.

This module holds the directory's conventions and the writing; ``rollback_sql``,
``undo_steps``, ``validation_sql``, ``validation_checks`` and ``NEVER_PLANNED``
are re-exported from ``compile`` for existing callers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .compile.changes import CONCURRENT, ENUM_VALUES, PHASES, TRANSACTIONAL, VALIDATE
from .compile.verify import PIN_STRINGS
from .compile.rollback import (
    NEVER_PLANNED,
    NoRollback,
    generated_by,
    rollback_sql,
    undo_steps,
)
from .compile.validation import NoValidation, validation_checks, validation_sql
from . import followups
from .oneline import one_line
from .plan import Plan
from .report import _comment, render_sql

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
    # When the plan was split for a runner that wraps each file in a transaction
    # (``allow_split``): every migration file written, in the order they run;
    # ``migration`` is the first. Empty when one file holds the whole plan.
    parts: tuple[Path, ...] = ()

    @property
    def migrations(self) -> tuple[Path, ...]:
        return self.parts or (self.migration,)

    @property
    def paths(self) -> tuple[Path, ...]:
        return (*self.migrations, self.rollback, self.validation)


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
                    source: str = "", allow_split: bool = False) -> Written | None:
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
    if needs_split(plan, chosen):
        if not allow_split:
            raise MigrationFileError(split_refusal(plan, chosen))
        return _write_split(plan, directory, slug, chosen, layout, numbering, existing, _utc(now),
                            lock_timeout, statement_timeout, source)
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
    try:
        texts = [
            (migration, migration_sql(plan, stem, src, lock_timeout, statement_timeout,
                                      rollback=relative(rollback), validation=relative(validation))),
            (rollback, rollback_sql(plan, stem, src, lock_timeout, statement_timeout)),
            (validation, validation_sql(plan, stem, src)),
        ]
    except (NoRollback, NoValidation) as exc:  # a change type the scripts do not know
        raise MigrationFileError(str(exc)) from exc
    _write_all(texts)
    return written


def _write_all(texts: list[tuple[Path, str]]) -> None:
    """Create every file (and missing folder) or, on any failure, none of them."""
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


# ----------------------------------------------------------------------------- runners that wrap files

# The conventions whose runner sends each migration file as one transaction: Prisma
# (`prisma migrate deploy` sends migration.sql as one multi-statement query, which
# PostgreSQL runs as one implicit transaction) and the Supabase CLI (each file in its
# own transaction). Both run a file that holds a single statement on its own, outside
# any transaction block, which is how a concurrent index build can run at all.
WRAPPING_RUNNERS = {"prisma": "prisma migrate deploy", "supabase": "the Supabase CLI (supabase db push / migration up)"}


def needs_split(plan: Plan, convention: str) -> bool:
    """True when ``convention``'s runner wraps each file in a transaction and the plan
    has a step PostgreSQL refuses inside one (``CREATE INDEX CONCURRENTLY``)."""
    return convention in WRAPPING_RUNNERS and _has_concurrent(plan)


def split_refusal(plan: Plan, convention: str) -> str:
    n = sum(1 for s in plan.steps if s.phase == CONCURRENT)
    return (f"the plan builds {n} index(es) CONCURRENTLY, which PostgreSQL refuses inside a transaction block, and "
            f"{WRAPPING_RUNNERS[convention]} runs each migration file in one transaction: one {convention} migration "
            f"cannot hold this plan. Give --allow-split to write it as {len(split_parts(plan))} migrations in order "
            "(each phase its own, each concurrent build alone in its file; docs/migrations.md), or apply it with "
            "`schemadiff apply`; nothing was written")


@dataclass(frozen=True)
class _Part:
    phase: str
    steps: tuple  # the plan's Steps in this file
    alone: bool  # one statement, run outside any transaction (a concurrent build)


def split_parts(plan: Plan) -> list[_Part]:
    """The plan as the files a wrapping runner can run, in order: the enum values (committed
    before anything uses them), the transactional phase, each concurrent build alone, each
    validation alone (as ``apply`` runs them: one short lock each)."""
    parts: list[_Part] = []
    for phase in PHASES:
        steps = tuple(s for s in plan.steps if s.phase == phase)
        if not steps:
            continue
        if phase in (ENUM_VALUES, TRANSACTIONAL):
            parts.append(_Part(phase, steps, alone=False))
        else:
            parts += [_Part(phase, (s,), alone=phase == CONCURRENT) for s in steps]
    return parts


_PART_TITLES = {
    ENUM_VALUES: "new enum values (committed before the next part uses them)",
    TRANSACTIONAL: "the transactional phase",
    CONCURRENT: "a concurrent index build",
    VALIDATE: "a validation",
}


def part_sql(part: _Part, stem: str, k: int, n: int, convention: str, source: str, lock_timeout: str,
             statement_timeout: str, *, rollback: str | None, validation: str | None) -> str:
    head = [generated_by("Migration", stem, source),
            "-- Do not edit: change the spec and generate the migration again.",
            f"-- Part {k} of {n} of one plan, split for {WRAPPING_RUNNERS[convention]}, which runs each file in",
            f"-- one transaction: apply the parts in order, none left out. This part: {_PART_TITLES[part.phase]}."]
    if validation and rollback:
        head += [one_line(f"-- Validation of all {n} parts (read-only, fails when something is missing): {validation}"),
                 one_line(f"-- Rollback of all {n} parts (DESTRUCTIVE, emergencies only): {rollback}")]
    if part.alone:
        head += ["-- This file holds one statement and nothing else, so the runner sends it alone, outside any",
                 "-- transaction block (PostgreSQL refuses CREATE INDEX CONCURRENTLY inside one). No SET either:",
                 "-- the role's lock_timeout applies. If the build fails it leaves an INVALID index: drop it",
                 "-- (DROP INDEX CONCURRENTLY) and run this part again."]
        body = [_comment(part.steps[0]), part.steps[0].sql + ";"]
    else:
        body = [PIN_STRINGS, f"SET LOCAL lock_timeout = '{lock_timeout}';",
                f"SET LOCAL statement_timeout = '{statement_timeout if part.phase != VALIDATE else 0}';", ""]
        for s in part.steps:
            body += [_comment(s), s.sql + ";", ""]
    body += followups.comment_lines(followups.of_changes(s.change for s in part.steps))
    return "\n".join(head) + "\n--\n" + "\n".join(body).rstrip("\n") + "\n"


def _write_split(plan: Plan, directory: Path, slug: str, convention: str, layout: str, numbering: Numbering,
                 existing: list[str], now: datetime, lock_timeout: str, statement_timeout: str,
                 source: str) -> Written:
    parts = split_parts(plan)
    n = len(parts)
    versions, taken_versions = [], list(existing)
    for _ in parts:
        versions.append(next_version(numbering, taken_versions, now))
        taken_versions.append(versions[-1])
    stems = [f"{v}_{slug}_{k}_of_{n}" for k, v in enumerate(versions, 1)]
    if layout == "prisma":
        migrations = [directory / stem / "migration.sql" for stem in stems]
        rollback, validation = migrations[-1].parent / "rollback.sql", migrations[-1].parent / "validation.sql"
        folders = [m.parent for m in migrations]
    else:
        migrations = [directory / f"{stem}.sql" for stem in stems]
        rollback, validation = directory / "rollback" / f"{stems[-1]}.sql", directory / "validation" / f"{stems[-1]}.sql"
        folders = []
    taken = [p for p in (*migrations, rollback, validation, *folders) if p.exists()]
    if taken:
        raise MigrationFileError(f"{taken[0]} already exists; schemadiff never overwrites a migration")
    src = " ".join(source.split())
    texts = []
    for k, (part, stem, path) in enumerate(zip(parts, stems, migrations), 1):
        last = k == n
        texts.append((path, part_sql(part, stem, k, n, convention, src, lock_timeout, statement_timeout,
                                     rollback=rollback.relative_to(path.parent).as_posix()
                                     if last else None,
                                     validation=validation.relative_to(path.parent).as_posix() if last else None)))
    whole = f"{versions[0]}_{slug} (parts {stems[0]} to {stems[-1]})"
    try:
        texts += [(rollback, rollback_sql(plan, whole, src, lock_timeout, statement_timeout)),
                  (validation, validation_sql(plan, stems[-1], src))]
    except (NoRollback, NoValidation) as exc:
        raise MigrationFileError(str(exc)) from exc
    _write_all(texts)
    return Written(convention, versions[0], slug, migrations[0], rollback, validation, parts=tuple(migrations))


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


def migration_sql(plan: Plan, stem: str, source: str, lock_timeout: str, statement_timeout: str, *,
                  rollback: str, validation: str) -> str:
    head = [generated_by("Migration", stem, source),
            "-- Do not edit: change the spec and generate the migration again.",
            one_line(f"-- Validation (read-only, fails when something is missing): {validation}"),
            one_line(f"-- Rollback (DESTRUCTIVE, emergencies only): {rollback}")]
    if _has_concurrent(plan):
        head += [f"-- {line}" for line in _NO_WRAP]
    return "\n".join(head) + "\n--\n" + render_sql(plan, lock_timeout, statement_timeout, psql=False)


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
