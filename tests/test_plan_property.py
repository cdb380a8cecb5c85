"""Property: ``plan`` against a live database is strictly additive or refused.

Each example builds a random base spec (``specs()``, plus an optional text
column with a ``CHECK (col IN (...))`` list and a ``varchar(40)`` column) in the database, then derives a
desired spec by random mutations of the base's YAML data:

- additive: a new table, a nullable column, a column with a constant default,
  a new column with a CHECK / FOREIGN KEY / UNIQUE, an index on an existing
  table, an enum value at the end or in the middle, a widened varchar, a wider
  CHECK list, a new or changed comment;
- refused (the spec asks to change an existing object): a changed type, SET NOT
  NULL, DROP NOT NULL, a new or changed default, reordered enum values, a
  narrower CHECK, a CHECK / FOREIGN KEY on an existing column, a unique index
  on existing (or defaulted) columns, a policy or RLS on an existing table, a
  changed index or policy, a NOT NULL column without a default, a column with a
  volatile default or an identity;
- missing (an object only left out of the spec): a column, a table, an index,
  a default, a CHECK, an enum value, RLS. In database mode that is drift or
  unmanaged: reported, never dropped, never refused.

Properties: any refusing mutation -> the plan is refused with the expected rule
code, holds no step, and the CLI exits 3. Otherwise the plan is accepted, every
statement parses (pglast) as one statement of an additive allowlist, the steps
run on the server phase by phase, and a second plan has nothing to do and still
finds every left-out object in the database.
"""

from __future__ import annotations

import copy

import psycopg
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pglast import ast, parse_sql
from pglast.enums import AlterTableType, ConstrType, ObjectType

from schemadiff import changes as c
from schemadiff.apply import StepView, guard
from schemadiff.compile import compile_schema, render_script
from schemadiff.model import QualifiedName
from schemadiff.planning import plan_against_database
from schemadiff.plan import CONCURRENT, ENUM_VALUES, TRANSACTIONAL, VALIDATE
from schemadiff.rules import Verdict
from schemadiff.rules.facts import is_varchar_widening
from schemadiff.spec import load_spec

from .conftest import run_cli
from .test_compile_property import COMPARABLE, TYPES, _spec_ref, _sql_ident, _write, specs
from .test_introspect_property import _RESET

VOLATILE = {"gen_random_uuid()"}
# a default per type that differs from every default ``TYPES`` offers (SD402)
OTHER_DEFAULT = {
    "text": "'changed'", "varchar(40)": "'zzz'", "character(3)": "'zzz'", "integer": 7, "bigint": 7,
    "smallint": 2, "boolean": True, "numeric(12,2)": 2.5, "double precision": 0.5, "uuid": "'00000000-0000-0000-0000-000000000000'::uuid",
    "timestamptz": "'2000-01-01 00:00:00+00'::timestamptz", "timestamp(3)": "'2000-01-01'::timestamp",
    "date": "'2000-01-01'::date", "time": "'13:00'", "interval": "'2 days'::interval", "jsonb": "'{\"a\": 1}'::jsonb",
    "json": "'[1]'", "text[]": "'{z}'::text[]", "integer[]": "'{9}'", "inet": "'10.0.0.1'",
    "bytea": "'\\x01'::bytea", "bit varying(5)": "B'1'",
}
NEW_LABELS = ["new", "sd new", "n'ew", "Nüe", "zz", "0"]
COMMENTS = ["a new comment", "it's changed", "ünï ✓ new"]
ALL_TYPES = sorted(TYPES) + ["Mood"]

REFUSE, ADD, MISSING = "refuse", "add", "missing"


def _tkey(t: dict) -> tuple[str, str]:
    return t.get("schema", "public"), t["table"]


class State:
    """The desired spec data being mutated, and what each mutation expects."""

    def __init__(self, enums, tables):
        self.enums = enums
        self.tables = tables
        self.base_tables = {_tkey(t) for t in tables}
        self.base_cols = {_tkey(t): set(t["columns"]) for t in tables}
        self.base_indexes = {_tkey(t): set(t.get("indexes", {})) for t in tables}
        self.base_labels = list(enums["Mood"])
        self.touched: set = set()
        self.enum_locked = False
        self.n = 0
        self.mutation = ""
        self.log: list[tuple[str, str, str | None]] = []  # (kind, what, expected refusing rule code)
        self.missing: list[tuple] = []  # objects left out of the spec: ("column"|"table"|"index", ...)

    def fresh(self, what: str) -> str:
        self.n += 1
        return f"sd {what} {self.n}"  # a space and a prefix: no generated name looks like it

    def table(self, key):
        return next((t for t in self.tables if _tkey(t) == key), None)

    def base(self):
        """Base tables still in the desired spec."""
        return [t for t in self.tables if _tkey(t) in self.base_tables]

    def base_columns(self, t, pred=lambda name, spec: True):
        key = _tkey(t)
        return [n for n, s in t["columns"].items()
                if n in self.base_cols[key] and n != "id" and ("col", key, n) not in self.touched and pred(n, s)]

    def record(self, kind, what, code=None):
        self.log.append((kind, f"{self.mutation}: {what}", code))


def _col(spec) -> dict:
    return spec if isinstance(spec, dict) else {"type": spec}


def _referenced(state: State, t: dict) -> bool:
    ref = _spec_ref(t) + "(id)"
    return any(_col(s).get("references") == ref for o in state.tables if o is not t for s in o["columns"].values())


# -- additive -------------------------------------------------------------------

def _new_column(draw, state, t, variant):
    name = state.fresh("col")
    if variant == "check":
        spelling = draw(st.sampled_from(sorted(COMPARABLE) + ["text"]))
        spec = {"type": spelling}
        if spelling == "text":
            spec["check"] = f"{_sql_ident(name)} IN ('a', 'b')"
        else:
            spec["check"] = f"{_sql_ident(name)} >= 0 OR {_sql_ident(name)} IS NULL"
    elif variant == "fk":
        target = draw(st.sampled_from(state.tables))  # never empty: t itself is in it
        spec = {"type": "bigint", "references": _spec_ref(target) + "(id)",
                "on_delete": draw(st.sampled_from(["cascade", "set null", "restrict", "no action"]))}
    elif variant == "unique":
        spec = {"type": draw(st.sampled_from([x for x in ALL_TYPES if x != "json"])), "unique": True}
    else:
        spelling = draw(st.sampled_from(ALL_TYPES))
        spec = {"type": spelling}
        if variant == "default" and spelling != "Mood":
            spec["default"] = draw(st.sampled_from([d for d in TYPES[spelling] if d not in VOLATILE] or [None]))
            if spec["default"] is None:
                del spec["default"]
            elif draw(st.booleans()):
                spec["nullable"] = False
    if draw(st.booleans()):
        spec["comment"] = draw(st.sampled_from(COMMENTS))
    t["columns"][name] = spec
    return name


def m_add_table(draw, state):
    name = state.fresh("table")
    t = {"table": name, "columns": {"id": {"type": "bigint", "primary_key": True, "identity": "by default"}}}
    if draw(st.booleans()):
        t["schema"] = "Other Schema"
    state.tables.append(t)
    for _ in range(draw(st.integers(1, 3))):
        _new_column(draw, state, t, draw(st.sampled_from(["plain", "default", "check", "fk", "unique"])))
    if draw(st.booleans()):
        keyable = [n for n, s in t["columns"].items() if _col(s)["type"] != "json"]
        t["indexes"] = {state.fresh("ix"): {"columns": [draw(st.sampled_from(keyable))]}}
    if draw(st.booleans()):
        t["rls"] = {"enabled": True, "forced": draw(st.booleans()),
                    "policies": {state.fresh("pol"): {"for": "select", "using": "true"}}}
    if draw(st.booleans()):
        t["comment"] = draw(st.sampled_from(COMMENTS))
    state.record(ADD, f"add table {name}")


def _pick_base_table(draw, state):
    tables = state.base()
    return draw(st.sampled_from(tables)) if tables else None


def _add_column(variant):
    def mutation(draw, state):
        if not state.tables:
            return
        t = draw(st.sampled_from(state.tables))
        state.touched.add(("used", _tkey(t)))
        name = _new_column(draw, state, t, variant)
        state.record(ADD, f"add {variant} column {name} to {_tkey(t)}")
    mutation.__name__ = f"m_add_{variant}_column"
    return mutation


def m_add_index(draw, state):
    t = _pick_base_table(draw, state)
    if t is None:
        return
    keyable = [n for n, s in t["columns"].items() if _col(s)["type"] != "json"]
    keys = draw(st.lists(st.sampled_from(keyable), min_size=1, max_size=2, unique=True))
    ix = {"columns": keys}
    if draw(st.booleans()):
        ix["where"] = f"{_sql_ident(keys[0])} IS NOT NULL"
    if draw(st.booleans()):
        ix["unique"] = True
    if draw(st.booleans()):
        ix["comment"] = draw(st.sampled_from(COMMENTS))
    name = state.fresh("ix")
    t.setdefault("indexes", {})[name] = ix
    key = _tkey(t)
    state.touched.add(("used", key))
    for k in keys:
        state.touched.add(("col", key, k))
    # A unique index is additive only on columns this plan adds that read NULL (no default).
    new_null = all(k not in state.base_cols[key] and "default" not in _col(t["columns"][k]) for k in keys)
    if ix.get("unique") and not new_null:
        state.record(REFUSE, f"add unique index {name} on existing or defaulted columns of {key}", "SD505")
    else:
        state.record(ADD, f"add index {name} on {key}")


def m_add_enum_value(draw, state):
    if state.enum_locked:
        return
    labels = state.enums["Mood"]
    free = [x for x in NEW_LABELS if x not in labels and x not in state.base_labels]
    if not free:
        return
    value = draw(st.sampled_from(free))
    at = draw(st.integers(0, len(labels)))
    labels.insert(at, value)
    state.record(ADD, f"add enum value {value!r} at {at}")


def m_widen_varchar(draw, state):
    cands = [(t, n) for t in state.base() for n in state.base_columns(t, lambda n, s: _col(s)["type"] == "varchar(40)")]
    if not cands:
        return
    t, n = draw(st.sampled_from(cands))
    state.touched.add(("col", _tkey(t), n))
    t["columns"][n] = dict(_col(t["columns"][n]), type=draw(st.sampled_from(["varchar(100)", "varchar", "text"])))
    state.record(ADD, f"widen {n} of {_tkey(t)} to {t['columns'][n]['type']}")


def _in_list_columns(state, t):
    return state.base_columns(t, lambda n, s: " IN (" in str(_col(s).get("check", "")))


def m_widen_check(draw, state):
    cands = [(t, n) for t in state.base() for n in _in_list_columns(state, t)]
    if not cands:
        return
    t, n = draw(st.sampled_from(cands))
    state.touched.add(("col", _tkey(t), n))
    t["columns"][n]["check"] = f"{_sql_ident(n)} IN ('a', 'b', 'c', 'd')"
    state.record(ADD, f"widen the check list of {n} on {_tkey(t)}")


def m_comment(draw, state):
    t = _pick_base_table(draw, state)
    if t is None:
        return
    text = draw(st.sampled_from(COMMENTS))
    key = _tkey(t)
    what = draw(st.sampled_from(["table", "column", "index"]))
    indexes = [i for i in t.get("indexes", {}) if i in state.base_indexes[key] and ("ix", key, i) not in state.touched]
    cols = state.base_columns(t)
    if what == "column" and cols:
        n = draw(st.sampled_from(cols))
        t["columns"][n] = dict(_col(t["columns"][n]), comment=text)
        state.touched.add(("col", key, n))
    elif what == "index" and indexes:
        i = draw(st.sampled_from(indexes))
        ix = t["indexes"][i]
        t["indexes"][i] = dict(ix if isinstance(ix, dict) else {"columns": ix}, comment=text)
        state.touched.add(("ix", key, i))
    else:
        t["comment"] = text
        what = "table"
    state.touched.add(("used", key))
    state.record(ADD, f"comment on a {what} of {key}")


# -- refused --------------------------------------------------------------------

def _pick_base_column(draw, state, pred):
    cands = [(t, n) for t in state.base() for n in state.base_columns(t, pred)]
    if not cands:
        return None, None
    t, n = draw(st.sampled_from(cands))
    state.touched.add(("col", _tkey(t), n))
    state.touched.add(("used", _tkey(t)))
    return t, n


def m_change_type(draw, state):
    t, n = _pick_base_column(draw, state, lambda n, s: n != "parent_id")
    if t is None:
        return
    spec = dict(_col(t["columns"][n]))
    old = spec["type"]
    choices = [x for x in ALL_TYPES + ["varchar(10)"] if x not in (old, "json")
               and not (old == "varchar(40)" and x == "text")]
    new = draw(st.sampled_from(choices))
    spec["type"] = new
    if spec.get("default") is not None and spec["default"] not in TYPES.get(new, []):
        del spec["default"]
    if "check" in spec and not (new in COMPARABLE and old in COMPARABLE):
        del spec["check"]
    t["columns"][n] = spec
    state.record(REFUSE, f"change type of {n} on {_tkey(t)}: {old} -> {new}", "SD304")


def m_set_not_null(draw, state):
    t, n = _pick_base_column(draw, state, lambda n, s: _col(s).get("nullable", True)
                             and _col(s).get("on_delete") != "set null")
    if t is None:
        return
    t["columns"][n] = dict(_col(t["columns"][n]), nullable=False)
    state.record(REFUSE, f"set not null on {n} of {_tkey(t)}", "SD501")


def m_drop_not_null(draw, state):
    t, n = _pick_base_column(draw, state, lambda n, s: _col(s).get("nullable", True) is False)
    if t is None:
        return
    del t["columns"][n]["nullable"]
    state.record(REFUSE, f"drop not null on {n} of {_tkey(t)}", "SD403")


def m_set_default(draw, state):
    t, n = _pick_base_column(draw, state, lambda n, s: _col(s).get("default") is None and _col(s)["type"] in TYPES
                             and "references" not in _col(s))
    if t is None:
        return
    spec = dict(_col(t["columns"][n]))
    spec["default"] = OTHER_DEFAULT[spec["type"]]
    t["columns"][n] = spec
    state.record(REFUSE, f"set a default on {n} of {_tkey(t)}", "SD409")


def m_change_default(draw, state):
    t, n = _pick_base_column(draw, state, lambda n, s: _col(s).get("default") is not None)
    if t is None:
        return
    spec = t["columns"][n]
    spec["default"] = (not spec["default"]) if spec["type"] == "boolean" else OTHER_DEFAULT[spec["type"]]
    state.record(REFUSE, f"change the default of {n} on {_tkey(t)}", "SD402")


def m_reorder_enum(draw, state):
    labels = state.enums["Mood"]
    kept = [x for x in labels if x in state.base_labels]
    if state.enum_locked or len(kept) < 2:
        return
    i, j = labels.index(kept[0]), labels.index(kept[-1])
    labels[i], labels[j] = labels[j], labels[i]
    state.enum_locked = True
    state.record(REFUSE, "reorder enum values", "SD401")


def m_narrow_check(draw, state):
    cands = [(t, n) for t in state.base() for n in state.base_columns(t, lambda n, s: "check" in _col(s))]
    if not cands:
        return
    t, n = draw(st.sampled_from(cands))
    state.touched.add(("col", _tkey(t), n))
    state.touched.add(("used", _tkey(t)))
    spec = t["columns"][n]
    if " IN (" in spec["check"]:
        spec["check"] = f"{_sql_ident(n)} IN ('a', 'b')"
    else:
        spec["check"] = f"{_sql_ident(n)} >= 5 OR {_sql_ident(n)} IS NULL"
    state.record(REFUSE, f"narrow the check of {n} on {_tkey(t)}", "SD405")


def m_check_existing(draw, state):
    t, n = _pick_base_column(draw, state, lambda n, s: _col(s)["type"] in COMPARABLE)
    if t is None:
        return
    t.setdefault("checks", []).append(f"{_sql_ident(n)} < 1000000")
    state.record(REFUSE, f"check on existing column {n} of {_tkey(t)}", "SD502")


def m_fk_existing(draw, state):
    t, n = _pick_base_column(draw, state, lambda n, s: _col(s)["type"] == "bigint" and "references" not in _col(s))
    if t is None:
        return
    target = draw(st.sampled_from(state.tables))
    t["columns"][n] = dict(_col(t["columns"][n]), references=_spec_ref(target) + "(id)")
    state.record(REFUSE, f"foreign key on existing column {n} of {_tkey(t)}", "SD504")


def m_add_policy(draw, state):
    t = _pick_base_table(draw, state)
    if t is None:
        return
    state.touched.add(("used", _tkey(t)))
    state.touched.add(("rls", _tkey(t)))
    name = state.fresh("pol")
    if "rls" in t:
        t["rls"]["policies"][name] = {"for": "select", "using": "true"}
    else:
        t["rls"] = {"enabled": True, "policies": {name: {"for": "select", "using": "true"}}}
    state.record(REFUSE, f"add policy {name} to {_tkey(t)}", "SD702")


def m_change_policy(draw, state):
    tables = [t for t in state.base() if "rls" in t and ("rls", _tkey(t)) not in state.touched]
    if not tables:
        return
    t = draw(st.sampled_from(tables))
    state.touched.add(("rls", _tkey(t)))
    state.touched.add(("used", _tkey(t)))
    pol = next(iter(t["rls"]["policies"].values()))
    pol["using"] = "false"
    state.record(REFUSE, f"change a policy of {_tkey(t)}", "SD406")


def m_change_index(draw, state):
    cands = [(t, i) for t in state.base() for i in t.get("indexes", {})
             if i in state.base_indexes[_tkey(t)] and ("ix", _tkey(t), i) not in state.touched]
    if not cands:
        return
    t, i = draw(st.sampled_from(cands))
    state.touched.add(("ix", _tkey(t), i))
    state.touched.add(("used", _tkey(t)))
    ix = t["indexes"][i]
    ix = dict(ix if isinstance(ix, dict) else {"columns": ix})
    ix["unique"] = not ix.get("unique", False)
    t["indexes"][i] = ix
    state.record(REFUSE, f"change index {i} of {_tkey(t)}", "SD404")


def m_not_null_no_default(draw, state):
    t = _pick_base_table(draw, state)
    if t is None:
        return
    state.touched.add(("used", _tkey(t)))
    name = state.fresh("col")
    t["columns"][name] = {"type": draw(st.sampled_from(sorted(TYPES))), "nullable": False}
    state.record(REFUSE, f"add not null column {name} without default to {_tkey(t)}", "SD503")


def m_volatile_or_identity(draw, state):
    t = _pick_base_table(draw, state)
    if t is None:
        return
    state.touched.add(("used", _tkey(t)))
    name = state.fresh("col")
    if draw(st.booleans()):
        t["columns"][name] = {"type": "uuid", "default": "gen_random_uuid()"}
        state.record(REFUSE, f"add column {name} with a volatile default to {_tkey(t)}", "SD601")
    else:
        t["columns"][name] = {"type": "integer", "identity": "by default"}
        state.record(REFUSE, f"add identity column {name} to {_tkey(t)}", "SD602")


# -- missing from the spec (drift / unmanaged: never dropped, never refused) --------

def _uses(text, col) -> bool:
    return text is not None and _sql_ident(col) in str(text)


def m_drop_column(draw, state):
    t, n = _pick_base_column(draw, state, lambda n, s: True)
    if t is None:
        return
    key = _tkey(t)
    del t["columns"][n]
    if "unique" in t:
        t["unique"] = [u for u in t["unique"] if n not in u]
        if not t["unique"]:
            del t["unique"]
    for i, ix in list(t.get("indexes", {}).items()):
        ix = ix if isinstance(ix, dict) else {"columns": ix}
        keys = ix["columns"]
        if _uses(ix.get("where"), n) or any(k == n or (isinstance(k, dict) and (k.get("column") == n or
                                                                                 _uses(k.get("expression"), n)))
                                            for k in keys):
            del t["indexes"][i]
            state.missing.append(("index", key, i))
    state.missing.append(("column", key, n))
    state.record(MISSING, f"drop column {n} of {key}")


def m_drop_table(draw, state):
    tables = [t for t in state.base() if ("used", _tkey(t)) not in state.touched and not _referenced(state, t)
              and not any(k[1] == _tkey(t) for k in state.touched if k[0] == "col")]
    if not tables:
        return
    t = draw(st.sampled_from(tables))
    state.tables.remove(t)
    state.missing.append(("table", _tkey(t)))
    state.record(MISSING, f"drop table {_tkey(t)}")


def m_drop_index(draw, state):
    cands = [(t, i) for t in state.base() for i in t.get("indexes", {})
             if i in state.base_indexes[_tkey(t)] and ("ix", _tkey(t), i) not in state.touched]
    if not cands:
        return
    t, i = draw(st.sampled_from(cands))
    del t["indexes"][i]
    state.touched.add(("used", _tkey(t)))
    state.missing.append(("index", _tkey(t), i))
    state.record(MISSING, f"drop index {i} of {_tkey(t)}")


def m_drop_default(draw, state):
    t, n = _pick_base_column(draw, state, lambda n, s: _col(s).get("default") is not None)
    if t is None:
        return
    del t["columns"][n]["default"]
    state.record(MISSING, f"drop the default of {n} on {_tkey(t)}")


def m_drop_check(draw, state):
    t, n = _pick_base_column(draw, state, lambda n, s: "check" in _col(s))
    if t is None:
        return
    del t["columns"][n]["check"]
    state.record(MISSING, f"drop the check of {n} on {_tkey(t)}")


def m_remove_enum_value(draw, state):
    labels = state.enums["Mood"]
    kept = [x for x in labels if x in state.base_labels]
    if state.enum_locked or len(labels) < 2 or not kept:
        return
    value = draw(st.sampled_from(kept))
    labels.remove(value)
    state.record(MISSING, f"remove enum value {value!r}")


def m_drop_rls(draw, state):
    tables = [t for t in state.base() if "rls" in t and ("rls", _tkey(t)) not in state.touched]
    if not tables:
        return
    t = draw(st.sampled_from(tables))
    state.touched.add(("rls", _tkey(t)))
    state.touched.add(("used", _tkey(t)))
    del t["rls"]
    state.record(MISSING, f"drop rls of {_tkey(t)}")


MUTATIONS = [
    m_add_table, _add_column("nullable"), _add_column("default"), _add_column("check"), _add_column("fk"),
    _add_column("unique"), m_add_index, m_add_enum_value, m_widen_varchar, m_widen_check, m_comment,
    m_change_type, m_set_not_null, m_drop_not_null, m_set_default, m_change_default, m_reorder_enum,
    m_narrow_check, m_check_existing, m_fk_existing, m_add_policy, m_change_policy, m_change_index,
    m_not_null_no_default, m_volatile_or_identity,
    m_drop_column, m_drop_table, m_drop_index, m_drop_default, m_drop_check, m_remove_enum_value, m_drop_rls,
]


@st.composite
def cases(draw):
    enums, tables = draw(specs())
    # A text column with a CHECK (col IN (...)) list in the base, to widen or narrow.
    for t in tables:
        if draw(st.booleans()):
            t["columns"]["sd state"] = {"type": "text", "check": '"sd state" IN (\'a\', \'b\', \'c\')'}
        # and a varchar(40) column, to widen.
        if draw(st.booleans()):
            spec = {"type": "varchar(40)"}
            if draw(st.booleans()):
                spec["default"] = "'abc'"
            t["columns"]["sd code"] = spec
    base = (copy.deepcopy(enums), copy.deepcopy(tables))
    state = State(enums, tables)
    count = draw(st.integers(1, 5))
    for mutation in draw(st.permutations(MUTATIONS))[:count]:
        state.mutation = mutation.__name__
        mutation(draw, state)
    return base, (state.enums, state.tables), state.log, state.missing


# -- the additive allowlist ------------------------------------------------------

def _relation(rv) -> QualifiedName:
    return QualifiedName(rv.schemaname or "public", rv.relname)


def _type_text(type_name) -> str:
    names = [n.sval for n in type_name.names]
    mods = [m.val.ival for m in (type_name.typmods or ())]
    if names[-1] == "varchar":
        return "character varying" + (f"({mods[0]})" if mods else "")
    return names[-1]


def _check_additive(sql: str, current) -> None:
    stmts = parse_sql(sql)
    assert len(stmts) == 1, f"not exactly one statement: {sql}"
    node = stmts[0].stmt
    kind = type(node).__name__
    if isinstance(node, (ast.CreateStmt, ast.CreateEnumStmt, ast.AlterEnumStmt, ast.CreateSchemaStmt,
                         ast.CreateExtensionStmt, ast.CommentStmt, ast.CreatePolicyStmt)):
        if isinstance(node, ast.CreateStmt):
            assert current.table(_relation(node.relation)) is None, f"CREATE TABLE of an existing table: {sql}"
        if isinstance(node, ast.AlterEnumStmt):
            assert node.oldVal is None and node.newVal is not None, f"not ADD VALUE: {sql}"
        if isinstance(node, ast.CreatePolicyStmt):
            assert current.table(_relation(node.table)) is None, f"policy on an existing table: {sql}"
        return
    if isinstance(node, ast.IndexStmt):
        if current.table(_relation(node.relation)) is not None:
            assert node.concurrent, f"an index on an existing table built without CONCURRENTLY: {sql}"
        return
    if isinstance(node, ast.DropStmt):
        assert node.removeType == ObjectType.OBJECT_INDEX and node.concurrent and node.missing_ok, sql
        (obj,) = node.objects
        parts = [s.sval for s in obj]
        schema, name = (parts if len(parts) == 2 else ["public", *parts])
        invalid = {(t.schema, ix.name) for t in current.tables for ix in t.indexes if not ix.valid}
        assert (schema, name) in invalid, f"DROP of an index the database holds valid: {sql}"
        return
    assert isinstance(node, ast.AlterTableStmt), f"{kind} is not additive: {sql}"
    assert node.objtype == ObjectType.OBJECT_TABLE, sql
    table = current.table(_relation(node.relation))
    cmds = list(node.cmds)
    subtypes = [cmd.subtype for cmd in cmds]
    if AlterTableType.AT_DropConstraint in subtypes:
        assert subtypes == [AlterTableType.AT_DropConstraint, AlterTableType.AT_AddConstraint], sql
        assert cmds[0].name == cmds[1].def_.conname, f"a DROP CONSTRAINT not re-added under its name: {sql}"
        return
    for cmd in cmds:
        if cmd.subtype == AlterTableType.AT_AddColumn:
            assert table is None or table.column(cmd.def_.colname) is None, sql
            cons = {x.contype for x in (cmd.def_.constraints or ())}
            assert not cons & {ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_GENERATED, ConstrType.CONSTR_PRIMARY}, sql
            if ConstrType.CONSTR_NOTNULL in cons:
                assert ConstrType.CONSTR_DEFAULT in cons, f"NOT NULL column without a default: {sql}"
        elif cmd.subtype == AlterTableType.AT_AlterColumnType:
            assert table is not None, sql
            before = table.column(cmd.name).type
            after = _type_text(cmd.def_.typeName)
            assert is_varchar_widening(before, after), f"type change {before} -> {after} is no varchar widening: {sql}"
        else:
            assert cmd.subtype in (AlterTableType.AT_AddConstraint, AlterTableType.AT_ValidateConstraint,
                                   AlterTableType.AT_EnableRowSecurity, AlterTableType.AT_ForceRowSecurity), \
                f"{cmd.subtype.name} is not additive: {sql}"
            if cmd.subtype in (AlterTableType.AT_EnableRowSecurity, AlterTableType.AT_ForceRowSecurity):
                assert table is None, f"RLS changed on an existing table: {sql}"
            if cmd.subtype == AlterTableType.AT_AddConstraint and table is not None:
                con = cmd.def_
                if con.contype in (ConstrType.CONSTR_CHECK, ConstrType.CONSTR_FOREIGN):
                    assert con.skip_validation, f"a constraint on an existing table added without NOT VALID: {sql}"
                else:
                    assert con.contype == ConstrType.CONSTR_UNIQUE and con.indexname, \
                        f"a key on an existing table not attached USING INDEX: {sql}"


def _run_steps(dsn: str, steps) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        guard(conn, [StepView(s.phase, s.sql, "") for s in steps])  # apply's final guard accepts every step
        phases = [s.phase for s in steps]
        assert phases == sorted(phases, key=[ENUM_VALUES, TRANSACTIONAL, CONCURRENT, VALIDATE].index), \
            f"steps out of phase order: {phases}"
        for s in (s for s in steps if s.phase == ENUM_VALUES):
            conn.execute(s.sql)
        transactional = [s for s in steps if s.phase == TRANSACTIONAL]
        if transactional:
            with conn.transaction():
                for s in transactional:
                    conn.execute(s.sql)
        for s in (s for s in steps if s.phase == CONCURRENT):
            conn.execute(s.sql)
        for s in (s for s in steps if s.phase == VALIDATE):
            with conn.transaction():
                conn.execute(s.sql)


_DROPS = (c.DropColumn, c.DropTable, c.DropIndex, c.DropCheck, c.DropForeignKey, c.DropPrimaryKey, c.DropUnique,
          c.DropPolicy, c.DropEnum, c.DropExtension, c.RemoveEnumValue, c.DisableRls)


def _still_there(dsn: str, missing) -> None:
    """Every object left out of the spec is still in the database (read from the
    catalogs: a table in a schema the spec no longer names is outside the plan's view)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for obj in missing:
            schema, table = obj[1]
            row = conn.execute("SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                               "WHERE n.nspname = %s AND c.relname = %s AND c.relkind = 'r'",
                               (schema, table)).fetchone()
            assert row is not None, f"{obj} was dropped"
            oid = row[0]
            if obj[0] == "column":
                assert conn.execute("SELECT 1 FROM pg_attribute WHERE attrelid = %s AND attname = %s "
                                    "AND NOT attisdropped", (oid, obj[2])).fetchone(), f"{obj} was dropped"
            elif obj[0] == "index":
                assert conn.execute("SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                    "WHERE i.indrelid = %s AND c.relname = %s", (oid, obj[2])).fetchone(), \
                    f"{obj} was dropped"


def _required(col) -> bool:
    """A column every INSERT must give a value (SD410 when the spec leaves it out)."""
    return (not col.nullable and col.default is None and col.identity is None and col.generated is None
            and not col.serial)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(cases())
def test_plan_is_additive_or_refused(pg, db, tmp_path_factory, case):
    (base_enums, base_tables), (enums, tables), log, missing = case
    dsn = pg.dsn(db)
    base = load_spec(_write(tmp_path_factory.mktemp("base"), base_enums, base_tables)).schema
    spec_dir = _write(tmp_path_factory.mktemp("desired"), enums, tables)
    desired = load_spec(spec_dir).schema
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(_RESET)
        conn.execute(render_script(compile_schema(base)))
    try:
        result = plan_against_database(desired, dsn)
        plan = result.plan
        # Left out of the spec is never dropped and never refused, in any plan — except a
        # column every insert must fill (NOT NULL, no default): SD410, writers would break.
        required_drops = False
        for i, ch in enumerate(plan.changes):
            if isinstance(ch, c.DropColumn) and _required(ch.column):
                assert plan.verdict(i) is Verdict.REFUSE, (ch, plan.findings[i])
                assert "SD410" in {f.code for f in plan.findings[i]}, (ch, plan.findings[i])
                required_drops = True
                continue
            if isinstance(ch, _DROPS) or (isinstance(ch, c.ChangeDefault) and ch.after is None) or \
                    (isinstance(ch, c.ForceRls) and not ch.forced) or \
                    (isinstance(ch, c.SetComment) and ch.after is None):
                assert plan.verdict(i) in (Verdict.DRIFT, Verdict.UNMANAGED), (ch, plan.findings[i])
        expected = {code for kind, _, code in log if kind == REFUSE} | ({"SD410"} if required_drops else set())
        for kind, what, _ in log:
            event(f"{kind}: {what.split(':')[0]}")
        event("refused" if expected else f"accepted, {'with' if plan.steps else 'no'} steps")
        if expected:
            assert plan.refused, f"not refused: {[w for k, w, _ in log if k == REFUSE]}"
            codes = {f.code for i in plan.refused for f in plan.findings[i] if f.verdict is Verdict.REFUSE}
            assert expected <= codes, f"expected {sorted(expected)}, refused with {sorted(codes)}"
            assert plan.steps == []
            cli = run_cli("plan", str(spec_dir), "--db", dsn, "--format", "sql")
            assert cli.code == 3, cli
            assert "ALTER" not in cli.out and "CREATE" not in cli.out, cli
            return
        refused = [(plan.changes[i].describe(), [f.code for f in plan.findings[i]]) for i in plan.refused]
        assert not refused, f"an additive change was refused: {refused}"
        for step in plan.steps:
            _check_additive(step.sql, result.current)
        cli = run_cli("plan", str(spec_dir), "--db", dsn, "--detailed-exitcode")
        assert cli.code == (2 if plan.steps else 0), cli
        try:
            _run_steps(dsn, plan.steps)
        except psycopg.Error as exc:
            raise AssertionError(f"the plan failed on the server: {exc}\n" + "\n".join(s.sql for s in plan.steps))
        again = plan_against_database(desired, dsn)
        left = [(ch.describe(), again.plan.verdict(i).name) for i, ch in enumerate(again.plan.changes)
                if again.plan.verdict(i) not in (Verdict.DRIFT, Verdict.UNMANAGED)]
        assert not again.plan.refused and not again.plan.steps, f"second plan not empty: {left}"
        _still_there(dsn, missing)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(_RESET)
