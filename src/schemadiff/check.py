"""``schemadiff check``: the pre-merge gate, a spec against the spec at a base.

No database: the base spec is the "current" side and the head spec the
"desired" one, judged in spec mode (removing an object from the spec is
destructive). Every finding becomes an ``Item`` with a level — ``error`` fails
the gate, ``warning`` and ``note`` are reported — set by the rule's verdict,
then the policy file (severity per rule, repository policies, waivers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from . import changes as c
from . import funcpolicy
from .expressions import ExpressionError, parse_expression, references
from .gcpause import paused_gc
from .introspect.converge import converge
from .introspect.converge_views import converge_views
from .locate import (
    index_tables,
    locate,
    names_match,
    show_parts,
    subject_parts,
    table_of,
)
from .model import QualifiedName, Schema
from .plan import Plan, build_plan
from .policy import Policy, Waiver
from .rules import Verdict, all_rules
from .rules.policies import BY_CODE as POLICIES
from .spec.errors import Mark
from .spec.load import LoadedSpec

_DEFAULT_LEVEL = {Verdict.REFUSE: "error", Verdict.WIDEN: "warning", Verdict.ADD: "note",
                  Verdict.DRIFT: "warning", Verdict.UNMANAGED: "note"}
_RLS_CHANGES = (c.EnableRls, c.DisableRls, c.ForceRls, c.AddPolicy, c.DropPolicy, c.ReplacePolicy)


@dataclass(frozen=True)
class Item:
    code: str
    rule: str
    level: str  # error | warning | note
    verdict: str  # add | widen | refuse | policy
    message: str
    object: str  # what a waiver names: public.lead.email
    target: str  # the change's object as plans show it: table public.lead
    change: str | None  # what the change does; None for an item about the policy file itself
    change_index: int | None
    location: Mark | None
    waiver: Waiver | None = None
    policy_level: bool = False  # the level comes from the policy file's severity
    parts: tuple[str, ...] = ()  # ``object`` as identifier parts, for matching waivers
    table: tuple[str, ...] | None = None  # the table the change is on, as parts
    waived_level: str | None = None  # the level a waiver turned into a note (its mark is kept)


@dataclass
class CheckResult:
    base: str  # how the base was named (a git ref or a directory)
    head: str
    plan: Plan
    items: list[Item]
    policy: Policy = field(default_factory=Policy)

    @property
    def errors(self) -> list[Item]:
        return [i for i in self.items if i.level == "error"]

    @property
    def warnings(self) -> list[Item]:
        return [i for i in self.items if i.level == "warning"]

    @property
    def passed(self) -> bool:
        return not self.errors


def offline_volatile(expression: str) -> bool:
    """Without a database: True when the expression calls a function that is
    VOLATILE in PostgreSQL's catalog, or one the catalog does not know (an
    extension's or the user's: assumed volatile, the safe side for a gate)."""
    try:
        funcs = references(parse_expression(expression)).functions
    except ExpressionError:
        return True
    return any(funcpolicy.offline_volatile(f) for f in funcs)


def run_check(head: LoadedSpec, base: LoadedSpec | None, policy: Policy, *, base_label: str, head_label: str,
              today: dt.date | None = None) -> CheckResult:
    # Two loaded specs are a large heap of long-lived objects: a collection would walk it all for nothing.
    with paused_gc():
        return _run_check(head, base, policy, base_label, head_label, today or dt.date.today())


def _run_check(head: LoadedSpec, base: LoadedSpec | None, policy: Policy, base_label: str, head_label: str,
               today: dt.date) -> CheckResult:
    current = base.schema if base is not None else Schema()
    # Tables equal on both sides need no convergence (most of them, in a pull request).
    changed = tuple(t for t in head.schema.tables if current.table(t.qualified) != t)
    converged = {t.qualified: t for t in converge(replace(head.schema, tables=changed), current, None).tables}
    desired = replace(head.schema, tables=tuple(converged.get(t.qualified, t) for t in head.schema.tables))
    desired = converge_views(desired, current, None)
    plan = build_plan(current, desired, mode="spec", is_volatile=offline_volatile, steps_when_refused=True)
    # The root's data is read (its YAML parsed) only when a waiver needs the default schema.
    default_schema = head.root.data.get("schema", "public") if head.root is not None and policy.waivers \
        else "public"
    existing = {t.qualified for t in current.tables}
    indexes = index_tables(current, head.schema)
    rule_names = {r.code: r.name for r in all_rules()}

    items: list[Item] = []

    def add(code: str, level: str, verdict: str, message: str, i: int) -> None:
        level, from_policy = (policy.severity[code], True) if code in policy.severity else (level, False)
        if level == "off":
            return
        ch = plan.changes[i]
        name = rule_names.get(code) or POLICIES[code].name
        parts = subject_parts(ch, indexes)
        table = table_of(ch, indexes)
        items.append(Item(code, name, level, verdict, message, show_parts(parts), ch.target(), ch.describe(), i,
                          locate(ch, head, base), policy_level=from_policy, parts=parts,
                          table=(table.schema, table.name) if table else None))

    for i, ch in enumerate(plan.changes):
        for f in plan.findings[i]:
            add(f.code, _DEFAULT_LEVEL[f.verdict], f.verdict.name.lower(), f.reason, i)
        table = table_of(ch, indexes)
        if "new-triggers" in policy.forbid:
            added = [ch.trigger.name] if isinstance(ch, c.AddTrigger) else (
                [tr.name for tr in ch.table.triggers] if isinstance(ch, c.AddTable) else [])
            for name in added:
                add("SD802", "error", "policy", f"trigger {name} on table {table} is new; this repository's policy "
                    "forbids adding triggers (forbid: new-triggers)", i)
        if table in existing:
            if "changes-to-existing-tables" in policy.forbid:
                add("SD801", "error", "policy", f"table {table} exists at the base; this repository's policy "
                    "forbids changing an existing table (forbid: changes-to-existing-tables)", i)
            if "rls-changes" in policy.forbid and isinstance(ch, _RLS_CHANGES):
                add("SD803", "error", "policy", f"a row level security change on table {table}, which exists at "
                    "the base; this repository's policy forbids it (forbid: rls-changes)", i)
    if "index-without-concurrently" in policy.forbid:
        index = {id(ch): i for i, ch in enumerate(plan.changes)}
        for step in plan.steps:  # every planned statement, whatever change it serves (a key's index too)
            built_on = _blocking_index_build(step.sql)
            if built_on is not None and built_on in existing:
                add("SD804", "error", "policy", f"CREATE INDEX on table {built_on}, which exists at the base, "
                    "without CONCURRENTLY would block writes for the whole build (forbid: "
                    "index-without-concurrently)", index[id(step.change)])
    items = _apply_waivers(items, policy, default_schema, today)
    order = {"error": 0, "warning": 1, "note": 2}
    items.sort(key=lambda it: (it.change_index is None, it.change_index or 0, order[it.level], it.code))
    return CheckResult(base=base_label, head=head_label, plan=plan, items=items, policy=policy)


def _blocking_index_build(sql: str) -> QualifiedName | None:
    """The table a statement builds an index on without CONCURRENTLY, else None."""
    from pglast import ast, parse_sql

    for raw in parse_sql(sql):
        node = raw.stmt
        if isinstance(node, ast.IndexStmt) and not node.concurrent:
            return QualifiedName(node.relation.schemaname or "public", node.relation.relname)
    return None


def _apply_waivers(items: list[Item], policy: Policy, default_schema: str, today: dt.date) -> list[Item]:
    used: set[int] = set()
    out = []
    for item in items:
        waiver = None
        if item.level in ("error", "warning") and item.change_index is not None:
            matching = [(n, w) for n, w in enumerate(policy.waivers) if w.rule == item.code and (
                names_match(w.object, item.parts, default_schema)
                or (item.table is not None and names_match(w.object, item.table, default_schema)))]
            # a renewed waiver beside its expired one: the one still in force wins
            matching.sort(key=lambda nw: nw[1].expired(today))
            if matching:
                n, waiver = matching[0]
                used.add(n)
        if waiver is not None and not waiver.expired(today):
            item = replace(item, level="note", waiver=waiver, waived_level=item.level,
                           message=f"{item.message} — waived until {waiver.expires.isoformat()}: {waiver.reason}")
        out.append(item)
    for n, w in enumerate(policy.waivers):
        rule = POLICIES["SD805"] if w.expired(today) else POLICIES["SD806"]
        if w.expired(today):
            message = (f"the waiver of {w.rule} for {w.object} expired on {w.expires.isoformat()} "
                       f"(reason given: {w.reason}); renew it with a new date and reason, or remove it")
            level = "error"
        elif n not in used:
            message = f"the waiver of {w.rule} for {w.object} matches nothing in this check; remove it"
            level = "warning"
        else:
            continue
        level = policy.severity.get(rule.code, level)
        if level == "off":
            continue
        out.append(Item(rule.code, rule.name, level, "policy", message, w.object, f"waiver {w.rule} {w.object}",
                        None, None, w.mark))
    return out


__all__ = ["CheckResult", "Item", "offline_volatile", "run_check"]
