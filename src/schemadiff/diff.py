"""``diff(current, desired) -> [Change]``: pure, deterministic, complete.

Complete means it also produces the destructive changes (a dropped column, a
removed enum value), so the rules can refuse them by name. Objects are matched
by qualified name; expressions are compared as text, so callers first bring
equal expressions to one spelling (``convergence``). The order is fixed:
schemas, extensions, enums, sequences, then tables by name and, within a table, columns,
keys, checks, foreign keys, indexes, row level security, policies, comments.
"""

from __future__ import annotations

from dataclasses import replace

from . import changes as c
from .model import SERIAL_TYPES, EnumType, Index, Schema, Table


def diff(current: Schema, desired: Schema) -> list[c.Change]:
    out: list[c.Change] = []
    out += [c.AddSchema(s) for s in desired.schemas if s not in current.schemas]

    cur_ext = {x.name: x for x in current.extensions}
    des_ext = {x.name: x for x in desired.extensions}
    out += [c.AddExtension(des_ext[n]) for n in sorted(des_ext) if n not in cur_ext]
    out += [c.DropExtension(cur_ext[n]) for n in sorted(cur_ext) if n not in des_ext]

    cur_enums = {e.qualified: e for e in current.enums}
    des_enums = {e.qualified: e for e in desired.enums}
    for q in sorted(des_enums):
        if q not in cur_enums:
            out.append(c.AddEnum(des_enums[q]))
        else:
            out += _enum(cur_enums[q], des_enums[q])
    out += [c.DropEnum(cur_enums[q]) for q in sorted(cur_enums) if q not in des_enums]

    out += diff_sequences(current, desired)
    out += diff_functions(current, desired)

    cur_tables = {t.qualified: t for t in current.tables}
    des_tables = {t.qualified: t for t in desired.tables}
    for q in sorted(set(cur_tables) | set(des_tables)):
        if q not in cur_tables:
            out.append(c.AddTable(des_tables[q]))
        elif q not in des_tables:
            out.append(c.DropTable(cur_tables[q]))
        elif cur_tables[q] != des_tables[q]:  # equal tables (most of them) have no changes
            out += diff_table(cur_tables[q], des_tables[q])
    out += diff_views(current, desired)
    return out


_VIEW_ASPECTS = ("materialized", "query", "security_invoker", "security_barrier", "check_option", "indexes")


def _matview_indexes(q, cur, des) -> list[c.Change]:
    """A new index of an existing materialized view is added (CONCURRENTLY, SD107); a
    changed one is replaced (SD404), an INVALID one rebuilt (SD111) and a removed one
    dropped (drift), as a table's."""
    out: list[c.Change] = []
    cur_ix = {ix.name: ix for ix in cur.indexes}
    des_ix = {ix.name: ix for ix in des.indexes}
    for name in sorted(des_ix):
        if name not in cur_ix:
            out.append(c.AddIndex(q, des_ix[name], on=des.kind))
        elif _index_shape(cur_ix[name]) != _index_shape(des_ix[name]):
            out.append(c.ReplaceIndex(q, cur_ix[name], des_ix[name], on=des.kind))
        elif not cur_ix[name].valid:
            out.append(c.RebuildInvalidIndex(q, des_ix[name], on=des.kind))
    out += [c.DropIndex(q, cur_ix[n], on=des.kind) for n in sorted(cur_ix) if n not in des_ix]
    return out


def diff_views(current: Schema, desired: Schema) -> list[c.Change]:
    out: list[c.Change] = []
    cur = {v.qualified: v for v in current.views}
    des = {v.qualified: v for v in desired.views}
    for q in sorted(des):
        v = des[q]
        if q not in cur:
            out.append(c.AddView(v))
            continue
        old = replace(cur[q], indexes=tuple(_index_shape(ix) for ix in cur[q].indexes))
        new = replace(v, indexes=tuple(_index_shape(ix) for ix in v.indexes))
        aspects = tuple(a for a in _VIEW_ASPECTS if getattr(old, a) != getattr(new, a))
        if aspects in ((), ("indexes",)) and v.materialized:  # only its indexes: judged one by one, as a table's
            out += _matview_indexes(q, cur[q], v)
            aspects = ()
        if aspects:
            out.append(c.ReplaceView(cur[q], v, aspects))
            continue  # replaced whole: its comments are the new view's
        out += _comment(v.kind, q, None, cur[q].comment, v.comment)
        before = dict(cur[q].column_comments)
        after = dict(v.column_comments)
        for column in sorted(set(before) | set(after)):
            if before.get(column) != after.get(column):
                out.append(c.SetComment("column", q, column, before.get(column), after.get(column), v.kind))
        ixs = {ix.name: ix for ix in cur[q].indexes}
        for ix in v.indexes:
            if ix.name in ixs:  # a new one carries its comment
                out += _comment("index", type(q)(q.schema, ix.name), None, ixs[ix.name].comment, ix.comment)
    out += [c.DropView(cur[q]) for q in sorted(cur) if q not in des]
    return out


_FUNCTION_ASPECTS = ("body", "returns", "language", "volatility", "strict", "security_definer", "search_path")


def diff_functions(current: Schema, desired: Schema) -> list[c.Change]:
    """Functions matched by signature (schema, name, argument types): a new
    signature is a new function, whatever else has the same name."""
    out: list[c.Change] = []
    cur = {fn.signature: fn for fn in current.functions}
    des = {fn.signature: fn for fn in desired.functions}
    for sig in sorted(des):
        fn = des[sig]
        if sig not in cur:
            out.append(c.AddFunction(fn))
            continue
        old = cur[sig]
        aspects = tuple(a for a in _FUNCTION_ASPECTS if getattr(old, a) != getattr(fn, a))
        if aspects or [a.name for a in old.args] != [a.name for a in fn.args]:
            out.append(c.ReplaceFunction(old, fn, aspects or ("argument names",)))
        if old.comment != fn.comment:
            out.append(c.SetFunctionComment(fn, old.comment, fn.comment))
    out += [c.DropFunction(cur[s]) for s in sorted(cur) if s not in des]
    return out


SEQUENCE_OPTIONS = ("type", "increment", "minvalue", "maxvalue", "start", "cache", "cycle", "owned_by")


def diff_sequences(current: Schema, desired: Schema) -> list[c.Change]:
    out: list[c.Change] = []
    cur = {s.qualified: s for s in current.sequences}
    des = {s.qualified: s for s in desired.sequences}
    for q in sorted(des):
        if q not in cur:
            out.append(c.AddSequence(des[q]))
            continue
        changed = tuple(k for k in SEQUENCE_OPTIONS if getattr(cur[q], k) != getattr(des[q], k))
        if changed:
            out.append(c.AlterSequence(cur[q], des[q], changed))
        out += _comment("sequence", q, None, cur[q].comment, des[q].comment)
    out += [c.DropSequence(cur[q]) for q in sorted(cur) if q not in des]
    return out


def _enum(cur: EnumType, des: EnumType) -> list[c.Change]:
    q = cur.qualified
    out: list[c.Change] = []
    kept = [v for v in des.values if v in cur.values]
    removed = [v for v in cur.values if v not in des.values]
    if [v for v in cur.values if v in des.values] != kept:
        out.append(c.ReorderEnumValues(q, cur.values, des.values))
    else:
        for i, value in enumerate(des.values):
            if value in cur.values:
                continue
            if i > 0:
                out.append(c.AddEnumValue(q, value, after=des.values[i - 1]))
            else:
                following = next((v for v in des.values[1:] if v in cur.values), None)
                out.append(c.AddEnumValue(q, value, before=following))
    out += [c.RemoveEnumValue(q, v) for v in removed]
    if des.comment is not None and des.comment != cur.comment:
        out.append(c.SetComment("type", q, None, cur.comment, des.comment))
    elif des.comment is None and cur.comment is not None:
        out.append(c.SetComment("type", q, None, cur.comment, None))
    return out


def _comment(kind, obj, column, before, after) -> list[c.Change]:
    if before == after:
        return []
    return [c.SetComment(kind, obj, column, before, after)]


def diff_table(cur: Table, des: Table) -> list[c.Change]:
    q = cur.qualified
    out: list[c.Change] = []
    cur_cols = {col.name: col for col in cur.columns}
    des_cols = {col.name: col for col in des.columns}
    for col in des.columns:
        if col.name not in cur_cols:
            out.append(c.AddColumn(q, col))
            continue
        old = cur_cols[col.name]
        if old.type != col.type:
            out.append(c.AlterColumnType(q, col.name, old.type, col.type))
        if old.nullable and not col.nullable and col.identity is None:
            out.append(c.SetNotNull(q, col.name))
        elif not old.nullable and col.nullable:
            out.append(c.DropNotNull(q, col.name))
        if old.default != col.default:
            if old.default is None:
                out.append(c.SetDefault(q, col.name, col.default))
            else:
                out.append(c.ChangeDefault(q, col.name, old.default, col.default))
        for aspect in ("identity", "generated", "collation", "serial"):
            before, after = getattr(old, aspect), getattr(col, aspect)
            if aspect == "serial":  # shown as the type each side spells: serial -> integer
                before, after = (SERIAL_TYPES.get(x.type, x.type) if x.serial else x.type for x in (old, col))
                if old.serial == col.serial:
                    continue
            if before != after:
                show = lambda v: v.value if hasattr(v, "value") else v  # noqa: E731
                out.append(c.AlterColumnKind(q, col.name, aspect, show(before), show(after)))
    out += [c.DropColumn(q, col) for col in cur.columns if col.name not in des_cols]

    cur_pk, des_pk = _keyless(cur.primary_key), _keyless(des.primary_key)
    if des_pk != cur_pk:
        if cur.primary_key is None:
            out.append(c.AddPrimaryKey(q, des.primary_key))
        elif des.primary_key is None:
            out.append(c.DropPrimaryKey(q, cur.primary_key))
        else:
            out.append(c.ReplaceUnique(q, cur.primary_key, des.primary_key))
    elif des.primary_key is not None:  # the same key: its index's storage parameters, one by one
        out += _storage(q, des.primary_key.name, "btree", cur.primary_key.storage, des.primary_key.storage)
        out += _member_comment("constraint", q, cur.primary_key, des.primary_key)

    cur_u = {u.name: u for u in cur.uniques}
    des_u = {u.name: u for u in des.uniques}
    for change in _named(q, [_keyless(u) for u in cur.uniques], [_keyless(u) for u in des.uniques], c.AddUnique,
                         c.DropUnique, c.ReplaceUnique):
        if isinstance(change, c.AddUnique):  # carried whole: its index is built with its parameters
            change = replace(change, unique=des_u[change.unique.name])
        elif isinstance(change, c.DropUnique):
            change = replace(change, unique=cur_u[change.unique.name])
        else:
            change = replace(change, before=cur_u[change.before.name], after=des_u[change.after.name])
        out.append(change)
    for u in des.uniques:
        if u.name in cur_u and _keyless(cur_u[u.name]) == _keyless(u):
            out += _storage(q, u.name, "btree", cur_u[u.name].storage, u.storage)
            out += _member_comment("constraint", q, cur_u[u.name], u)

    out += _named(q, cur.checks, des.checks, c.AddCheck, c.DropCheck, c.ReplaceCheck, validate=True)
    out += _named(q, cur.foreign_keys, des.foreign_keys, c.AddForeignKey, c.DropForeignKey, c.ReplaceForeignKey,
                  validate=True)
    out += _same_comments("constraint", q, cur.checks + cur.foreign_keys, des.checks + des.foreign_keys,
                          lambda x: replace(x, validated=True))

    cur_ix = {ix.name: ix for ix in cur.indexes}
    des_ix = {ix.name: ix for ix in des.indexes}
    for name in sorted(des_ix):
        ix = des_ix[name]
        if name not in cur_ix:
            out.append(c.AddIndex(q, ix))
            continue
        old = cur_ix[name]
        if _index_shape(old) != _index_shape(ix):
            out.append(c.ReplaceIndex(q, old, ix))
        elif not old.valid:
            out.append(c.RebuildInvalidIndex(q, ix))
        out += _comment("index", type(q)(q.schema, name), None, old.comment, ix.comment)
    out += [c.DropIndex(q, cur_ix[n]) for n in sorted(cur_ix) if n not in des_ix]
    out += _storage(q, None, "heap", cur.storage, des.storage)
    for name in sorted(set(des_ix) & set(cur_ix)):
        if _index_shape(cur_ix[name]) == _index_shape(des_ix[name]):  # else replaced as a whole
            out += _storage(q, name, des_ix[name].method, cur_ix[name].storage, des_ix[name].storage)
    if cur.unlogged != des.unlogged:
        out.append(c.SetLogged(q, des.unlogged))

    if des.rls_enabled and not cur.rls_enabled:
        out.append(c.EnableRls(q))
    elif cur.rls_enabled and not des.rls_enabled:
        out.append(c.DisableRls(q))
    if des.rls_forced != cur.rls_forced:
        out.append(c.ForceRls(q, des.rls_forced))
    cur_pol = {p.name: p for p in cur.policies}
    des_pol = {p.name: p for p in des.policies}
    for name in sorted(des_pol):
        if name not in cur_pol:
            out.append(c.AddPolicy(q, des_pol[name]))
        elif _uncommented(cur_pol[name]) != _uncommented(des_pol[name]):
            out.append(c.ReplacePolicy(q, cur_pol[name], des_pol[name]))
    out += [c.DropPolicy(q, cur_pol[n]) for n in sorted(cur_pol) if n not in des_pol]
    out += _same_comments("policy", q, cur.policies, des.policies)

    cur_tr = {tr.name: tr for tr in cur.triggers}
    des_tr = {tr.name: tr for tr in des.triggers}
    for name in sorted(des_tr):
        if name not in cur_tr:
            out.append(c.AddTrigger(q, des_tr[name]))
        elif _uncommented(cur_tr[name]) != _uncommented(des_tr[name]):
            out.append(c.ReplaceTrigger(q, cur_tr[name], des_tr[name]))
    out += [c.DropTrigger(q, cur_tr[n]) for n in sorted(cur_tr) if n not in des_tr]
    out += _same_comments("trigger", q, cur.triggers, des.triggers)

    out += _comment("table", q, None, cur.comment, des.comment)
    for col in des.columns:
        if col.name in cur_cols:
            out += _comment("column", q, col.name, cur_cols[col.name].comment, col.comment)
    return out


def _index_shape(ix: Index) -> Index:
    return replace(ix, comment=None, valid=True, storage=())


def _storage(q, index, kind, current, desired) -> list[c.Change]:
    """One change per storage parameter set, changed or removed, by key."""
    cur, des = dict(current), dict(desired)
    return [c.SetStorageParameter(q, index, kind, key, cur.get(key), des.get(key))
            for key in sorted(set(cur) | set(des)) if cur.get(key) != des.get(key)]


def _keyless(key):
    """A primary key or unique constraint without its index's storage parameters
    (those change one by one, never by replacing the key) and its comment (set alone)."""
    return replace(key, storage=(), comment=None) if key is not None else None


def _uncommented(obj):
    """A constraint, policy or trigger without its comment: a comment is set by
    ``COMMENT ON``, never by replacing what it is on."""
    return replace(obj, comment=None)


def _member_comment(kind, q, old, new) -> list[c.Change]:
    """The comment on a constraint, policy or trigger of table ``q`` that both sides have
    and the diff keeps (a new or replaced one carries its comment in its own change)."""
    return _comment(kind, q, new.name, old.comment, new.comment)


def _same_comments(kind, q, current, desired, shape=lambda x: x) -> list[c.Change]:
    cur = {x.name: x for x in current}
    out: list[c.Change] = []
    for new in sorted(desired, key=lambda x: x.name):
        old = cur.get(new.name)
        if old is not None and shape(_uncommented(old)) == shape(_uncommented(new)):
            out += _member_comment(kind, q, old, new)
    return out


def _named(q, current, desired, add, drop, replace_, validate=False) -> list[c.Change]:
    out: list[c.Change] = []
    cur = {x.name: x for x in current}
    des = {x.name: x for x in desired}
    for name in sorted(des):
        if name not in cur:
            out.append(add(q, des[name]))
            continue
        old, new = cur[name], des[name]
        if validate:
            if replace(old, validated=True, comment=None) != replace(new, validated=True, comment=None):
                out.append(replace_(q, old, new))
            elif not old.validated and new.validated:
                out.append(c.ValidateConstraint(q, name))
        elif old != new:
            out.append(replace_(q, old, new))
    out += [drop(q, cur[n]) for n in sorted(cur) if n not in des]
    return out

