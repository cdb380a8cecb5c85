"""A plan -> its validation script, dispatched by change type.

``validation_sql(plan, stem, source)`` is one read-only ``DO`` block that
raises when anything the migration adds is missing or not valid;
``validation_checks(plan)`` are its checks, ``(what, a boolean SQL expression
true when it is in place)``, in plan order. Each change type maps, in
``_CHECKS``, to its checks; every lookup goes through ``to_regclass`` /
``to_regtype`` and catalog joins, so a missing object is reported, never an
error of its own. A change type with no entry raises ``NoValidation``.
See docs/migrations.md, "The validation script".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pglast import parse_plpgsql
from pglast.parser import ParseError

from .. import changes as c
from ..identifiers import quote_literal, quote_qualified
from ..model import QualifiedName
from .rollback import generated_by
from .verify import PIN_STRINGS, CompileError, Expect, checked

if TYPE_CHECKING:  # plan imports compile: the type only, never at run time
    from ..plan import Plan


class NoValidation(Exception):
    """A change the validation cannot check; the message says which."""


def _q(name: QualifiedName) -> str:
    return quote_qualified(name.schema, name.name)


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


# A constraint's, policy's or trigger's catalog: (catalog, its oid, its table's oid, its name).
_MEMBER_CATALOGS = {"constraint": ("pg_constraint", "oid", "conrelid", "conname"),
                    "policy": ("pg_policy", "oid", "polrelid", "polname"),
                    "trigger": ("pg_trigger", "oid", "tgrelid", "tgname")}


def _member_comments(t) -> list[tuple[str, str]]:
    keys = ((t.primary_key,) if t.primary_key is not None else ()) + t.uniques + t.checks + t.foreign_keys
    members = [("constraint", x) for x in keys] + [("policy", p) for p in t.policies] + \
              [("trigger", tr) for tr in t.triggers]
    return [_comment_check(kind, t.qualified, x.name, x.comment) for kind, x in members if x.comment is not None]


def _comment_check(kind: str, obj: QualifiedName, column: str | None, text: str | None) -> tuple[str, str]:
    expected = "NULL" if text is None else quote_literal(text)
    if kind == "column":
        actual = (f"(SELECT col_description(attrelid, attnum) FROM pg_attribute WHERE attrelid = {_rel(obj)} "
                  f"AND attname = {quote_literal(column)})")
        what = f"column {obj}.{column}"
    elif kind in _MEMBER_CATALOGS:
        catalog, oid, rel, name = _MEMBER_CATALOGS[kind]
        actual = (f"(SELECT obj_description({oid}, {quote_literal(catalog)}) FROM {catalog} "
                  f"WHERE {rel} = {_rel(obj)} AND {name} = {quote_literal(column)})")
        what = f"{kind} {column} on {obj}"
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


def _sequence_check(seq) -> tuple[str, str]:
    """The sequence exists with the options (and owner) the spec gives."""
    owner = "true"
    if seq.owned_by is not None:
        table = QualifiedName(seq.schema, seq.owned_by[0])
        owner = (f"EXISTS (SELECT 1 FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid "
                 f"AND a.attnum = d.refobjsubid WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid "
                 f"AND d.deptype = 'a' AND d.refobjid = {_rel(table)} AND a.attname = {quote_literal(seq.owned_by[1])})")
    return (f"sequence {seq.qualified} ({seq.type}, {seq.minvalue}..{seq.maxvalue} by {seq.increment})",
            _exists(f"pg_sequence s WHERE s.seqrelid = {_rel(seq.qualified)} "
                    f"AND format_type(s.seqtypid, NULL) = {quote_literal(seq.type)} "
                    f"AND s.seqincrement = {seq.increment:d} AND s.seqmin = {seq.minvalue:d} "
                    f"AND s.seqmax = {seq.maxvalue:d} AND s.seqcache = {seq.cache:d} "
                    f"AND s.seqcycle = {'true' if seq.cycle else 'false'} AND {owner}"))


def _function_check(fn) -> tuple[str, str]:
    signature = f"{_q(fn.qualified)}({', '.join(a.type for a in fn.args)})"
    return (f"function {fn.display()}",
            _exists(f"pg_proc WHERE oid = to_regprocedure({quote_literal(signature)}) "
                    f"AND prosrc = {quote_literal(fn.body)}"))


def _trigger_check(table: QualifiedName, tr) -> tuple[str, str]:
    state = {"origin": "O", "disabled": "D", "replica": "R", "always": "A"}[tr.enabled]
    return (f"trigger {tr.name} on {table} ({tr.enabled})",
            _exists(f"pg_trigger WHERE tgrelid = {_rel(table)} AND tgname = {quote_literal(tr.name)} "
                    f"AND tgenabled = {quote_literal(state)}"))


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
    out += [_trigger_check(q, tr) for tr in t.triggers]
    if t.comment is not None:
        out.append(_comment_check("table", q, None, t.comment))
    out += [_comment_check("column", q, col.name, col.comment) for col in t.columns if col.comment is not None]
    out += [_comment_check("index", QualifiedName(q.schema, ix.name), None, ix.comment)
            for ix in t.indexes if ix.comment is not None]
    out += _member_comments(t)
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


def _storage_checks(ch: c.SetStorageParameter) -> list[tuple[str, str]]:
    """The parameter as the migration set it, in pg_class.reloptions (its TOAST table's for toast.*)."""
    from .. import storage as st

    p = st.param(ch.kind, ch.key)
    if p is None:
        raise NoValidation(f"{ch.key} is not a storage parameter of a {ch.kind} relation")
    rel = _rel(ch.table if ch.index is None else QualifiedName(ch.table.schema, ch.index))
    key = ch.key
    if key.startswith(st.TOAST_PREFIX):
        rel, key = f"(SELECT reltoastrelid FROM pg_class WHERE oid = {rel})", key[len(st.TOAST_PREFIX):]
    text = f"{key}={st.render_value(p, st.check_value(p, ch.after))}"
    return [(f"storage parameter {ch.key} of {ch.target()}",
             _exists(f"pg_class WHERE oid = {rel} AND {quote_literal(text)} = ANY(reloptions)"))]


def _key_comment(table: QualifiedName, con) -> list[tuple[str, str]]:
    return [_comment_check("constraint", table, con.name, con.comment)] if con.comment is not None else []


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
    c.AddCheck: lambda ch: [_constraint_check(ch.table, ch.check.name, "c")] + _key_comment(ch.table, ch.check),
    c.ReplaceCheck: lambda ch: [_constraint_check(ch.table, ch.after.name, "c")] + _key_comment(ch.table, ch.after),
    c.AddForeignKey: lambda ch: [_constraint_check(ch.table, ch.foreign_key.name, "f")]
    + _key_comment(ch.table, ch.foreign_key),
    c.AddPrimaryKey: lambda ch: [_constraint_check(ch.table, ch.primary_key.name, "p")],
    c.AddUnique: lambda ch: [_constraint_check(ch.table, ch.unique.name, "u")] + _key_comment(ch.table, ch.unique),
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
    c.SetStorageParameter: _storage_checks,
    c.AddSequence: lambda ch: [_sequence_check(ch.sequence)],
    c.AlterSequence: lambda ch: [_sequence_check(ch.after)],
    c.AddFunction: lambda ch: [_function_check(ch.function)] + (
        [(f"comment on function {ch.function.display()}", _function_comment(ch.function, ch.function.comment))]
        if ch.function.comment is not None else []),
    c.AddView: lambda ch: _view_checks(ch.view),
    c.SetFunctionComment: lambda ch: [(f"comment on function {ch.function.display()}",
                                       _function_comment(ch.function, ch.after))],
}


def _view_checks(v) -> list[tuple[str, str]]:
    """A new view (relkind v) or materialized view (relkind m), its indexes, its comments."""
    relkind = "'m'" if v.materialized else "'v'"
    out = [(f"{v.kind} {v.qualified}", _exists(f"pg_class WHERE oid = {_rel(v.qualified)} AND relkind = {relkind}"))]
    out += [_index_check(v.qualified, ix.name) for ix in v.indexes]
    out += [_comment_check("index", QualifiedName(v.schema, ix.name), None, ix.comment) for ix in v.indexes
            if ix.comment is not None]
    if v.comment is not None:
        out.append(_comment_check(v.kind, v.qualified, None, v.comment))
    out += [_comment_check("column", v.qualified, column, text) for column, text in v.column_comments]
    return out


def _function_comment(fn, text: str | None) -> str:
    signature = f"{_q(fn.qualified)}({', '.join(a.type for a in fn.args)})"
    expected = "NULL" if text is None else quote_literal(text)
    return (f"obj_description(to_regprocedure({quote_literal(signature)}), 'pg_proc') "
            f"IS NOT DISTINCT FROM {expected}")


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
            raise NoValidation(f"no validation for {type(step.change).__name__} ({step.change.target()})")
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
        generated_by("Validation of migration", stem, source),
        "-- Read-only: raises an error when anything the migration adds is missing or not valid",
        "-- (run it after the migration: psql -v ON_ERROR_STOP=1 -f FILE); it changes nothing.",
        PIN_STRINGS,
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
    _check_block("\n".join(lines[lines.index(f"DO {tag}"):-1]), stem)
    return "\n".join(lines) + "\n"


def _check_block(do_sql: str, stem: str) -> None:
    """The DO block is one DO statement, and its body PL/pgSQL that parses."""
    checked(do_sql.rstrip(";"), Expect("DoStmt", None, f"validation of {stem}"))
    try:
        parse_plpgsql(f"CREATE FUNCTION f() RETURNS void AS {do_sql.removeprefix('DO ').rstrip(';')} "
                      "LANGUAGE plpgsql")
    except ParseError as exc:
        raise CompileError(f"the validation block does not parse as PL/pgSQL ({exc})", f"validation of {stem}") from None


__all__ = ["NoValidation", "validation_checks", "validation_sql"]
