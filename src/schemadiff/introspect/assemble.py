"""The model, built from the catalog queries' rows as they arrive.

``Assembly`` takes the rows of each query of ``read.QUERY_NAMES`` in that
order, one query at a time (``add``), and turns them into the model's records
at once, so that the rows can be dropped as soon as they are read: no query's
rows are held until the end (at 10,000 tables the columns, constraints and
indexes rows took about 250 MiB). A query's rows may depend on the ones read
before it (a column on its table and on the sequence it owns), never on the
ones after. The rows of the views, their indexes and the out-of-scope list
(few) are kept until ``finish``, which builds the tables and the schema and
raises ``IntrospectError`` with every problem met, in the order met.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import replace

from .. import storage as st
from ..expressions import ExpressionError, parse_expression, references
from ..identifiers import make_object_name, quote_ident
from ..model import (
    CheckConstraint,
    Column,
    EnumType,
    Extension,
    External,
    FkAction,
    ForeignKey,
    Identity,
    Index,
    IndexElement,
    NullsOrder,
    Policy,
    PolicyCommand,
    PrimaryKey,
    QualifiedName,
    Schema,
    Sequence,
    SortOrder,
    Table,
    UniqueConstraint,
)
from ..normalize import TypeError_, parse_type, qualified_type_text, serial_default, serial_sequence, strip_outer_parens
from ..speccalls import callees
from . import routines_read
from .result import Introspection, IntrospectError, OutOfScope
from .views_read import views_from_rows

_ACTIONS = {"a": FkAction.NO_ACTION, "r": FkAction.RESTRICT, "c": FkAction.CASCADE,
            "n": FkAction.SET_NULL, "d": FkAction.SET_DEFAULT}
_COMMANDS = {"*": PolicyCommand.ALL, "r": PolicyCommand.SELECT, "a": PolicyCommand.INSERT,
             "w": PolicyCommand.UPDATE, "d": PolicyCommand.DELETE}
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")
_IDENTITY = {"a": Identity.ALWAYS, "d": Identity.BY_DEFAULT}


def _holder(r: dict) -> str:
    """What holds a name, for a message: 'index public.x on public.t'."""
    what = f"{r['kind']} {r['schema']}.{r['name']}"
    return what + (f" on {r['on_schema']}.{r['on_table']}" if r["on_table"] else "")


class Assembly:
    """The model of ``schemas`` (those that exist), built query by query."""

    def __init__(self, schemas: list[str], default_schema: str):
        self.schemas = schemas
        self.default_schema = default_schema
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.unheld: list[str] = []
        self.unwritable: list[str] = []
        self.ext_tables: set[QualifiedName] = set()
        self.ext_types: set[QualifiedName] = set()
        self.ext_roles: set[str] = set()
        self.extension_rows: list[dict] = []
        self.enums: list[EnumType] = []
        self.enum_names: set[QualifiedName] = set()
        self.sequence_rows: dict[tuple[str, str], dict] = {}
        self.absorbed: set[tuple[str, str]] = set()  # serial columns' own sequences
        self.tables: dict[tuple[str, str], dict] = {}
        self.names: dict[tuple[str, str], str] = {}
        self.function_rows: list[dict] = []
        self.trigger_rows: list[dict] = []
        self.view_rows: list[dict] = []
        self.view_index_rows: list[dict] = []
        self.out_of_scope_rows: list[tuple[str, str, str]] = []

    def add(self, name: str, rows: Iterable) -> None:
        """The rows of the query ``name``, consumed here."""
        getattr(self, f"_{name}")(rows)

    def _extensions(self, rows: Iterable[dict]) -> None:
        self.extension_rows = list(rows)

    def _enums(self, rows: Iterable[dict]) -> None:
        self.enums = [EnumType(r["schema"], r["name"], tuple(r["labels"]), r["comment"]) for r in rows]
        self.enum_names = {e.qualified for e in self.enums}

    def _tables(self, rows: Iterable[dict]) -> None:
        for r in rows:
            self.tables[(r["schema"], r["name"])] = {"row": r, "columns": [], "pk": None, "uniques": [],
                                                     "checks": [], "fks": [], "indexes": [], "policies": [],
                                                     "triggers": []}

    def _sequences(self, rows: Iterable[dict]) -> None:
        self.sequence_rows = {(r["schema"], r["name"]): r for r in rows}

    def _columns(self, rows: Iterable) -> None:
        tables, sequence_rows, enum_names = self.tables, self.sequence_rows, self.enum_names
        problems, unheld = self.problems, self.unheld
        for r in rows:
            t = tables.get((r.schema, r.table_name))
            if t is None:
                continue  # a partition or other out-of-scope relation
            # the column's name for a message, built only when one may be said (most columns: none)
            where = (f"column {r.schema}.{r.table_name}.{r.name}"
                     if r.unheld or r.identity_sequence is not None or r.not_null_constraint or r.owned_sequences
                     or r.generated_kind or r.base_typschema not in _SYSTEM_SCHEMAS
                     or r.collation_schema is not None else "")
            if r.unheld:
                unheld += [f"{where}: {what}" for what in r.unheld]
            if r.identity_sequence is not None and r.identity_sequence != serial_sequence(r.table_name, r.name):
                # a renamed table's
                unheld.append(f"{where}: IDENTITY (SEQUENCE NAME {quote_ident(r.identity_sequence)})")
            if r.not_null_constraint:
                unheld += _not_null_unheld(where, r)
            serial = False
            if r.owned_sequences:
                own = r.owned_sequences[0]
                seq_row = sequence_rows.get((own["schema"], own["name"])) or {}
                commented = seq_row.get("comment") is not None
                if _not_serial(r) is None and not commented:  # exactly serial's: the sequence is the column's
                    serial = True
                    self.absorbed.add((own["schema"], own["name"]))
                    if bool(seq_row.get("unlogged")) != bool(t["row"]["unlogged"]):  # serial's follows its table
                        unheld.append(f"sequence {own['schema']}.{own['name']}: "
                                      f"{'UNLOGGED' if seq_row.get('unlogged') else 'LOGGED'} (its table is not)")
                else:  # an explicit sequence (read below, with its comment) and the column's nextval() default
                    for owned in r.owned_sequences:
                        if (owned["schema"], owned["name"]) not in sequence_rows:
                            problems.append(f"{where} owns the sequence {owned['schema']}.{owned['name']}, which is "
                                            "in a schema not read; import that schema too")
            if r.generated_kind == "v":
                problems.append(f"{where} is a VIRTUAL generated column, which the spec language does not support yet")
                continue
            if r.base_typschema not in _SYSTEM_SCHEMAS:
                qualified = QualifiedName(r.base_typschema, r.base_typname)
                if qualified not in enum_names:
                    problem = _external_type_problem(r.type, qualified)
                    if problem:
                        problems.append(f"{where} has the type {r.type}, {problem}")
                        continue
                    self.ext_types.add(qualified)
            if r.collation_schema not in (None, "pg_catalog"):
                self.unwritable.append(f"{where} has the collation {_collation_text(r.collation, r.collation_schema)}"
                                       f"{_NOT_CATALOG_COLLATION}")
            identity = _IDENTITY.get(r.identity) if r.identity else None
            t["columns"].append(Column(
                name=sys.intern(r.name), type=sys.intern(r.type), nullable=not r.not_null,  # shared
                default=r.default_expr,
                identity=identity, generated=r.generated_expr, collation=r.collation, comment=r.comment,
                serial=serial))

    def _constraints(self, rows: Iterable) -> None:
        tables, schemas, problems, notes = self.tables, self.schemas, self.problems, self.notes
        for r in rows:
            t = tables.get((r.schema, r.table_name))
            if t is None:
                continue
            where = f"constraint {r.name} on {r.schema}.{r.table_name}"
            self.unheld += [f"{where}: {what}" for what in r.unheld or ()]
            columns = tuple(r.columns or ())
            if r.not_enforced or r.temporal:
                problems.append(f"{where} is {'NOT ENFORCED' if r.not_enforced else 'WITHOUT OVERLAPS / PERIOD'} "
                                "(PostgreSQL 18), which the spec language does not hold yet: the spec would "
                                "mean an ordinary, enforced constraint")
                continue
            key_storage: tuple = ()
            if r.type in ("p", "u"):
                key_storage, unread = st.parse_reloptions("btree", r.index_options)
                problems += [f"{where}: {p}" for p in unread]
            if r.type == "p":
                t["pk"] = PrimaryKey(r.name, columns, key_storage, r.comment)
            elif r.type == "u":
                t["uniques"].append(UniqueConstraint(r.name, columns, r.nulls_not_distinct, r.deferrable,
                                                     r.initially_deferred, key_storage, r.comment))
            elif r.type == "c":
                t["checks"].append(CheckConstraint(r.name, _expr(r.expression), False,  # NO INHERIT: listed, not held
                                                   r.validated, r.comment))
                if not r.validated:
                    notes.append(f"{where} is NOT VALID: rows added before it may break it")
            elif r.type == "f":
                if r.match_type == "f":
                    problems.append(f"{where} is MATCH FULL, which the spec language does not support yet")
                    continue
                target = QualifiedName(r.ref_schema, r.ref_table)
                if target.schema not in schemas or (target.schema, target.name) not in tables:
                    self.ext_tables.add(target)
                t["fks"].append(ForeignKey(
                    r.name, columns, target, tuple(r.ref_columns or ()), _ACTIONS[r.on_delete],
                    _ACTIONS[r.on_update], r.deferrable, r.initially_deferred, r.validated, r.comment))
                if not r.validated:
                    notes.append(f"{where} is NOT VALID: rows added before it may break it")

    def _indexes(self, rows: Iterable) -> None:
        tables, problems, unheld, unwritable = self.tables, self.problems, self.unheld, self.unwritable
        for r in rows:
            t = tables.get((r.schema, r.table_name))
            if t is None:
                continue
            elements = []
            for k in r.keys or []:
                if k.get("collation_schema") not in (None, "pg_catalog"):
                    unwritable.append(f"index {r.schema}.{r.name} has a key with the collation "
                                      f"{_collation_text(k['collation'], k['collation_schema'])}"
                                      f"{_NOT_CATALOG_COLLATION}")
                desc = bool(k["desc"])
                nulls_first = bool(k["nulls_first"])
                nulls = None
                if desc and not nulls_first:
                    nulls = NullsOrder.LAST
                elif not desc and nulls_first:
                    nulls = NullsOrder.FIRST
                elements.append(IndexElement(
                    column=k["column"], expression=_expr(k["expression"]) if k["expression"] else None,
                    order=SortOrder.DESC if desc else SortOrder.ASC, nulls=nulls,
                    opclass=k["opclass"], collation=k["collation"]))
            if not r.valid:
                self.notes.append(f"index {r.schema}.{r.name} is INVALID (a failed concurrent build); "
                                  "it does not serve queries")
            if r.tablespace:
                unheld.append(f"index {r.schema}.{r.name}: {r.tablespace}")
            unheld += [f"index {r.schema}.{r.name}: {what}" for what in r.unheld or ()]
            storage, unread = st.parse_reloptions(r.method, r.options)
            problems += [f"index {r.schema}.{r.name}: {p}" for p in unread]
            t["indexes"].append(Index(r.name, tuple(elements), r.is_unique, r.method, _expr(r.predicate),
                                      tuple(r.include or ()), r.nulls_not_distinct, r.comment, r.valid,
                                      storage))

    def _policies(self, rows: Iterable[dict]) -> None:
        for r in rows:
            t = self.tables.get((r["schema"], r["table_name"]))
            if t is None:
                continue
            roles = tuple(sorted(r["roles"]))
            self.ext_roles.update(role for role in roles if role != "public")
            policy = Policy(r["name"], _COMMANDS[r["command"]], r["permissive"], roles,
                            _expr(r["using_expr"]), _expr(r["with_check_expr"]), r["comment"])
            t["policies"].append(policy)

    def _out_of_scope(self, rows: Iterable[dict]) -> None:
        self.out_of_scope_rows = [(r["kind"], r["schema"], r["name"]) for r in rows]

    def _relation_names(self, rows: Iterable[dict]) -> None:
        self.names = {(r["schema"], r["name"]): _holder(r) for r in rows}

    def _functions(self, rows: Iterable[dict]) -> None:
        self.function_rows = list(rows)

    def _triggers(self, rows: Iterable[dict]) -> None:
        self.trigger_rows = list(rows)

    def _views(self, rows: Iterable[dict]) -> None:
        self.view_rows = list(rows)

    def _view_indexes(self, rows: Iterable[dict]) -> None:
        self.view_index_rows = list(rows)

    def finish(self) -> Introspection:
        """The model; or ``IntrospectError`` with every problem met."""
        tables, problems, unheld = self.tables, self.problems, self.unheld
        ext_functions: set[QualifiedName] = set()
        imported: set[tuple[str, str, str]] = set()  # (kind, schema, name as out_of_scope.sql writes it)
        for r in self.trigger_rows:
            t = tables.get((r["schema"], r["table_name"]))
            trigger = None if t is None else routines_read.trigger(r)
            if trigger is not None:
                t["triggers"].append(trigger)
                imported.add(("trigger", r["schema"], f"{r['name']} on {r['table_name']}"))
        functions = []
        for r in self.function_rows:
            fn = routines_read.function(r)
            if fn is not None:
                functions.append(fn)
                imported.add(("function", r["schema"], f"{r['name']}({r['identity_args']})"))

        # a query may call the functions read here
        views, imported_views = views_from_rows(self.view_rows, self.view_index_rows, callees(functions))
        imported |= imported_views
        own = {fn.qualified for fn in functions}
        ext_functions.update(tr.function for t in tables.values() for tr in t["triggers"] if tr.function not in own)

        built: list[Table] = []
        for (schema_name, table_name), t in sorted(tables.items()):
            r = t["row"]
            unheld += [f"table {schema_name}.{table_name}: {what}" for what in r["unheld"] or ()]
            storage, unread = st.parse_reloptions(st.HEAP, r["options"])
            toast, toast_unread = st.parse_reloptions(st.HEAP, r["toast_options"], prefix=st.TOAST_PREFIX)
            problems += [f"table {schema_name}.{table_name}: {p}" for p in unread + toast_unread]
            table = Table(
                schema=schema_name, name=table_name, columns=tuple(t["columns"]), primary_key=t["pk"],
                uniques=tuple(sorted(t["uniques"], key=lambda u: u.name)),
                checks=tuple(sorted(t["checks"], key=lambda c: c.name)),
                foreign_keys=tuple(sorted(t["fks"], key=lambda k: k.name)),
                indexes=tuple(sorted(t["indexes"], key=lambda i: i.name)),
                rls_enabled=r["rls_enabled"], rls_forced=r["rls_forced"],
                policies=tuple(sorted(t["policies"], key=lambda p: p.name)), comment=r["comment"],
                unlogged=r["unlogged"], storage=tuple(sorted(storage + toast)),
                triggers=tuple(sorted(t["triggers"], key=lambda tr: tr.name)))
            built.append(table)
            ext_functions.update(f for f in _qualified_functions(table) if f not in own)  # own: the spec's (speccalls)

        if problems:
            raise IntrospectError(problems)

        extensions = tuple(Extension(r["name"], None if r["schema"] == self.default_schema else r["schema"])
                           for r in self.extension_rows)
        schema = Schema(
            schemas=tuple(sorted(set(self.schemas) - {"public"})),
            extensions=extensions,
            enums=tuple(sorted(self.enums, key=lambda e: e.qualified)),
            tables=tuple(built),
            external=External(tables=tuple(sorted(self.ext_tables)), functions=tuple(sorted(ext_functions)),
                              types=tuple(sorted(self.ext_types)), roles=tuple(sorted(self.ext_roles))),
            functions=tuple(sorted(functions, key=lambda fn: fn.signature)),
            views=tuple(sorted(views, key=lambda v: v.qualified)),
        )
        out = [OutOfScope(*key) for key in self.out_of_scope_rows if key not in imported]
        sequence_rows = self.sequence_rows
        sequences, orphans = sequences_from_rows(sequence_rows, self.absorbed, set(tables))
        unheld += [f"sequence {q.schema}.{q.name}: UNLOGGED" for q in sequences
                   if sequence_rows[(q.schema, q.name)].get("unlogged")]  # CREATE SEQUENCE makes it logged
        out = sorted(out + orphans, key=lambda o: (o.schema, o.kind, o.name))
        schema = replace(schema, sequences=sequences)
        return Introspection(schema=schema, out_of_scope=out, notes=self.notes, unheld=sorted(unheld),
                             unwritable=sorted(self.unwritable), names=self.names)


_INT_MAX = {"smallint": 2**15 - 1, "integer": 2**31 - 1, "bigint": 2**63 - 1}


def _not_serial(r: dict) -> str | None:
    """Why a column that owns a sequence is not a serial column as ``CREATE TABLE
    … serial`` makes it (so the spec's ``type: serial`` would mean something
    else), or None when it is one."""
    sequences = r.owned_sequences
    shown = ", ".join(f"{s['schema']}.{s['name']}" for s in sequences)
    if len(sequences) != 1:
        return f"owns {len(sequences)} sequences ({shown})"
    s = sequences[0]
    expected = serial_sequence(r.table_name, r.name)
    if r.type not in _INT_MAX:
        return f"owns the sequence {shown} but is of type {r.type}, not smallint, integer or bigint"
    if s["schema"] != r.schema or s["name"] != expected:
        return f"owns the sequence {shown}, not {r.schema}.{expected} (the name serial would give it)"
    if r.default_expr != serial_default(r.schema, r.table_name, r.name):
        default = r.default_expr
        return (f"owns the sequence {shown} but its default is "
                f"{'nothing' if default is None else default}, not nextval() of it")
    if not r.not_null or r.identity or r.generated_kind:
        return f"owns the sequence {shown} but is {'nullable' if not r.not_null else 'an identity or generated column'}"
    wanted = {"type": r.type, "start": "1", "increment": "1", "min": "1", "max": str(_INT_MAX[r.type]),
              "cache": "1", "cycle": False}
    differ = [f"{key} {s[key]} (serial: {value})" for key, value in wanted.items() if s[key] != value]
    if differ:
        return f"owns the sequence {shown}, whose options are not serial's: {', '.join(differ)}"
    return None


def _expr(text: str | None) -> str | None:
    return None if text is None else strip_outer_parens(text)


def _external_type_problem(type_text: str, qualified: QualifiedName) -> str | None:
    """Why a spec could not write an external type's ``format_type`` text back
    exactly (a modifier its typmodout prints as other than integers, such as
    PostGIS's ``geometry(Point,4326)``), or None."""
    try:
        parsed = parse_type(type_text)
    except TypeError_:
        parsed = None
    if parsed is None or qualified_type_text(qualified.schema, qualified.name, parsed.array,
                                             parsed.typmods) != type_text:
        return ("whose modifier the spec language writes only as integers in parentheses, "
                "as format_type prints them for types like pgvector's vector(384)")
    return None


def _not_null_unheld(where: str, r: dict) -> list[str]:
    """What the spec's ``nullable: false`` does not say of a NOT NULL constraint
    (PostgreSQL 18): a name other than ``<table>_<column>_not_null``, NO INHERIT, NOT VALID."""
    nn = r.not_null_constraint
    if not nn:
        return []
    out = []
    if nn["name"] != make_object_name(r.table_name, r.name, "not_null"):
        out.append(f"{where}: NOT NULL constraint named {quote_ident(nn['name'])}")
    if nn["no_inherit"]:
        out.append(f"{where}: NOT NULL NO INHERIT")
    if not nn["validated"]:
        out.append(f"{where}: NOT NULL NOT VALID (rows added before it may hold NULL)")
    return out


_NOT_CATALOG_COLLATION = (", which is not one of pg_catalog: the spec language names a collation only by its "
                          "pg_catalog name, and would mean another one")


def _collation_text(qualified: str, schema: str) -> str:
    """``schema.name`` of the catalog query -> ``"schema"."name"`` as SQL would write it."""
    return f"{quote_ident(schema)}.{quote_ident(qualified[len(schema) + 1:])}"


def sequences_from_rows(rows: dict[tuple[str, str], dict], absorbed: set[tuple[str, str]],
                        tables: set[tuple[str, str]]) -> tuple[tuple[Sequence, ...], list[OutOfScope]]:
    """The sequences of ``queries/sequences.sql`` that are not a serial column's own;
    one owned by a column of a table not read (a partition, another schema's) is
    out of scope, like its table."""
    found: list[Sequence] = []
    orphans: list[OutOfScope] = []
    for key in sorted(rows):
        if key in absorbed:
            continue
        r = rows[key]
        owner = None
        if r["owner_table"] is not None:
            if (r["owner_schema"], r["owner_table"]) not in tables or r["owner_schema"] != r["schema"]:
                orphans.append(OutOfScope("sequence", r["schema"], r["name"]))
                continue
            owner = (r["owner_table"], r["owner_column"])
        found.append(Sequence(r["schema"], r["name"], r["type"], int(r["start"]), int(r["increment"]),
                              int(r["minvalue"]), int(r["maxvalue"]), int(r["cache"]), bool(r["cycle"]), owner,
                              r["comment"]))
    return tuple(found), orphans


def _qualified_functions(table: Table) -> set[QualifiedName]:
    """Schema-qualified functions the table's expressions call (outside pg_catalog)."""
    texts = [c.default for c in table.columns] + [c.generated for c in table.columns]
    texts += [c.expression for c in table.checks] + [ix.where for ix in table.indexes]
    texts += [e.expression for ix in table.indexes for e in ix.elements]
    texts += [p.using for p in table.policies] + [p.with_check for p in table.policies]
    found: set[QualifiedName] = set()
    for text in texts:
        if not text or "." not in text:  # a schema-qualified name holds a dot
            continue
        try:
            refs = references(parse_expression(text))
        except ExpressionError:
            continue
        for func in refs.functions:
            if len(func) == 2 and func[0] not in _SYSTEM_SCHEMAS:
                found.add(QualifiedName(func[0], func[1]))
    return found
