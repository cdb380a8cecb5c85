"""The spec file format, as pydantic models.

These models are the single definition of what a spec file may say: the loader
validates against them and ``schemas/*.json`` is generated from them. They hold
the text as written; ``spec.build`` turns it into the canonical model.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, create_model

from .. import storage as st

from .chars import check_expression_chars, check_identifier_text, check_name_chars, check_opclass, check_text_chars

FORMAT_VERSION = 1

# Every string type says which characters it may hold (spec/chars.py): no spec
# string carries NUL, terminal escapes or bidirectional overrides into SQL or output.
Name = Annotated[StrictStr, Field(min_length=1), AfterValidator(check_name_chars)]
# One identifier (a table, column, role, constraint…): also at most 63 bytes, which
# PostgreSQL would otherwise truncate silently.
Ident = Annotated[StrictStr, Field(min_length=1), AfterValidator(check_identifier_text)]
Expr = Annotated[StrictStr, Field(min_length=1, description="One SQL expression, written as SQL."),
                 AfterValidator(check_expression_chars)]
Text = Annotated[StrictStr, AfterValidator(check_text_chars)]
ExprText = Annotated[StrictStr, AfterValidator(check_expression_chars)]
Opclass = Annotated[StrictStr, Field(min_length=1, description="An operator class: `text_pattern_ops`, or "
                                                                "`schema.name` for an extension's."),
                    AfterValidator(check_opclass)]
Action = Literal["no action", "restrict", "cascade", "set null", "set default"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class ColumnSpec(_Strict):
    """A column. The shorthand `name: TYPE` means `{type: TYPE}` (nullable, no default)."""

    type: Name = Field(description="A PostgreSQL type: `text`, `varchar(255)`, `numeric(12,2)`, "
                                   "`timestamptz`, `text[]`, the name of an enum of the spec, or `serial`, "
                                   "`bigserial`, `smallserial` (an integer column, NOT NULL, defaulting to the next "
                                   "value of the sequence `<table>_<column>_seq` it owns).")
    nullable: StrictBool = Field(True, description="false adds NOT NULL.")
    default: Union[ExprText, StrictBool, int, float, None] = Field(
        None,
        description="A SQL expression: `now()`, `gen_random_uuid()`, `0`, `false`. A text literal "
                    "keeps its SQL quotes: `default: \"'system'\"`.")
    primary_key: StrictBool = Field(False, description="This column alone is the primary key.")
    unique: StrictBool = Field(False, description="A UNIQUE constraint on this column alone.")
    check: Expr | None = Field(None, description="A CHECK constraint on this column (a SQL boolean expression).")
    references: ExprText | None = Field(
        None, description="A foreign key: `table(column)` or `schema.table(column)`; `table` alone means its primary key.")
    on_delete: Action | None = None
    on_update: Action | None = None
    identity: Literal["always", "by default"] | None = Field(
        None, description="GENERATED ALWAYS / BY DEFAULT AS IDENTITY.")
    generated: Expr | None = Field(None, description="GENERATED ALWAYS AS (expression) STORED.")
    collation: Ident | None = Field(None, description="A collation name, exact: `C`, `en_US`.")
    comment: Text | None = None


def _storage_field(p: st.Param, key: str):
    what = {"int": "a whole number", "real": "a number", "bool": "true or false",
            "enum": " | ".join(p.values)}[p.type]
    bounds = f" ({p.low:g} to {p.high:g})" if p.low is not None else ""
    since = f"; PostgreSQL {p.since}+" if p.since else ""
    lock = "" if p.online else "; changed on an existing object only by a reviewed migration (ACCESS EXCLUSIVE)"
    description = f"{what}{bounds}{since}{lock}"
    if p.type == "int":
        return Annotated[StrictInt, Field(ge=p.low, le=p.high)], Field(None, alias=key, description=description)
    if p.type == "real":
        return Annotated[Union[StrictInt, StrictFloat], Field(ge=p.low, le=p.high)], Field(None, alias=key, description=description)
    if p.type == "bool":
        return StrictBool, Field(None, alias=key, description=description)
    return Union[Literal[p.values], StrictBool], Field(None, alias=key, description=description)  # type: ignore[valid-type]


def _storage_model(name: str, doc: str, keys, kind_of) -> type[BaseModel]:
    fields = {}
    for key in keys:
        type_, info = _storage_field(kind_of(key), key)
        fields[key.replace(".", "__")] = (type_ | None, info)
    model = create_model(name, __config__=ConfigDict(extra="forbid", frozen=True), __doc__=doc, **fields)
    return model


def _index_param(key: str) -> st.Param:
    return next(p for m in st.INDEX_METHODS for p in [st.param(m, key)] if p is not None)


TableStorageSpec = _storage_model(
    "TableStorageSpec", "Storage parameters: CREATE TABLE … WITH (…). A TOAST table's as `toast.<name>`.",
    st.TABLE_KEYS, lambda key: st.param(st.HEAP, key))
IndexStorageSpec = _storage_model(
    "IndexStorageSpec", "Storage parameters: CREATE INDEX … WITH (…); each applies to the methods PostgreSQL "
    "gives it (fillfactor: btree, hash, gist, spgist; deduplicate_items: btree; fastupdate, "
    "gin_pending_list_limit: gin; buffering: gist; pages_per_range, autosummarize: brin).",
    st.INDEX_KEYS, _index_param)


def storage_pairs(spec: BaseModel | None) -> list[tuple[str, object]]:
    """The parameters a storage spec sets, as (key, value) in the order the model declares them:
    the same in every process (a set of field names iterates in an order that depends on the
    hash seed and on how the set was built, as when a spec comes back unpickled)."""
    if spec is None:
        return []
    given = spec.model_fields_set
    return [(field.alias or name, getattr(spec, name))
            for name, field in type(spec).model_fields.items() if name in given and getattr(spec, name) is not None]


class IndexColumnSpec(_Strict):
    """One key of an index: `column` or `expression`, with its order."""

    column: Ident | None = None
    expression: Expr | None = None
    order: Literal["asc", "desc"] = "asc"
    nulls: Literal["first", "last"] | None = None
    opclass: Opclass | None = None
    collation: Ident | None = None


IndexKey = Union[Ident, IndexColumnSpec]


class IndexSpec(_Strict):
    """An index. The shorthand `name: [col, ...]` means `{columns: [col, ...]}`."""

    columns: list[IndexKey] = Field(min_length=1, description="Column names, or `{column|expression, order, nulls}` keys.")
    unique: StrictBool = False
    method: Literal["btree", "hash", "gist", "gin", "spgist", "brin"] = "btree"
    where: Expr | None = Field(None, description="The predicate of a partial index.")
    include: list[Ident] = Field(default_factory=list, description="Non-key columns (INCLUDE).")
    nulls_not_distinct: StrictBool = False
    comment: Text | None = None
    storage: IndexStorageSpec | None = Field(None, description="Storage parameters: `{fillfactor: 70}`.")


class PrimaryKeySpec(_Strict):
    columns: list[Ident] = Field(min_length=1)
    name: Ident | None = None
    storage: IndexStorageSpec | None = Field(None, description="Storage parameters of its index: `{fillfactor: 70}`.")
    comment: Text | None = Field(None, description="COMMENT ON CONSTRAINT.")


class UniqueSpec(_Strict):
    columns: list[Ident] = Field(min_length=1)
    name: Ident | None = None
    nulls_not_distinct: StrictBool = False
    deferrable: StrictBool = False
    initially_deferred: StrictBool = False
    storage: IndexStorageSpec | None = Field(None, description="Storage parameters of its index: `{fillfactor: 70}`.")
    comment: Text | None = Field(None, description="COMMENT ON CONSTRAINT.")


class CheckSpec(_Strict):
    expression: Expr
    name: Ident | None = None
    comment: Text | None = Field(None, description="COMMENT ON CONSTRAINT.")


class ForeignKeySpec(_Strict):
    columns: list[Ident] = Field(min_length=1)
    references: ExprText = Field(description="`table(col, ...)` or `schema.table(col, ...)`.")
    name: Ident | None = None
    on_delete: Action | None = None
    on_update: Action | None = None
    deferrable: StrictBool = False
    initially_deferred: StrictBool = False
    comment: Text | None = Field(None, description="COMMENT ON CONSTRAINT.")


class PolicySpec(_Strict):
    """A row-level security policy."""

    for_: Literal["all", "select", "insert", "update", "delete"] = Field("all", alias="for")
    to: list[Ident] = Field(default_factory=lambda: ["public"], description="Roles; `public` means everyone.")
    as_: Literal["permissive", "restrictive"] = Field("permissive", alias="as")
    using: Expr | None = None
    with_check: Expr | None = None
    comment: Text | None = Field(None, description="COMMENT ON POLICY.")


class RlsSpec(_Strict):
    enabled: StrictBool = Field(True, description="ALTER TABLE … ENABLE ROW LEVEL SECURITY.")
    forced: StrictBool = Field(False, description="Also apply policies to the table's owner (FORCE).")
    policies: dict[Ident, PolicySpec] = Field(default_factory=dict)


class TriggerSpec(_Strict):
    """A trigger of this table. It calls a function of the spec (or an external one)."""

    timing: Literal["before", "after", "instead of"] = Field(description="BEFORE, AFTER or INSTEAD OF.")
    events: list[Literal["insert", "update", "delete", "truncate"]] = Field(
        min_length=1, description="The events that fire it.")
    update_of: list[Ident] = Field(default_factory=list, description="`UPDATE OF` these columns only.")
    for_each: Literal["row", "statement"] = Field("row", description="FOR EACH ROW or FOR EACH STATEMENT.")
    when: Expr | None = Field(None, description="A condition over OLD and NEW: `OLD.status IS DISTINCT FROM NEW.status`.")
    function: Name = Field(description="The trigger function, `name` or `schema.name` (it takes no arguments).")
    args: list[Text] = Field(default_factory=list, description="Text arguments, given to the function as TG_ARGV.")
    enabled: Literal["origin", "disabled", "replica", "always"] = Field(
        "origin", description="`origin` (ENABLE, the default), `disabled`, `replica` or `always`.")
    comment: Text | None = Field(None, description="COMMENT ON TRIGGER.")


class TableSpec(_Strict):
    """One table, in a file of its own."""

    table: Ident = Field(description="The table's exact name (`Lead` is the table SQL writes as \"Lead\").")
    schema_: Ident | None = Field(None, alias="schema", description="Defaults to the root's `schema`.")
    comment: Text | None = None
    columns: dict[Ident, Union[ColumnSpec, Name]] = Field(
        default_factory=dict, description="Columns in order: `name: TYPE` or `name: {type: ..., ...}`. "
                                          "A table may have none (`CREATE TABLE t ()`): leave the key out.")
    primary_key: Union[list[Ident], PrimaryKeySpec, None] = None
    unique: list[Union[list[Ident], UniqueSpec]] = Field(default_factory=list)
    checks: list[Union[Expr, CheckSpec]] = Field(default_factory=list)
    foreign_keys: list[ForeignKeySpec] = Field(default_factory=list)
    indexes: dict[Ident, Union[list[IndexKey], IndexSpec]] = Field(default_factory=dict)
    rls: RlsSpec | None = None
    unlogged: StrictBool = Field(False, description="CREATE UNLOGGED TABLE: not written to the WAL, emptied "
                                                    "after a crash, not replicated.")
    storage: TableStorageSpec | None = Field(None, description="Storage parameters: `{fillfactor: 80, "
                                                               "autovacuum_vacuum_scale_factor: 0.05}`.")
    triggers: dict[Ident, TriggerSpec] = Field(default_factory=dict, description="Triggers by name.")


class ArgumentSpec(_Strict):
    type: Name = Field(description="The argument's type, as for a column.")
    name: Ident | None = None


class FunctionSpec(_Strict):
    """One function, in a file of its own (`functions/NAME.yaml`). Its identity is
    its name with its argument types."""

    function: Ident = Field(description="The function's exact name.")
    schema_: Ident | None = Field(None, alias="schema", description="Defaults to the root's `schema`.")
    arguments: list[Union[Name, ArgumentSpec]] = Field(
        default_factory=list, description="Input arguments in order: `TYPE` or `{name: ..., type: ...}`; "
                                          "a type without modifier (`character varying`, not `varchar(20)`).")
    returns: Name = Field(description="The return type: `trigger`, `void`, or a type as for a column, without modifier")
    language: Literal["sql", "plpgsql"]
    volatility: Literal["volatile", "stable", "immutable"] = "volatile"
    strict: StrictBool = Field(False, description="RETURNS NULL ON NULL INPUT.")
    security: Literal["invoker", "definer"] = Field(
        "invoker", description="SECURITY DEFINER needs `search_path` ending with `pg_temp`.")
    search_path: list[Ident] | None = Field(
        None, description="SET search_path of the function: the schemas in order, no pg_* schema but "
                          "pg_catalog, and pg_temp only last (`[pg_catalog, public, pg_temp]`).")
    comment: Text | None = None
    body: Text = Field(description="The body exactly as the server keeps it (`prosrc`): a literal block scalar "
                                   "(`body: |`); its white space counts.")


class ViewColumnSpec(_Strict):
    """A column of a view: only its comment (the query gives its name and type)."""

    comment: Text = Field(description="COMMENT ON COLUMN view.column.")


class ViewSpec(_Strict):
    """One view, in a file of its own (`views/NAME.yaml`); `materialized: true` makes it a
    materialized view (created WITH NO DATA; plan lists the REFRESH for you to run)."""

    view: Ident = Field(description="The view's exact name.")
    schema_: Ident | None = Field(None, alias="schema", description="Defaults to the root's `schema`.")
    materialized: StrictBool = Field(False, description="A materialized view: created WITH NO DATA, filled by a "
                                                        "REFRESH MATERIALIZED VIEW you run when you choose.")
    query: Text = Field(description="One SELECT; every table or view it reads schema-qualified (`public.t`).")
    security_invoker: StrictBool = Field(False, description="Check permissions as the querying user (PG 15+; "
                                                            "plain views only).")
    security_barrier: StrictBool = Field(False, description="Plain views only.")
    check_option: Literal["local", "cascaded"] | None = Field(None, description="WITH LOCAL/CASCADED CHECK OPTION "
                                                                                "(plain views only).")
    comment: Text | None = None
    columns: dict[Ident, ViewColumnSpec] = Field(
        default_factory=dict, description="Comments on the view's columns: `{total: {comment: Sum of the lines.}}`.")
    indexes: dict[Ident, Union[list[IndexKey], IndexSpec]] = Field(
        default_factory=dict, description="Indexes of a materialized view, as a table's (a unique one on plain "
                                          "columns, without `where`, allows REFRESH … CONCURRENTLY).")


class EnumSpec(_Strict):
    values: list[Text] = Field(min_length=1)
    schema_: Ident | None = Field(None, alias="schema")
    comment: Text | None = None


class SequenceSpec(_Strict):
    """A sequence of its own (a `serial` column's sequence is the column's, not listed here).
    Every option left out is what `CREATE SEQUENCE` would choose."""

    schema_: Ident | None = Field(None, alias="schema", description="Defaults to the root's `schema`.")
    type: Literal["smallint", "integer", "bigint"] = Field("bigint", description="AS smallint | integer | bigint.")
    start: StrictInt | None = Field(None, description="START WITH; defaults to minvalue (maxvalue when descending).")
    increment: StrictInt = Field(1, description="INCREMENT BY; not 0.")
    minvalue: StrictInt | None = Field(None, description="Defaults to 1 (the type's minimum when descending).")
    maxvalue: StrictInt | None = Field(None, description="Defaults to the type's maximum (-1 when descending).")
    cache: StrictInt = Field(1, description="CACHE; at least 1.")
    cycle: StrictBool = Field(False, description="CYCLE: wrap around at the end instead of failing.")
    owned_by: Name | None = Field(None, description="`table.column` in the sequence's schema: dropping the column "
                                                     "drops the sequence (OWNED BY).")
    comment: Text | None = None


class ExtensionSpec(_Strict):
    name: Ident
    schema_: Ident | None = Field(None, alias="schema")


class ExternalSpec(_Strict):
    """Objects that exist already and are referenced, never created or changed."""

    tables: list[Name] = Field(default_factory=list, description="FK targets: `tenant`, `auth.users`.")
    functions: list[Name] = Field(default_factory=list, description="Functions called by expressions: `auth.uid`.")
    types: list[Name] = Field(default_factory=list, description="Types used by columns: `public.citext`.")
    roles: list[Ident] = Field(default_factory=list, description="Roles named by policies: `authenticated`.")
    schemas: list[Ident] = Field(default_factory=list, description="Schemas that exist already (not created).")


class RootSpec(_Strict):
    """The spec root, `schemadiff.yaml`."""

    version: Literal[1] = Field(description="The spec format version.")
    schema_: Ident = Field("public", alias="schema", description="The schema of unqualified names.")
    schemas: list[Ident] = Field(default_factory=list, description="Schemas the spec creates.")
    extensions: list[Union[Ident, ExtensionSpec]] = Field(default_factory=list)
    enums: dict[Ident, Union[list[Text], EnumSpec]] = Field(default_factory=dict)
    sequences: dict[Ident, SequenceSpec] = Field(
        default_factory=dict, description="Sequences by name: `order_number_seq: {start: 1000}`.")
    external: ExternalSpec = Field(default_factory=ExternalSpec)
