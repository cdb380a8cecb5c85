"""A plan as text (for people), SQL (for psql) or JSON (for machines)."""

from __future__ import annotations

import json

from . import followups
from .differences import differences
from .oneline import one_line
from .plan import PHASES, PLAN_FORMAT, Plan
from .rules import Verdict, teaching_lines

_PHASE_TITLES = {
    "enum-values": "new enum values, committed before anything uses them",
    "transactional": "one transaction",
    "concurrent": "concurrent index builds, outside any transaction",
    "validate": "validation, one transaction each",
}
# How each phase runs, for a person reviewing the text plan.
_PHASE_HOW = {
    "enum-values": "committed first, before anything uses the new values",
    "transactional": "one transaction: all or nothing",
    "concurrent": "CONCURRENTLY, one statement at a time, outside any transaction",
    "validate": "VALIDATE later, one transaction each; reads and writes go on",
}
_COLORS = {Verdict.ADD: "\033[32m", Verdict.WIDEN: "\033[36m", Verdict.REFUSE: "\033[31m", Verdict.DRIFT: "\033[33m"}
_RESET = "\033[0m"


def render_text(plan: Plan, header: str, color: bool = False, where=None) -> str:
    """``where(change)``, when given, is the spec line a change comes from (a
    ``Mark`` or None); it is printed under each refusal, with the rule's safe path."""
    lines = [header, ""]
    groups: dict[str, list[int]] = {}
    drift: list[int] = []
    for i, ch in enumerate(plan.changes):
        v = plan.verdict(i)
        if v is Verdict.UNMANAGED:
            continue
        if v is Verdict.DRIFT:
            drift.append(i)
            continue
        groups.setdefault(ch.target(), []).append(i)
    for target in sorted(groups):
        lines.append(one_line(target))
        for i in groups[target]:
            lines += _finding_lines(plan, i, color, where=where)
    if drift:
        lines += ["", "drift (in the database, not in the spec; never dropped):"]
        for i in drift:
            lines += _finding_lines(plan, i, color, show_target=True)
    unmanaged = plan.by_verdict(Verdict.UNMANAGED)
    if unmanaged:
        lines += ["", f"{len(unmanaged)} object(s) in the database are not described by the spec: "
                      "not schemadiff's, left alone."]
    if plan.steps and not plan.refused:
        lines += _step_lines(plan)
        follow = followups.of_plan(plan)
        if follow:
            lines += ["", followups.TITLE] + [f"  {one_line(sql)}" for _, sql in follow] + [
                f"  ({followups.WHY})"]
    s = plan.summary()
    if not groups and not drift:
        lines.append("No changes: the database matches the spec.")
    lines += ["", f"Plan: {s['add']} to add, {s['widen']} widening, {s['refused']} refused, {s['drift']} drift"
                  + (f"; {s['steps']} statement(s)." if s["steps"] else ".")]
    if s["refused"]:
        lines.append("Refused: the spec asks for something non-additive; nothing of this plan may be applied.")
    return "\n".join(lines) + "\n"


def _finding_lines(plan: Plan, i: int, color: bool, show_target: bool = False, where=None) -> list[str]:
    change = plan.changes[i]
    out = []
    for f in plan.findings[i]:
        mark = f.verdict.value
        if color and f.verdict in _COLORS:
            mark = f"{_COLORS[f.verdict]}{mark}{_RESET}"
        if f.verdict is Verdict.DRIFT:
            out.append(f"  {mark} {one_line(change.target())}: {one_line(f.reason)}  [{f.code}]")
            continue
        describe = change.describe()
        if any(g.verdict is Verdict.DRIFT for g in plan.findings[i]):  # kept, never dropped: say so
            describe = f"{describe.removeprefix('drop ')}: in the database, not in the spec (never dropped)"
        what = f"{change.target()}: {describe}" if show_target else describe
        line = f"  {mark} {one_line(what)}  [{f.code} {f.name}]"
        if f.verdict in (Verdict.REFUSE, Verdict.WIDEN):
            line += f"\n      {one_line(f.reason)}"
        out.append(line)
        for field, database, spec in differences(change):  # what differs, so a reviewer can judge it
            out += [f"      {field}, in the database: {one_line(database)}",
                    f"      {field}, in the spec: {one_line(spec)}"]
        if f.verdict is Verdict.REFUSE:
            spot = where(change) if where is not None else None
            if spot is not None:
                out.append(f"      at {one_line(f'{spot.file}:{spot.line}')}")
            out += teaching_lines(f.code, f.name, change=change)
    return out


def _step_lines(plan: Plan) -> list[str]:
    """The statements as apply runs them: by phase, each with the lock it takes and
    whether it rewrites or scans the table. A new table's statements (its indexes,
    policies, comments…) are one entry: nobody else sees the table yet."""
    from . import changes as c
    from .locks import NEW_MATVIEW, NEW_TABLE, NEW_VIEW, effect, referenced_tables, statement_kind

    new = {(ch.table.schema, ch.table.name) for ch in plan.changes if isinstance(ch, c.AddTable)}
    phases = [p for p in PHASES if any(s.phase == p for s in plan.steps)]
    out = ["", f"Steps, in the order apply runs them ({len(plan.steps)} statement(s) in {len(phases)} phase(s)):"]
    n = 0
    for k, phase in enumerate(phases, 1):
        out += ["", f"phase {k}/{len(phases)}: {phase} ({_PHASE_HOW[phase]})"]
        steps = [s for s in plan.steps if s.phase == phase]
        tables: dict[int, list] = {}  # a new table's statements, under its first
        for step in steps:
            if isinstance(step.change, (c.AddTable, c.AddView)):
                tables.setdefault(id(step.change), []).append(step)
        for step in steps:
            if isinstance(step.change, c.AddView):  # a new view's statements: one entry, like a table's
                group = tables.get(id(step.change))
                if group is None or group[0] is not step:
                    continue
                n += 1
                count = f"{len(group)} statements; " if len(group) > 1 else ""
                shown = NEW_MATVIEW if step.change.view.materialized else NEW_VIEW
                out += [f"  {n:>3}. {one_line(f'{step.change.target()}: {step.change.describe()}')}",
                        f"       {count}{shown}"]
                continue
            if isinstance(step.change, c.AddTable):
                group = tables.get(id(step.change))
                if group is None or group[0] is not step:
                    continue
                n += 1
                extras = _kinds(s.detail for s in group[1:] if s.detail)
                what = step.change.describe() + (f"; then {extras}" if extras else "")
                locks = sorted({ref for s in group for ref in referenced_tables(s.sql)} - new)
                shown = NEW_TABLE + "".join(f"; SHARE ROW EXCLUSIVE on {schema}.{name} (referenced), brief"
                                            for schema, name in locks)
                count = f"{len(group)} statements; " if len(group) > 1 else ""
                out += [f"  {n:>3}. {one_line(f'{step.change.target()}: {what}')}",
                        f"       {count}{one_line(shown)}"]
                continue
            n += 1
            what = step.change.describe()
            out += [f"  {n:>3}. {one_line(f'{step.change.target()}: {what}')}",
                    f"       {statement_kind(step.sql)}: {effect(step.sql)}"]
    return out


def _kinds(details) -> str:
    """``3 indexes, 1 policy, 2 comments`` from a new table's step details."""
    words = {"index": ("index", "indexes"), "policy": ("policy", "policies"), "comment": ("comment", "comments"),
             "foreign": ("foreign key", "foreign keys"), "row": ("row level security", "row level security")}
    counts: dict[str, int] = {}
    for detail in details:
        first = detail.split(" ", 1)[0]
        counts[first] = counts.get(first, 0) + 1
    return ", ".join(f"{k} {words[w][k != 1]}" if w != "row" else words[w][0]
                     for w, k in counts.items() if w in words) + (
        "" if all(w in words for w in counts) else (", " if any(w in words for w in counts) else "")
        + ", ".join(f"{k} {w}" for w, k in counts.items() if w not in words))


def render_sql(plan: Plan, lock_timeout: str, statement_timeout: str, psql: bool = True) -> str:
    """A psql script: explicit transactions per phase, timeouts before each step,
    the change and rule above each statement. ``psql=False`` leaves out psql's
    own commands (``\\set ON_ERROR_STOP``), for migration runners that send the
    file to the server as it is."""
    from .compile.verify import PIN_STRINGS  # here: a text or JSON plan never loads the compiler

    if plan.refused:
        return ("-- schemadiff: the plan is refused (see `schemadiff plan --format text`); no SQL is written.\n")
    if not plan.steps:
        return "-- schemadiff: no changes; the database matches the spec.\n"
    phases = [p for p in PHASES if any(s.phase == p for s in plan.steps)]
    out = [f"-- schemadiff plan ({PLAN_FORMAT}): {len(plan.steps)} statement(s) in {len(phases)} phase(s)",
           f"-- made against database state {plan.fingerprint}"] + (["\\set ON_ERROR_STOP on"] if psql else [])
    out += [PIN_STRINGS, ""]
    for n, phase in enumerate(phases, 1):
        steps = [s for s in plan.steps if s.phase == phase]
        out.append(f"-- phase {n}/{len(phases)}: {phase} ({_PHASE_TITLES[phase]})")
        if phase == "transactional" or phase == "enum-values":
            out += ["BEGIN;", f"SET LOCAL lock_timeout = '{lock_timeout}';",
                    f"SET LOCAL statement_timeout = '{statement_timeout}';", ""]
            for s in steps:
                out += [_comment(s), s.sql + ";", ""]
            out += ["COMMIT;", ""]
        elif phase == "concurrent":
            for s in steps:
                out += [f"SET lock_timeout = '{lock_timeout}';", "SET statement_timeout = 0;", _comment(s),
                        s.sql + ";", ""]
            out += ["RESET lock_timeout;", "RESET statement_timeout;", ""]
        else:
            for s in steps:
                out += ["BEGIN;", f"SET LOCAL lock_timeout = '{lock_timeout}';", "SET LOCAL statement_timeout = 0;",
                        _comment(s), s.sql + ";", "COMMIT;", ""]
    out += followups.comment_lines(followups.of_plan(plan))
    return "\n".join(out).rstrip("\n") + "\n"


def _comment(step) -> str:
    codes = ", ".join(f.code for f in step.findings)
    what = f"create table: {step.detail}" if step.detail else step.change.describe()
    text = one_line(f"{step.change.target()}: {what}")  # a line break would end the comment
    return f"-- [{codes}] {text}"


def plan_document(plan: Plan, *, spec: str, database: str, server_version: str | None) -> dict:
    """The plan as data; ``follow_ups`` (what the user runs when they choose, never
    schemadiff) only when there are some."""
    findings = []
    for i, ch in enumerate(plan.changes):
        diffs = [{"field": a, "database": b, "spec": c} for a, b, c in differences(ch)]
        for f in plan.findings[i]:
            findings.append(f.to_json() | ({"differences": diffs} if diffs else {}))
    follow = [{"object": what, "sql": sql, "run": "by you, when you choose; never by schemadiff",
               "why": followups.WHY} for what, sql in followups.of_plan(plan)]
    return {
        "format": PLAN_FORMAT,
        "spec": spec,
        "database": database,
        "server_version": server_version,
        "fingerprint": plan.fingerprint,
        "state": plan.state,
        "summary": plan.summary(),
        "findings": [f for f in findings if f["verdict"] not in ("drift", "unmanaged")],
        "drift": [f for f in findings if f["verdict"] == "drift"],
        "unmanaged": [f for f in findings if f["verdict"] == "unmanaged"],
        "steps": [] if plan.refused else [
            {"phase": s.phase, "sql": s.sql, "object": s.change.target(), "change": s.change.describe(),
             "rules": [f.code for f in s.findings]} for s in plan.steps],
    } | ({"follow_ups": follow} if follow else {})


def render_json(plan: Plan, **kwargs) -> str:
    return json.dumps(plan_document(plan, **kwargs), indent=2, ensure_ascii=False) + "\n"
