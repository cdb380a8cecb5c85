"""One table file -> one ``model.Table``."""

from __future__ import annotations

import difflib
import sys
from dataclasses import replace
from functools import lru_cache

from ..expressions import fits_default, is_null_constant, references
from ..fkcheck import type_problem
from ..funcpolicy import catalog_opclasses
from ..identifiers import NameSyntaxError, choose_name, column_names_part
from ..model import (
    CheckConstraint, Column, FkAction, ForeignKey, Identity, Index, IndexElement, NullsOrder,
    Policy, PolicyCommand, PrimaryKey, QualifiedName, SortOrder, Table, UniqueConstraint,
)
from ..normalize import serial_base, serial_default
from ..relnames import with_queries
from .. import storage as st
from . import format as f
from .context import FileContext
from .names import parse_reference
from .resolve import ResolveError, Resolver, check_identifier

_INTEGER_TYPES = ("smallint", "integer", "bigint")
# Types with no default btree operator class: no PRIMARY KEY, UNIQUE or plain index on them.
_NO_BTREE = frozenset({"json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle"})


def _no_btree(type_text: str) -> bool:
    return type_text.removesuffix("[]") in _NO_BTREE


@lru_cache(maxsize=4096)
def _shorthand_column(type_text: str) -> f.ColumnSpec:
    """``name: TYPE`` as ``{type: TYPE}``, once per text (the models are frozen: one value serves
    every column written so)."""
    return f.ColumnSpec(type=type_text)


@lru_cache(maxsize=65536)
def _shorthand_index_key(column: str) -> f.IndexColumnSpec:
    """An index key written as a column name, as ``{column: NAME}``, once per name (frozen, as above)."""
    return f.IndexColumnSpec(column=column)


def _with_queries(text: str) -> list[str]:
    """``relnames.with_queries``, not asked where it finds nothing: a WITH query is written with
    the keyword WITH, which PostgreSQL's scanner matches folding ASCII letters only, so a text
    without ``with`` in any case holds none (and is not parsed a third time)."""
    return with_queries(text) if "with" in text.lower() else []


def sql_literal_default(value) -> str:
    """YAML scalars as SQL: true/false, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return repr(value)


def _null_cast_type(tree: dict) -> tuple[str, bool] | None:
    """For ``NULL::T`` (the outermost cast of a NULL): T as a spec type name and
    whether it has a modifier (``varchar(10)``); None for a bare NULL."""
    if "TypeCast" not in tree:
        return None
    type_name = tree["TypeCast"].get("typeName") or {}
    names = [n["String"].get("sval", "") for n in type_name.get("names") or () if "String" in n]
    text = ".".join(names) + "[]" * len(type_name.get("arrayBounds") or ())
    return text, bool(type_name.get("typmods"))


def _string_constant(tree: dict) -> str | None:
    """The text of ``'x'`` or ``'x'::type`` (a default's string constant), else None."""
    if "TypeCast" in tree:
        tree = tree["TypeCast"].get("arg") or {}
    const = tree.get("A_Const") if isinstance(tree, dict) else None
    if isinstance(const, dict) and "sval" in const:
        return const["sval"].get("sval", "")
    return None


class TableBuilder:
    """Builds a table in two passes: ``declare`` (names only, so that foreign
    keys can point at any table) and ``build`` (everything else)."""

    def __init__(self, spec: f.TableSpec, ctx: FileContext, resolver: Resolver):
        self.spec = spec
        self.ctx = ctx
        self.resolver = resolver
        self.qualified = QualifiedName(spec.schema_ or resolver.default_schema, spec.table)
        self.where = f"table {self.qualified}"
        self.column_names = list(spec.columns)
        self._named = frozenset(self.column_names)  # for membership: the list keeps the order
        self._types: dict[str, str] = {}  # column -> type, of the columns built so far (``column_types``)
        self.columns: list[Column] = []
        self.pk: PrimaryKey | None = None
        self.uniques: list[UniqueConstraint] = []
        self.checks: list[CheckConstraint] = []
        self.fks: list[ForeignKey] = []
        self.indexes: list[Index] = []
        self.policies: list[Policy] = []
        self._pending_fks: list[tuple] = []
        self.paths: dict[str, tuple] = {}  # constraint name -> where the spec declares it

    # -- helpers -----------------------------------------------------------
    def err(self, path: tuple, message: str, hint: str = "", sub: str = "", key: bool = False) -> None:
        where = self.where + (f", {sub}" if sub else "")
        self.ctx.error(path, message, where, hint, key=key)

    def comment(self, path: tuple, text: str | None, sub: str) -> str | None:
        """A constraint's, policy's or trigger's ``comment:``: as a column's, never empty
        (``COMMENT … IS ''`` removes a comment, so the spec would never match)."""
        if text == "":
            self.err(path + ("comment",), "an empty comment; leave the key out instead", sub=sub)
        return text or None

    def known_columns(self, names, path: tuple, sub: str, what: str) -> bool:
        ok = True
        seen = set()
        for i, name in enumerate(names):
            if name not in self._named:
                hint = ""
                folded = [c for c in self.column_names if c.lower() == name.lower()]
                if folded:
                    hint = f"did you mean {folded[0]!r}? names are exact"
                self.err(path + (i,), f"{what}: no column {name!r} in this table", hint, sub)
                ok = False
            if name in seen:
                self.err(path + (i,), f"{what}: column {name!r} listed twice", sub=sub)
                ok = False
            seen.add(name)
        return ok

    def btree_columns(self, names, path: tuple, sub: str, what: str) -> bool:
        """Key columns of a primary key, unique constraint or btree index need
        a type with a default btree operator class."""
        ok = True
        types = self.column_types()
        for i, name in enumerate(names):
            type_text = types.get(name)
            if type_text is not None and _no_btree(type_text):
                hint = "use jsonb, which has equality and indexing" if type_text.startswith("json") else ""
                self.err(path + (i,) if path[-1] != "unique" else path, f"{what}: column {name!r} is of type {type_text}, "
                         "which has no btree operator class (no equality for keys)", hint, sub)
                ok = False
        return ok

    def column_types(self) -> dict[str, str]:
        """Column name -> type, of the columns built so far (a column's type never changes once
        built, and columns are only added)."""
        if len(self._types) != len(self.columns):
            self._types = {c.name: c.type for c in self.columns}
        return self._types

    def resolve(self, path: tuple, sub: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ResolveError as exc:
            self.err(path, str(exc), exc.hint, sub)
        except NameSyntaxError as exc:
            self.err(path, str(exc), sub=sub)
        return None

    # -- pass 1 ------------------------------------------------------------
    def declare(self) -> None:
        for what, name, path in [("schema name", self.qualified.schema, ("schema",)),
                                 ("table name", self.qualified.name, ("table",))]:
            self.resolve(path, "", check_identifier, name, what)
        for name in self.column_names:
            try:
                check_identifier(name, "column name")
            except ResolveError as exc:
                self.err(("columns", name), str(exc), exc.hint, key=True)

    # -- pass 2 ------------------------------------------------------------
    def build_columns(self, taken: set[str]) -> None:
        spec, table = self.spec, self.qualified.name
        pk_columns: list[str] = []
        for name, raw in spec.columns.items():
            path = ("columns", name)
            sub = f"column {name}"
            col = raw if isinstance(raw, f.ColumnSpec) else _shorthand_column(raw)
            type_path = path + ("type",) if not isinstance(raw, str) else path
            serial = serial_base(col.type)
            if serial is not None:
                type_text = serial
            else:
                type_text = self.resolve(type_path, sub, self.resolver.type_text, col.type)
            nullable = col.nullable
            explicit_nullable = "nullable" in col.model_fields_set
            default = None
            if col.default is not None:
                default = self.default_expression(col.default, path + ("default",), sub, type_text)
            if serial is not None:
                for key, given in (("default", col.default is not None), ("identity", col.identity is not None),
                                   ("generated", col.generated is not None)):
                    if given:
                        self.err(path + (key,), f"a {col.type.strip()} column has its own default (the next value "
                                 f"of its sequence); it cannot also have `{key}`", sub=sub)
                if explicit_nullable and nullable:
                    self.err(path + ("nullable",), f"a {col.type.strip()} column is always NOT NULL", sub=sub)
                nullable = False
                default = serial_default(self.qualified.schema, table, name)
            identity = Identity(col.identity) if col.identity else None
            if identity and serial is None:
                if type_text is not None and type_text not in _INTEGER_TYPES:
                    self.err(path + ("identity",), f"an identity column must be smallint, integer or bigint, not {type_text}", sub=sub)
                if col.default is not None:
                    self.err(path + ("default",), "an identity column cannot also have a default", sub=sub)
                if explicit_nullable and nullable:
                    self.err(path + ("nullable",), "an identity column is always NOT NULL", sub=sub)
                nullable = False
            generated = None
            if col.generated is not None and serial is None:
                if col.default is not None or identity:
                    self.err(path + ("generated",), "a generated column cannot have a default or identity", sub=sub)
                parsed = self.resolve(path + ("generated",), sub, self.resolver.expression, col.generated,
                                      what="generated expression", context="generated")
                if parsed is not None:
                    used = self.resolve(path + ("generated",), sub, self.resolver.check_columns, parsed,
                                        self.column_names, table, what="generated expression")
                    for other in used or ():
                        other_spec = spec.columns[other]
                        if other == name or (isinstance(other_spec, f.ColumnSpec) and other_spec.generated):
                            self.err(path + ("generated",), f"generated expression: cannot use generated column {other!r}", sub=sub)
                    generated = col.generated
            if col.primary_key:
                if explicit_nullable and nullable:
                    self.err(path + ("nullable",), "a primary key column cannot be nullable", sub=sub)
                pk_columns.append(name)
                nullable = False
            if (col.unique or col.primary_key) and type_text and _no_btree(type_text):
                self.err(path + ("unique" if col.unique else "primary_key",),
                         f"{'unique' if col.unique else 'primary key'}: column {name!r} is of type {type_text}, "
                         "which has no btree operator class (no equality for keys)",
                         "use jsonb, which has equality and indexing" if type_text.startswith("json") else "", sub)
            elif col.unique:
                self.uniques.append(UniqueConstraint(choose_name(table, name, "key", taken), (name,)))
                taken.add(self.uniques[-1].name)
                self.paths[self.uniques[-1].name] = path + ("unique",)
            if col.check is not None:
                parsed = self.resolve(path + ("check",), sub, self.resolver.expression, col.check, what="check",
                                     context="check")
                if parsed is not None and self.resolve(path + ("check",), sub, self.resolver.check_columns, parsed,
                                                       self.column_names, table, what="check") is not None:
                    cname = choose_name(table, name, "check", taken)
                    taken.add(cname)
                    self.checks.append(CheckConstraint(cname, col.check))
            if col.references is not None:
                self._pending_fks.append((path + ("references",), sub, (name,), col.references, None,
                                          col.on_delete, col.on_update, False, False, None))
            elif col.on_delete or col.on_update:
                self.err(path + ("on_delete" if col.on_delete else "on_update",),
                         "on_delete/on_update need `references`", sub=sub)
            if col.comment is not None and col.comment == "":
                self.err(path + ("comment",), "an empty comment; leave the key out instead", sub=sub)
            self.columns.append(Column(
                name=sys.intern(name), type=sys.intern(type_text or col.type), nullable=nullable,  # shared
                default=default,
                identity=None if serial else identity, generated=generated, collation=col.collation,
                comment=col.comment, serial=serial is not None))
        if pk_columns and spec.primary_key is not None:
            self.err(("primary_key",), "the primary key is declared both on a column and on the table", key=True)
        if len(pk_columns) > 1:
            self.err(("columns", pk_columns[1], "primary_key"),
                     "more than one column says primary_key: true",
                     hint=f"for a composite key write `primary_key: [{', '.join(pk_columns)}]` on the table")
        elif pk_columns:
            self.pk = PrimaryKey(choose_name(table, None, "pkey", taken), (pk_columns[0],))
            taken.add(self.pk.name)

    def default_expression(self, value, path: tuple, sub: str, type_text: str | None = None) -> str | None:
        if not isinstance(value, str):
            return sql_literal_default(value)
        parsed = self.resolve(path, sub, self.resolver.expression, value, what="default",
                              context="default")
        if parsed is None:
            if value and " " not in value.strip() and not value.strip().startswith("'"):
                self.ctx.issues[-1] = type(self.ctx.issues[-1])(
                    self.ctx.issues[-1].mark, self.ctx.issues[-1].message, self.ctx.issues[-1].where,
                    f"a default is a SQL expression; for the text {value!r} write: default: \"'{value}'\"")
            return None
        refs = references(parsed)
        if parsed.kind == "ColumnRef" and len(refs.columns) == 1 and len(refs.columns[0]) == 1:
            word = value.strip()
            self.err(path, f"default {word!r} reads as a column reference, not as text", sub=sub,
                     hint=f"a default is a SQL expression; for the text write: default: \"'{word}'\"")
            return None
        if is_null_constant(parsed):
            cast = _null_cast_type(parsed.tree)
            if cast is None:
                self.err(path, "default NULL is no default (PostgreSQL does not store it)", sub=sub,
                         hint="leave `default:` out")
                return None
            # A NULL cast to another type (NULL::character varying on a text column, or to a
            # length: NULL::varchar(10)) is stored as written; one of the column's own type is not.
            names, modified = cast
            try:
                same = not modified and type_text is not None and self.resolver.type_text(names) == type_text
            except ResolveError:
                same = False
            if same:
                self.err(path, f"default {value.strip()} is no default (PostgreSQL does not store a NULL of the "
                         "column's own type)", sub=sub, hint="leave `default:` out")
                return None
        if refs.columns:
            self.err(path, "a default cannot refer to columns", sub=sub,
                     hint="use a generated column to compute a value from other columns")
            return None
        if refs.subqueries:
            self.err(path, "a default cannot hold a subquery", sub=sub)
            return None
        label = _string_constant(parsed.tree)
        # only a string constant can miss the enum's labels
        enum = self.resolver.enum_typed(type_text) if label is not None and type_text is not None else None
        if enum is not None and label is not None and label not in enum[1].values:  # the server would reject it
            close = difflib.get_close_matches(label, list(enum[1].values), n=1, cutoff=0.6)
            self.err(path, f"default {label!r} is not a value of the enum {enum[0]} "
                     f"({', '.join(enum[1].values)})", sub=sub, hint=f"did you mean {close[0]!r}?" if close else "")
            return None
        if not fits_default(parsed):
            self.err(path, "default: PostgreSQL's grammar does not take this expression after DEFAULT as it is",
                     sub=sub, hint=f"wrap it in parentheses: default: \"({value.strip()})\"")
            return None
        return value

    def build_table_constraints(self, taken: set[str]) -> None:
        spec, table = self.spec, self.qualified.name
        if spec.primary_key is not None:
            pk = spec.primary_key if isinstance(spec.primary_key, f.PrimaryKeySpec) else f.PrimaryKeySpec(columns=spec.primary_key)
            path = ("primary_key",) + (("columns",) if isinstance(spec.primary_key, f.PrimaryKeySpec) else ())
            if (self.known_columns(pk.columns, path, "primary key", "primary key")
                    and self.btree_columns(pk.columns, path, "primary key", "primary key")):
                name = pk.name or choose_name(table, None, "pkey", taken)
                taken.add(name)
                self.pk = PrimaryKey(name, tuple(pk.columns),
                                     self.storage(pk.storage, "btree", ("primary_key", "storage"), "primary key"),
                                     self.comment(("primary_key",), pk.comment, "primary key"))
                self.columns = [
                    c if c.name not in pk.columns else replace(c, nullable=False)
                    for c in self.columns
                ]
                for cname in pk.columns:
                    raw = spec.columns.get(cname)
                    if isinstance(raw, f.ColumnSpec) and "nullable" in raw.model_fields_set and raw.nullable:
                        self.err(("columns", cname, "nullable"), "a primary key column cannot be nullable",
                                 sub=f"column {cname}")
        for i, raw in enumerate(spec.unique):
            u = raw if isinstance(raw, f.UniqueSpec) else f.UniqueSpec(columns=raw)
            path = ("unique", i) + (("columns",) if isinstance(raw, f.UniqueSpec) else ())
            if not self.known_columns(u.columns, path, "unique", "unique"):
                continue
            if not self.btree_columns(u.columns, path, "unique", "unique"):
                continue
            name = u.name or choose_name(table, column_names_part(u.columns), "key", taken)
            taken.add(name)
            if u.initially_deferred and not u.deferrable:
                self.err(("unique", i, "initially_deferred"), "initially_deferred needs deferrable: true", sub="unique")
            self.uniques.append(UniqueConstraint(name, tuple(u.columns), u.nulls_not_distinct, u.deferrable,
                                                 u.initially_deferred,
                                                 self.storage(u.storage, "btree", ("unique", i, "storage"), "unique"),
                                                 self.comment(("unique", i), u.comment, "unique")))
            self.paths[name] = ("unique", i)
        for i, raw in enumerate(spec.checks):
            c = raw if isinstance(raw, f.CheckSpec) else f.CheckSpec(expression=raw)
            path = ("checks", i) + (("expression",) if isinstance(raw, f.CheckSpec) else ())
            parsed = self.resolve(path, "check", self.resolver.expression, c.expression, what="check",
                                 context="check")
            if parsed is None:
                continue
            used = self.resolve(path, "check", self.resolver.check_columns, parsed, self.column_names, table,
                                what="check")
            if used is None:
                continue
            name = c.name or choose_name(table, used[0] if len(used) == 1 else None, "check", taken)
            taken.add(name)
            self.checks.append(CheckConstraint(name, c.expression,
                                               comment=self.comment(("checks", i), c.comment, "check")))
        for i, fk in enumerate(spec.foreign_keys):
            self._pending_fks.append((("foreign_keys", i), "foreign key", tuple(fk.columns), fk.references,
                                      fk.name, fk.on_delete, fk.on_update, fk.deferrable, fk.initially_deferred,
                                      self.comment(("foreign_keys", i), fk.comment, "foreign key")))

    def build_foreign_keys(self, taken: set[str], tables: dict[QualifiedName, "TableBuilder"],
                           external_tables: set[QualifiedName]) -> None:
        table = self.qualified.name
        for (path, sub, columns, reference, name, on_delete, on_update, deferrable, initially_deferred,
             comment) in self._pending_fks:
            ref_path = path if path[-1] == "references" else path + ("references",)
            if not self.known_columns(list(columns), path + (("columns",) if path[0] == "foreign_keys" else ()),
                                      sub, "foreign key"):
                continue
            try:
                target, ref_columns = parse_reference(reference, self.resolver.default_schema)
            except NameSyntaxError as exc:
                self.err(ref_path, str(exc), sub=sub)
                continue
            if target in tables:
                target_builder = tables[target]
                if not ref_columns:
                    if target_builder.pk is None:
                        self.err(ref_path, f"{target} has no primary key; name the referenced columns", sub=sub)
                        continue
                    ref_columns = target_builder.pk.columns
                missing = [c for c in ref_columns if c not in target_builder.column_names]
                if missing:
                    self.err(ref_path, f"{target} has no column {missing[0]!r}", sub=sub)
                    continue
                keys = [set(target_builder.pk.columns)] if target_builder.pk else []
                keys += [set(u.columns) for u in target_builder.uniques]
                keys += [set(e.column for e in ix.elements) for ix in target_builder.indexes
                         if ix.unique and ix.where is None and all(e.column for e in ix.elements)]
                if set(ref_columns) not in keys:
                    self.err(ref_path, f"{target}({', '.join(ref_columns)}) is not a primary key or unique constraint",
                             sub=sub, hint="PostgreSQL requires a unique key on the referenced columns")
                    continue
            elif target in external_tables:
                if not ref_columns:
                    self.err(ref_path, f"name the referenced columns of the external table {target}: "
                             f"{target.name}(id)", sub=sub)
                    continue
            else:
                same = [t for t in list(tables) + list(external_tables)
                        if str(t).lower() == str(target).lower()]
                if same:
                    self.err(ref_path, f"references {target}, which does not exist", sub=sub,
                             hint=f"did you mean {same[0]}? names are exact")
                    continue
                known = sorted(str(t) for t in list(tables) + list(external_tables))
                self.err(ref_path, f"references {target}, which the spec neither defines nor declares external",
                         sub=sub, hint=f"list it under `external: tables: [{target}]` in schemadiff.yaml"
                         + (f" (known: {', '.join(known[:6])})" if known else ""))
                continue
            if len(ref_columns) != len(columns):
                self.err(ref_path, f"{len(columns)} column(s) reference {len(ref_columns)} column(s)", sub=sub)
                continue
            if target in tables and self._fk_types(ref_path, sub, columns, tables[target], ref_columns):
                continue
            for event, action in (("DELETE", on_delete), ("UPDATE", on_update)):
                if action != "set null":
                    continue
                for cname in columns:  # legal (PostgreSQL takes it, and databases hold it), but suspicious
                    col = next(c for c in self.columns if c.name == cname)
                    if not col.nullable:
                        self.ctx.warn(path, f"ON {event} SET NULL on NOT NULL column {cname!r}: every {event.lower()} "
                                      "of a referenced row fails instead", self.where + f", {sub}",
                                      hint="make the column nullable, or use another action (cascade, restrict)")
            if initially_deferred and not deferrable:
                self.err(path, "initially_deferred needs deferrable: true", sub=sub)
            fk_name = name or choose_name(table, column_names_part(columns), "fkey", taken)
            taken.add(fk_name)
            self.fks.append(ForeignKey(
                fk_name, tuple(columns), target, tuple(ref_columns),
                FkAction(on_delete or "no action"), FkAction(on_update or "no action"),
                deferrable, initially_deferred, comment=comment))

    def _fk_types(self, path, sub, columns, target: "TableBuilder", ref_columns) -> bool:
        """Reports (and says True) when PostgreSQL could not implement the key (``fkcheck``)."""
        enums = self.resolver.enum_type_texts()
        mine = self.column_types()
        theirs = target.column_types()
        bad = False
        for a, b in zip(columns, ref_columns):
            if a in mine and b in theirs:
                problem = type_problem(self.qualified.name, a, mine[a], str(target.qualified), b, theirs[b], enums)
                if problem is not None:
                    self.err(path, problem, sub=sub, hint=f"give {a} the type of {target.qualified.name}.{b}")
                    bad = True
        return bad

    def build_indexes(self) -> None:
        table = self.qualified.name
        for name, raw in self.spec.indexes.items():
            sub = f"index {name}"
            path = ("indexes", name)
            self.resolve(path, sub, check_identifier, name, "index name")
            ix = raw if isinstance(raw, f.IndexSpec) else f.IndexSpec(columns=raw)
            cols_path = path + (("columns",) if isinstance(raw, f.IndexSpec) else ())
            elements = []
            for i, key in enumerate(ix.columns):
                kpath = cols_path + (i,)
                k = key if isinstance(key, f.IndexColumnSpec) else _shorthand_index_key(key)
                if (k.column is None) == (k.expression is None):
                    self.err(kpath, "an index key has either `column` or `expression`", sub=sub)
                    continue
                if k.column is not None:
                    if not self.known_columns([k.column], kpath[:-1] if isinstance(key, str) else kpath,
                                              sub, "index"):
                        continue
                else:
                    parsed = self.resolve(kpath + ("expression",), sub, self.resolver.expression, k.expression,
                                          what="index expression", context="index")
                    if parsed is None or self.resolve(kpath + ("expression",), sub, self.resolver.check_columns,
                                                      parsed, self.column_names, table,
                                                      what="index expression") is None:
                        continue
                if k.column is not None and ix.method == "btree" and not k.opclass:
                    if not self.btree_columns([k.column], kpath[:-1] if isinstance(key, str) else kpath,
                                              sub, "index"):
                        continue
                if k.opclass and "." not in k.opclass and k.opclass not in catalog_opclasses():
                    self.err(kpath + ("opclass",), f"operator class {k.opclass!r} is not one of pg_catalog's",
                             sub=sub, hint=f"qualify an extension's operator class with the schema it is installed "
                                           f"in: public.{k.opclass} (migrations run with search_path = pg_catalog)")
                    continue
                nulls = NullsOrder(k.nulls) if k.nulls else None
                order = SortOrder(k.order)
                # The default NULLS placement for the order is not stored.
                if (order is SortOrder.ASC and nulls is NullsOrder.LAST) or (order is SortOrder.DESC and nulls is NullsOrder.FIRST):
                    nulls = None
                elements.append(IndexElement(k.column, k.expression, order, nulls, k.opclass, k.collation))
            where = None
            if ix.where is not None:
                parsed = self.resolve(path + ("where",), sub, self.resolver.expression, ix.where, what="index predicate",
                                      context="index")
                if parsed is not None and self.resolve(path + ("where",), sub, self.resolver.check_columns, parsed,
                                                       self.column_names, table, what="index predicate") is not None:
                    where = ix.where
            if ix.include:
                self.known_columns(ix.include, path + ("include",), sub, "include")
            if ix.nulls_not_distinct and not ix.unique:
                self.err(path + ("nulls_not_distinct",), "nulls_not_distinct applies to unique indexes only", sub=sub)
            if ix.method != "btree" and any(e.order is SortOrder.DESC or e.nulls for e in elements):
                self.err(path, f"a {ix.method} index has no sort order", sub=sub)
            self.indexes.append(Index(name, tuple(elements), ix.unique, ix.method, where, tuple(ix.include),
                                      ix.nulls_not_distinct, ix.comment,
                                      storage=self.storage(ix.storage, ix.method, path + ("storage",), sub)))

    def storage(self, spec, kind: str, path: tuple, sub: str = "") -> tuple:
        """Storage parameters as the model holds them: keys PostgreSQL gives this kind of
        relation (a table's, or an index method's), values typed and in range."""
        pairs = []
        for key, value in f.storage_pairs(spec):
            p = st.param(kind, key)
            if p is None:
                methods = [m for m in st.INDEX_METHODS if st.param(m, key) is not None]
                self.err(path + (key,), f"a {kind} index has no storage parameter {key!r}", sub=sub, key=True,
                         hint=f"{key} applies to {', '.join(methods)} indexes" if methods else "")
                continue
            if key.startswith(st.TOAST_PREFIX) and all(st.fixed_length(c.type) for c in self.columns):
                self.err(path + (key,), f"{key}: this table has no TOAST table (no column of a variable-length "
                         "type), so PostgreSQL would discard the parameter", sub=sub, key=True,
                         hint="leave it out until the table has a text, varchar, numeric, jsonb or array column")
                continue
            try:
                pairs.append((key, st.check_value(p, value)))
            except st.StorageError as exc:
                self.err(path + (key,), str(exc), sub=sub)
        return tuple(sorted(pairs))

    def build_rls(self) -> None:
        rls = self.spec.rls
        if rls is None:
            return
        for name, p in rls.policies.items():
            path = ("rls", "policies", name)
            sub = f"policy {name}"
            self.resolve(path, sub, check_identifier, name, "policy name")
            roles = []
            for i, role in enumerate(p.to):
                resolved = self.resolve(path + ("to", i), sub, self.resolver.role, role)
                if resolved is not None:
                    roles.append(resolved)
            if "public" in roles and len(roles) > 1:
                self.err(path + ("to",), "`public` already means every role", sub=sub)
            command = PolicyCommand(p.for_)
            if command is PolicyCommand.INSERT and p.using is not None:
                self.err(path + ("using",), "an INSERT policy has only `with_check`", sub=sub)
            if command in (PolicyCommand.SELECT, PolicyCommand.DELETE) and p.with_check is not None:
                self.err(path + ("with_check",), f"a {command.value.upper()} policy has only `using`", sub=sub)
            if p.using is None and p.with_check is None:
                self.err(path, "a policy needs `using` or `with_check`", sub=sub)
            for key in ("using", "with_check"):
                text = getattr(p, key)
                if text is not None:
                    parsed = self.resolve(path + (key,), sub, self.resolver.expression, text, what=f"policy {key}",
                                           context="policy")
                    ctes = _with_queries(text) if parsed is not None else []
                    if ctes:  # apply's guard admits schema-qualified tables only
                        self.err(path + (key,), f"policy {key}: a WITH query ({', '.join(ctes)}) is "
                                 "not supported in a policy", hint="write it as a plain subquery", sub=sub)
                    if parsed is not None:  # column names outside subqueries are this table's
                        self.resolve(path + (key,), sub, self.resolver.check_columns, parsed, self.column_names,
                                     self.qualified.name, what=f"policy {key}", allow_subqueries=True)
            self.policies.append(Policy(name, command, p.as_ == "permissive", tuple(sorted(set(roles))),
                                        p.using, p.with_check, self.comment(path, p.comment, sub)))

    def result(self) -> Table:
        spec = self.spec
        return Table(
            schema=self.qualified.schema, name=self.qualified.name, columns=tuple(self.columns),
            primary_key=self.pk,
            uniques=tuple(sorted(self.uniques, key=lambda u: u.name)),
            checks=tuple(sorted(self.checks, key=lambda c: c.name)),
            foreign_keys=tuple(sorted(self.fks, key=lambda k: k.name)),
            indexes=tuple(sorted(self.indexes, key=lambda i: i.name)),
            rls_enabled=bool(spec.rls and spec.rls.enabled),
            rls_forced=bool(spec.rls and spec.rls.forced),
            policies=tuple(sorted(self.policies, key=lambda p: p.name)),
            comment=spec.comment,
            unlogged=spec.unlogged,
            storage=self.storage(spec.storage, st.HEAP, ("storage",)),
        )
