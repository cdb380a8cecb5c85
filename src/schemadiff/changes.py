"""The changes between two schemas: one frozen dataclass per action and object.

No SQL here and no judgement: ``diff`` produces every change, destructive ones
included, and ``rules`` decide which are allowed. Each change names its object
(``target``) and says what it is in words (``describe``) for reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import (
    CheckConstraint, Column, EnumType, Extension, ForeignKey, Function, Index, Policy, PrimaryKey, QualifiedName,
    Sequence, Table, Trigger, UniqueConstraint, View,
)


@dataclass(frozen=True)
class Change:
    def target(self) -> str:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


def _t(q: QualifiedName) -> str:
    return f"table {q.schema}.{q.name}"


# -- namespace-level -----------------------------------------------------------

@dataclass(frozen=True)
class AddSchema(Change):
    name: str

    def target(self): return f"schema {self.name}"
    def describe(self): return f"create schema {self.name}"


@dataclass(frozen=True)
class AddExtension(Change):
    extension: Extension

    def target(self): return f"extension {self.extension.name}"
    def describe(self): return f"create extension {self.extension.name}"


@dataclass(frozen=True)
class DropExtension(Change):
    extension: Extension

    def target(self): return f"extension {self.extension.name}"
    def describe(self): return f"drop extension {self.extension.name}"


@dataclass(frozen=True)
class AddEnum(Change):
    enum: EnumType

    def target(self): return f"type {self.enum.schema}.{self.enum.name}"
    def describe(self): return f"create enum ({', '.join(self.enum.values)})"


@dataclass(frozen=True)
class DropEnum(Change):
    enum: EnumType

    def target(self): return f"type {self.enum.schema}.{self.enum.name}"
    def describe(self): return "drop enum"


@dataclass(frozen=True)
class AddEnumValue(Change):
    enum: QualifiedName
    value: str
    before: str | None = None  # the existing value it goes before; None: at the end
    after: str | None = None

    def target(self): return f"type {self.enum.schema}.{self.enum.name}"

    def describe(self):
        where = f" before {self.before!r}" if self.before else (f" after {self.after!r}" if self.after else "")
        return f"add enum value {self.value!r}{where}"


@dataclass(frozen=True)
class RemoveEnumValue(Change):
    enum: QualifiedName
    value: str

    def target(self): return f"type {self.enum.schema}.{self.enum.name}"
    def describe(self): return f"remove enum value {self.value!r}"


@dataclass(frozen=True)
class ReorderEnumValues(Change):
    enum: QualifiedName
    before: tuple[str, ...]
    after: tuple[str, ...]

    def target(self): return f"type {self.enum.schema}.{self.enum.name}"
    def describe(self): return f"reorder enum values ({', '.join(self.before)}) -> ({', '.join(self.after)})"


# -- tables ---------------------------------------------------------------------

@dataclass(frozen=True)
class AddTable(Change):
    table: Table

    def target(self): return _t(self.table.qualified)

    def describe(self):
        parts = [f"{len(self.table.columns)} columns"]
        if self.table.primary_key:
            parts.append("primary key")
        n = len(self.table.uniques) + len(self.table.checks) + len(self.table.foreign_keys)
        if n:
            parts.append(f"{n} constraint{'s' if n != 1 else ''}")
        if self.table.indexes:
            n_ix = len(self.table.indexes)
            parts.append(f"{n_ix} index{'es' if n_ix != 1 else ''}")
        if self.table.rls_enabled:
            parts.append("row level security")
        if self.table.policies:
            n_pol = len(self.table.policies)
            parts.append(f"{n_pol} {'policy' if n_pol == 1 else 'policies'}")
        if self.table.triggers:
            n_tr = len(self.table.triggers)
            parts.append(f"{n_tr} trigger{'s' if n_tr != 1 else ''}")
        return f"create table ({', '.join(parts)})"


@dataclass(frozen=True)
class DropTable(Change):
    table: Table

    def target(self): return _t(self.table.qualified)
    def describe(self): return "drop table"


@dataclass(frozen=True)
class AddColumn(Change):
    table: QualifiedName
    column: Column

    def target(self): return _t(self.table)

    def describe(self):
        c = self.column
        extra = "" if c.nullable else " NOT NULL"
        extra += f" DEFAULT {c.default}" if c.default is not None else ""
        return f"add column {c.name} {c.type}{extra}"


@dataclass(frozen=True)
class DropColumn(Change):
    table: QualifiedName
    column: Column

    def target(self): return _t(self.table)
    def describe(self): return f"drop column {self.column.name}"


@dataclass(frozen=True)
class AlterColumnType(Change):
    table: QualifiedName
    column: str
    before: str
    after: str

    def target(self): return _t(self.table)
    def describe(self): return f"change type of {self.column}: {self.before} -> {self.after}"


@dataclass(frozen=True)
class SetNotNull(Change):
    table: QualifiedName
    column: str

    def target(self): return _t(self.table)
    def describe(self): return f"set NOT NULL on {self.column}"


@dataclass(frozen=True)
class DropNotNull(Change):
    table: QualifiedName
    column: str

    def target(self): return _t(self.table)
    def describe(self): return f"drop NOT NULL on {self.column}"


@dataclass(frozen=True)
class SetDefault(Change):
    """A default where the column had none."""

    table: QualifiedName
    column: str
    default: str

    def target(self): return _t(self.table)
    def describe(self): return f"set default of {self.column} to {self.default}"


@dataclass(frozen=True)
class ChangeDefault(Change):
    table: QualifiedName
    column: str
    before: str
    after: str | None  # None: dropped

    def target(self): return _t(self.table)

    def describe(self):
        if self.after is None:
            return f"drop default of {self.column} ({self.before})"
        return f"change default of {self.column}: {self.before} -> {self.after}"


@dataclass(frozen=True)
class AlterColumnKind(Change):
    """Identity, generated expression, collation or serial-ness changed."""

    table: QualifiedName
    column: str
    aspect: str  # "identity" | "generated" | "collation" | "serial" (before/after: the types, serial or not)
    before: str | None
    after: str | None

    def target(self): return _t(self.table)
    def describe(self): return f"change {self.aspect} of {self.column}: {self.before} -> {self.after}"


# -- constraints ----------------------------------------------------------------

@dataclass(frozen=True)
class AddPrimaryKey(Change):
    table: QualifiedName
    primary_key: PrimaryKey

    def target(self): return _t(self.table)
    def describe(self): return f"add primary key {self.primary_key.name} ({', '.join(self.primary_key.columns)})"


@dataclass(frozen=True)
class DropPrimaryKey(Change):
    table: QualifiedName
    primary_key: PrimaryKey

    def target(self): return _t(self.table)
    def describe(self): return f"drop primary key {self.primary_key.name}"


@dataclass(frozen=True)
class AddUnique(Change):
    table: QualifiedName
    unique: UniqueConstraint

    def target(self): return _t(self.table)
    def describe(self): return f"add unique {self.unique.name} ({', '.join(self.unique.columns)})"


@dataclass(frozen=True)
class DropUnique(Change):
    table: QualifiedName
    unique: UniqueConstraint

    def target(self): return _t(self.table)
    def describe(self): return f"drop unique {self.unique.name}"


@dataclass(frozen=True)
class AddCheck(Change):
    table: QualifiedName
    check: CheckConstraint

    def target(self): return _t(self.table)
    def describe(self): return f"add check {self.check.name}: {self.check.expression}"


@dataclass(frozen=True)
class DropCheck(Change):
    table: QualifiedName
    check: CheckConstraint

    def target(self): return _t(self.table)
    def describe(self): return f"drop check {self.check.name}"


@dataclass(frozen=True)
class ReplaceCheck(Change):
    """Same name, another expression."""

    table: QualifiedName
    before: CheckConstraint
    after: CheckConstraint

    def target(self): return _t(self.table)
    def describe(self): return f"change check {self.after.name}: {self.before.expression} -> {self.after.expression}"


@dataclass(frozen=True)
class ValidateConstraint(Change):
    """A constraint the database holds as NOT VALID, which the spec wants valid."""

    table: QualifiedName
    name: str

    def target(self): return _t(self.table)
    def describe(self): return f"validate constraint {self.name}"


@dataclass(frozen=True)
class AddForeignKey(Change):
    table: QualifiedName
    foreign_key: ForeignKey

    def target(self): return _t(self.table)

    def describe(self):
        k = self.foreign_key
        return (f"add foreign key {k.name} ({', '.join(k.columns)}) -> "
                f"{k.ref_table.schema}.{k.ref_table.name}({', '.join(k.ref_columns)})")


@dataclass(frozen=True)
class DropForeignKey(Change):
    table: QualifiedName
    foreign_key: ForeignKey

    def target(self): return _t(self.table)
    def describe(self): return f"drop foreign key {self.foreign_key.name}"


@dataclass(frozen=True)
class ReplaceForeignKey(Change):
    table: QualifiedName
    before: ForeignKey
    after: ForeignKey

    def target(self): return _t(self.table)
    def describe(self): return f"change foreign key {self.after.name}"


@dataclass(frozen=True)
class ReplaceUnique(Change):
    table: QualifiedName
    before: UniqueConstraint | PrimaryKey
    after: UniqueConstraint | PrimaryKey

    def target(self): return _t(self.table)
    def describe(self): return f"change key {self.after.name}"


# -- indexes --------------------------------------------------------------------

@dataclass(frozen=True)
class AddIndex(Change):
    table: QualifiedName
    index: Index
    on: str = "table"  # "table", or "materialized view" (an existing one)

    def target(self): return f"{self.on} {self.table.schema}.{self.table.name}"
    def describe(self): return f"add {'unique ' if self.index.unique else ''}index {self.index.name}"


@dataclass(frozen=True)
class DropIndex(Change):
    table: QualifiedName
    index: Index
    on: str = "table"  # "table", or "materialized view" (an existing one)

    def target(self): return f"{self.on} {self.table.schema}.{self.table.name}"
    def describe(self): return f"drop index {self.index.name}"


@dataclass(frozen=True)
class ReplaceIndex(Change):
    table: QualifiedName
    before: Index
    after: Index
    on: str = "table"  # "table", or "materialized view" (an existing one)

    def target(self): return f"{self.on} {self.table.schema}.{self.table.name}"
    def describe(self): return f"change index {self.after.name}"


@dataclass(frozen=True)
class RebuildInvalidIndex(Change):
    """The database holds the index INVALID (a failed concurrent build)."""

    table: QualifiedName
    index: Index
    on: str = "table"  # "table", or "materialized view" (an existing one)

    def target(self): return f"{self.on} {self.table.schema}.{self.table.name}"
    def describe(self): return f"rebuild invalid index {self.index.name}"


# -- row level security -----------------------------------------------------------

@dataclass(frozen=True)
class EnableRls(Change):
    table: QualifiedName

    def target(self): return _t(self.table)
    def describe(self): return "enable row level security"


@dataclass(frozen=True)
class DisableRls(Change):
    table: QualifiedName

    def target(self): return _t(self.table)
    def describe(self): return "disable row level security"


@dataclass(frozen=True)
class ForceRls(Change):
    table: QualifiedName
    forced: bool

    def target(self): return _t(self.table)
    def describe(self): return ("force" if self.forced else "stop forcing") + " row level security"


@dataclass(frozen=True)
class AddPolicy(Change):
    table: QualifiedName
    policy: Policy

    def target(self): return _t(self.table)
    def describe(self): return f"add policy {self.policy.name}"


@dataclass(frozen=True)
class DropPolicy(Change):
    table: QualifiedName
    policy: Policy

    def target(self): return _t(self.table)
    def describe(self): return f"drop policy {self.policy.name}"


@dataclass(frozen=True)
class ReplacePolicy(Change):
    table: QualifiedName
    before: Policy
    after: Policy

    def target(self): return _t(self.table)
    def describe(self): return f"change policy {self.after.name}"


# -- comments ---------------------------------------------------------------------

# What ``COMMENT ON <kind> name ON table`` names: SetComment.column holds the name.
TABLE_MEMBER_KINDS = ("constraint", "policy", "trigger")


@dataclass(frozen=True)
class SetComment(Change):
    """COMMENT ON … for a table (column None), a column, an index or a type; or for a
    constraint, policy or trigger of a table (``object`` the table, ``column`` its name)."""

    kind: str  # "table" | "column" | "index" | "type" | "sequence" | "view" | "materialized view"
    #          | "constraint" | "policy" | "trigger"
    object: QualifiedName  # the table, index or type
    column: str | None  # the column, or the constraint, policy or trigger
    before: str | None
    after: str
    on: str = "table"  # what a column belongs to: "table", "view" or "materialized view"

    def target(self):
        if self.kind == "column" and self.on != "table":
            return f"{self.on} {self.object.schema}.{self.object.name}"
        if self.kind in ("table", "column") + TABLE_MEMBER_KINDS:
            return _t(self.object)
        return f"{self.kind} {self.object.schema}.{self.object.name}"

    def describe(self):
        what = f"{self.kind} {self.column}" if self.kind in ("column",) + TABLE_MEMBER_KINDS else self.kind
        return f"{'set' if self.before is None else 'change'} comment on {what}"


# -- storage ----------------------------------------------------------------------

@dataclass(frozen=True)
class SetStorageParameter(Change):
    """One storage parameter of an existing table (``index`` None) or index: set,
    changed, or (``after`` None) removed from the spec."""

    table: QualifiedName
    index: str | None
    kind: str  # "heap" for the table, else the index's method (see ``storage``)
    key: str
    before: int | float | bool | str | None
    after: int | float | bool | str | None

    def target(self):
        return _t(self.table) if self.index is None else f"index {self.table.schema}.{self.index}"

    def describe(self):
        def show(v):
            return ("true" if v else "false") if isinstance(v, bool) else str(v)
        if self.after is None:
            return f"reset storage parameter {self.key} (now {show(self.before)})"
        if self.before is None:
            return f"set storage parameter {self.key} = {show(self.after)}"
        return f"change storage parameter {self.key} from {show(self.before)} to {show(self.after)}"


@dataclass(frozen=True)
class SetLogged(Change):
    """ALTER TABLE … SET UNLOGGED (``unlogged`` True) or SET LOGGED."""

    table: QualifiedName
    unlogged: bool

    def target(self): return _t(self.table)
    def describe(self): return "make the table " + ("UNLOGGED" if self.unlogged else "LOGGED")


# -- sequences -------------------------------------------------------------------

@dataclass(frozen=True)
class AddSequence(Change):
    sequence: Sequence

    def target(self): return f"sequence {self.sequence.schema}.{self.sequence.name}"

    def describe(self):
        s = self.sequence
        owner = f", owned by {s.owned_by[0]}.{s.owned_by[1]}" if s.owned_by else ""
        return f"create sequence ({s.type}, start {s.start}, increment {s.increment}{owner})"


@dataclass(frozen=True)
class DropSequence(Change):
    sequence: Sequence

    def target(self): return f"sequence {self.sequence.schema}.{self.sequence.name}"
    def describe(self): return "drop sequence"


@dataclass(frozen=True)
class AlterSequence(Change):
    """Options of a sequence changed: ``changed`` names them (type, increment,
    minvalue, maxvalue, start, cache, cycle, owned_by)."""

    before: Sequence
    after: Sequence
    changed: tuple[str, ...]

    def target(self): return f"sequence {self.after.schema}.{self.after.name}"

    def describe(self):
        show = lambda v: "none" if v is None else (".".join(v) if isinstance(v, tuple) else v)  # noqa: E731
        return "alter sequence: " + ", ".join(
            f"{k} {show(getattr(self.before, k))} -> {show(getattr(self.after, k))}" for k in self.changed)


# -- functions and triggers ----------------------------------------------------------

def _f(fn) -> str:
    return f"function {fn.display()}"


@dataclass(frozen=True)
class AddFunction(Change):
    function: Function

    def target(self): return _f(self.function)
    def describe(self): return f"create function ({self.function.language}, returns {self.function.returns})"


@dataclass(frozen=True)
class DropFunction(Change):
    function: Function

    def target(self): return _f(self.function)
    def describe(self): return "drop function"


@dataclass(frozen=True)
class ReplaceFunction(Change):
    """Same signature; another body, return type, language, volatility, strictness,
    security or search_path (``aspects`` names which)."""

    before: Function
    after: Function
    aspects: tuple[str, ...]

    def target(self): return _f(self.after)
    def describe(self): return f"change function {', '.join(self.aspects)}"


@dataclass(frozen=True)
class SetFunctionComment(Change):
    function: Function  # as desired
    before: str | None
    after: str | None

    def target(self): return _f(self.function)
    def describe(self): return f"{'set' if self.before is None else 'change'} comment on function"


@dataclass(frozen=True)
class AddTrigger(Change):
    """A trigger on a table that exists (a new table's triggers come with it)."""

    table: QualifiedName
    trigger: Trigger

    def target(self): return _t(self.table)
    def describe(self): return f"add trigger {self.trigger.name}"


@dataclass(frozen=True)
class DropTrigger(Change):
    table: QualifiedName
    trigger: Trigger

    def target(self): return _t(self.table)
    def describe(self): return f"drop trigger {self.trigger.name}"


@dataclass(frozen=True)
class ReplaceTrigger(Change):
    table: QualifiedName
    before: Trigger
    after: Trigger

    def target(self): return _t(self.table)
    def describe(self): return f"change trigger {self.after.name}"


# -- views ----------------------------------------------------------------------------

def _v(v) -> str:
    return f"{v.kind} {v.schema}.{v.name}"


@dataclass(frozen=True)
class AddView(Change):
    view: View

    def target(self): return _v(self.view)
    def describe(self): return f"create {self.view.kind}" + (" WITH NO DATA" if self.view.materialized else "")


@dataclass(frozen=True)
class DropView(Change):
    view: View

    def target(self): return _v(self.view)
    def describe(self): return f"drop {self.view.kind}"


@dataclass(frozen=True)
class ReplaceView(Change):
    """Same name; another query or other options (``aspects`` names which)."""

    before: View
    after: View
    aspects: tuple[str, ...]

    def target(self): return _v(self.after)
    def describe(self): return f"change {self.after.kind} {', '.join(self.aspects)}"
