"""The typed picture of a PostgreSQL schema.

One model serves both sides of a comparison: the spec loader produces it from
YAML, the introspector from the catalogs. Everything is frozen and ordered, so
two models built from the same schema compare equal and hash alike.

Canonical forms (what makes "like with like" possible):
- names are exact strings, never case-folded and never quoted;
- ``Column.type`` is the text ``format_type()`` prints with ``search_path``
  set to ``pg_catalog``: built-in types bare (``character varying(255)``,
  ``timestamp with time zone``, ``numeric(12,2)``, ``text[]``), every other type
  schema-qualified and quoted where needed (``public."MessageRole"``);
- expressions are SQL text, each one already checked to be exactly one
  expression.

This module imports nothing of ours and renders no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property


class Identity(str, Enum):
    ALWAYS = "always"
    BY_DEFAULT = "by default"


class FkAction(str, Enum):
    NO_ACTION = "no action"
    RESTRICT = "restrict"
    CASCADE = "cascade"
    SET_NULL = "set null"
    SET_DEFAULT = "set default"


class SortOrder(str, Enum):
    ASC = "asc"
    DESC = "desc"


class NullsOrder(str, Enum):
    FIRST = "first"
    LAST = "last"


class PolicyCommand(str, Enum):
    ALL = "all"
    SELECT = "select"
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True, order=True)
class QualifiedName:
    schema: str
    name: str

    def __str__(self) -> str:  # for messages only, never for SQL
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    identity: Identity | None = None
    generated: str | None = None  # expression of a STORED generated column
    collation: str | None = None  # exact collation name, e.g. "C" or "en_US"
    comment: str | None = None
    # A serial column, exactly as ``CREATE TABLE … serial`` makes it: ``type`` is
    # smallint/integer/bigint, NOT NULL, ``default`` is ``nextval('<schema>.<seq>'::regclass)``
    # of the sequence ``<table>_<column>_seq`` the column owns, with the default options.
    serial: bool = False


SERIAL_TYPES = {"smallint": "smallserial", "integer": "serial", "bigint": "bigserial"}


@dataclass(frozen=True, slots=True)
class PrimaryKey:
    name: str
    columns: tuple[str, ...]
    storage: tuple[tuple[str, int | float | bool | str], ...] = ()  # of its (btree) index, as Index.storage
    comment: str | None = None  # COMMENT ON CONSTRAINT (not on its index)


@dataclass(frozen=True, slots=True)
class UniqueConstraint:
    name: str
    columns: tuple[str, ...]
    nulls_not_distinct: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    storage: tuple[tuple[str, int | float | bool | str], ...] = ()  # of its (btree) index, as Index.storage
    comment: str | None = None  # COMMENT ON CONSTRAINT (not on its index)


@dataclass(frozen=True, slots=True)
class CheckConstraint:
    name: str
    expression: str
    no_inherit: bool = False
    validated: bool = True  # False: added NOT VALID and not validated yet
    comment: str | None = None  # COMMENT ON CONSTRAINT


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_table: QualifiedName
    ref_columns: tuple[str, ...]
    on_delete: FkAction = FkAction.NO_ACTION
    on_update: FkAction = FkAction.NO_ACTION
    deferrable: bool = False
    initially_deferred: bool = False
    validated: bool = True  # False: added NOT VALID and not validated yet
    comment: str | None = None  # COMMENT ON CONSTRAINT


@dataclass(frozen=True, slots=True)
class IndexElement:
    """One key of an index: a column name or an expression, never both."""

    column: str | None = None
    expression: str | None = None
    order: SortOrder = SortOrder.ASC
    nulls: NullsOrder | None = None  # None: the default for the order
    opclass: str | None = None
    collation: str | None = None


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    elements: tuple[IndexElement, ...]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    nulls_not_distinct: bool = False
    comment: str | None = None
    valid: bool = True  # False: a failed CREATE INDEX CONCURRENTLY left it INVALID
    # Storage parameters (WITH (fillfactor = 70)): sorted (key, value) pairs, values
    # typed (int, float, bool, or an enum's lower-case word); see ``storage``.
    storage: tuple[tuple[str, int | float | bool | str], ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    command: PolicyCommand = PolicyCommand.ALL
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    with_check: str | None = None
    comment: str | None = None  # COMMENT ON POLICY


class TriggerTiming(str, Enum):
    BEFORE = "before"
    AFTER = "after"
    INSTEAD_OF = "instead of"


class TriggerEvent(str, Enum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
    TRUNCATE = "truncate"


TRIGGER_EVENT_ORDER = (TriggerEvent.INSERT, TriggerEvent.DELETE, TriggerEvent.UPDATE, TriggerEvent.TRUNCATE)


@dataclass(frozen=True, slots=True)
class Trigger:
    """A trigger of its table. ``events`` in the server's order (insert, delete,
    update, truncate); ``columns``: the ``UPDATE OF`` list; ``when``: an
    expression over OLD/NEW; ``args``: the literal arguments the function gets
    in ``TG_ARGV``; ``enabled``: ``origin`` (the default, ``ENABLE``),
    ``disabled``, ``replica`` or ``always``."""

    name: str
    timing: TriggerTiming
    events: tuple[TriggerEvent, ...]
    function: QualifiedName
    for_each_row: bool = True
    columns: tuple[str, ...] = ()
    when: str | None = None
    args: tuple[str, ...] = ()
    enabled: str = "origin"
    comment: str | None = None  # COMMENT ON TRIGGER


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    primary_key: PrimaryKey | None = None
    uniques: tuple[UniqueConstraint, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    rls_enabled: bool = False
    rls_forced: bool = False
    policies: tuple[Policy, ...] = ()
    comment: str | None = None
    unlogged: bool = False  # CREATE UNLOGGED TABLE
    # Storage parameters as for Index; a TOAST table's as ``toast.<name>``.
    storage: tuple[tuple[str, int | float | bool | str], ...] = ()
    triggers: tuple[Trigger, ...] = ()  # by name

    @property
    def qualified(self) -> QualifiedName:
        return QualifiedName(self.schema, self.name)

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None


@dataclass(frozen=True, slots=True)
class EnumType:
    schema: str
    name: str
    values: tuple[str, ...]
    comment: str | None = None

    @property
    def qualified(self) -> QualifiedName:
        return QualifiedName(self.schema, self.name)


SEQUENCE_TYPES = ("smallint", "integer", "bigint")
SEQUENCE_BOUNDS = {"smallint": (-2**15, 2**15 - 1), "integer": (-2**31, 2**31 - 1), "bigint": (-2**63, 2**63 - 1)}


@dataclass(frozen=True, slots=True)
class Sequence:
    """A sequence that is not a serial column's own (those are ``Column.serial``).

    Every option holds its value, never "the default": the loader fills in what
    ``CREATE SEQUENCE`` would choose, the introspector reads what it chose.
    ``owned_by`` is (table, column) in the sequence's own schema (PostgreSQL
    allows no other)."""

    schema: str
    name: str
    type: str = "bigint"  # smallint | integer | bigint
    start: int = 1
    increment: int = 1
    minvalue: int = 1
    maxvalue: int = 2**63 - 1
    cache: int = 1
    cycle: bool = False
    owned_by: tuple[str, str] | None = None
    comment: str | None = None

    @property
    def qualified(self) -> QualifiedName:
        return QualifiedName(self.schema, self.name)


class Volatility(str, Enum):
    VOLATILE = "volatile"
    STABLE = "stable"
    IMMUTABLE = "immutable"


@dataclass(frozen=True, slots=True)
class FunctionArg:
    type: str  # canonical type text, as for columns
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Function:
    """A SQL or PL/pgSQL function the spec owns. Identity: schema, name and the
    argument types (``signature``). ``body`` is exactly what the server keeps in
    ``prosrc``; ``search_path`` the schemas of its ``SET search_path`` (None: no
    such setting)."""

    schema: str
    name: str
    args: tuple[FunctionArg, ...]
    returns: str
    language: str  # "sql" | "plpgsql"
    body: str
    volatility: Volatility = Volatility.VOLATILE
    strict: bool = False
    security_definer: bool = False
    search_path: tuple[str, ...] | None = None
    comment: str | None = None

    @property
    def qualified(self) -> QualifiedName:
        return QualifiedName(self.schema, self.name)

    @property
    def signature(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.schema, self.name, tuple(a.type for a in self.args))

    def display(self) -> str:  # for messages only, never for SQL
        return f"{self.schema}.{self.name}({', '.join(a.type for a in self.args)})"


@dataclass(frozen=True, slots=True)
class View:
    """A view, plain or materialized. ``query`` is one SELECT, as the spec writes it
    or as the server prints it (``pg_get_viewdef``); equal queries are brought to
    the server's spelling before the diff. ``check_option``: None, ``local`` or
    ``cascaded``. ``column_comments``: (column, comment) sorted by column.
    A materialized view has no security_invoker, security_barrier or check option;
    it may have ``indexes``."""

    schema: str
    name: str
    query: str
    security_invoker: bool = False
    security_barrier: bool = False
    check_option: str | None = None
    comment: str | None = None
    materialized: bool = False
    indexes: tuple[Index, ...] = ()  # sorted by name; materialized views only
    column_comments: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> str:
        return "materialized view" if self.materialized else "view"

    @property
    def qualified(self) -> QualifiedName:
        return QualifiedName(self.schema, self.name)


def sequence_defaults(type_: str, increment: int) -> tuple[int, int]:
    """(minvalue, maxvalue) ``CREATE SEQUENCE`` chooses for a type and increment."""
    low, high = SEQUENCE_BOUNDS[type_]
    return (1, high) if increment > 0 else (low, -1)


@dataclass(frozen=True, slots=True)
class Extension:
    name: str
    schema: str | None = None  # None: wherever CREATE EXTENSION puts it


@dataclass(frozen=True, slots=True)
class External:
    """Objects the spec references but never creates, alters or drops."""

    tables: tuple[QualifiedName, ...] = ()
    functions: tuple[QualifiedName, ...] = ()
    types: tuple[QualifiedName, ...] = ()
    roles: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schema:
    """A whole managed schema: what a spec describes or a database holds.

    ``schemas`` are the namespaces the spec creates (``public`` and other
    pre-existing namespaces are not listed). Tables and enums are sorted by
    qualified name, extensions by name.
    """

    schemas: tuple[str, ...] = ()
    extensions: tuple[Extension, ...] = ()
    enums: tuple[EnumType, ...] = ()
    tables: tuple[Table, ...] = ()
    external: External = field(default_factory=External)
    sequences: tuple[Sequence, ...] = ()  # sorted by qualified name
    functions: tuple[Function, ...] = ()  # sorted by signature
    views: tuple[View, ...] = ()  # sorted by qualified name

    def table(self, qualified: QualifiedName) -> Table | None:
        return self._tables_by_name.get(qualified)

    @cached_property
    def _tables_by_name(self) -> dict[QualifiedName, Table]:
        # A lookup per table over thousands of tables must not scan them all.
        return {t.qualified: t for t in self.tables}
