"""The safety rules: the registry's contract, the generated docs, and table-driven cases.

Each ``tests/rule_cases/SDNNN.yaml`` is a list of cases::

    - name: a new nullable column is additive
      mode: database                  # database | spec
      current: {schemadiff.yaml: "version: 1\\n", tables/t.yaml: "..."}   # or null: an empty database / no spec
      desired: {schemadiff.yaml: "version: 1\\n", ...}
      database:                       # optional, database mode: what only a database can hold
        not_valid: [{table: t, name: t_amount_check}]      # a constraint left NOT VALID
        invalid_indexes: [{table: t, name: t_idx}]         # an index a failed CONCURRENTLY build left INVALID
        constrained_domains: {public.posint: "domain public.posint (CHECK posint_check)"}   # catalog facts
        volatile_domain_defaults: {public.token: gen_random_uuid()}                         # (CatalogFacts)
        column_users: [{table: t, column: name, users: [rule _RETURN on view public.v]}]   # (CatalogFacts)
      expect:
        codes: [SD106]                # codes that must be among the findings
        verdicts: {SD106: add}        # refuse | add | widen | drift | unmanaged, for every finding of that code
        absent: [SD503]               # optional: codes that must not be among the findings
        exit: 0                       # 3 when the plan refuses anything, else 0

Both sides are loaded with ``load_spec`` and compared with ``build_plan`` — pure, no
database. Volatility is what a database would answer: every case runs with
``is_volatile = lambda e: "gen_random_uuid" in e or "random()" in e`` so that
``gen_random_uuid()`` is volatile (SD601) and ``now()`` is not (SD106).

Beyond its expectations, every case must judge every change (no SD000) and never
judge one change both allowed (add/widen) and refused.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from schemadiff.model import QualifiedName, Schema
from schemadiff.plan import build_plan
from schemadiff.rules import UNJUDGED, Rule, Verdict, all_rules
from schemadiff.rules import base as rules_base
from schemadiff.rules.catalog_facts import CatalogFacts
from schemadiff.rules.docs import REGENERATE, render_rules_markdown
from schemadiff.spec.errors import SpecError
from schemadiff.spec.load import load_spec

from .conftest import ROOT, write_spec

CASES_DIR = Path(__file__).resolve().parent / "rule_cases"
DOCS = ROOT / "docs" / "rules.md"
CATEGORIES = {"additive", "widening", "destructive", "breaking", "tightening", "rewrite", "authorization", "conflict"}
VERDICTS = {v.name.lower(): v for v in Verdict}
EXIT_OK, EXIT_REFUSED = 0, 3


def is_volatile(expression: str) -> bool:
    """What the database would say: gen_random_uuid() and random() are volatile, now() is stable."""
    return "gen_random_uuid" in expression or "random()" in expression


# -- the registry -----------------------------------------------------------------

def test_codes_and_names_are_unique():
    rules = all_rules()
    codes = [r.code for r in rules]
    names = [r.name for r in rules]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule.code.startswith("SD") and rule.code[2:].isdigit() and len(rule.code) == 5, rule.code
        assert rule.code != UNJUDGED


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_metadata(rule: Rule):
    assert rule.category in CATEGORIES, f"{rule.code}: category {rule.category!r}"
    assert rule.changes, f"{rule.code} judges no change type"
    lines = [line.strip() for line in (type(rule).__doc__ or "").splitlines()]
    assert any(line.startswith("Bad:") for line in lines), f"{rule.code}: no 'Bad:' line in the docstring"
    assert any(line.startswith("Good:") for line in lines), f"{rule.code}: no 'Good:' line in the docstring"


def test_registering_a_duplicate_code_raises():
    before_registry, before_names = dict(rules_base._REGISTRY), dict(rules_base._NAMES)
    existing = all_rules()[0]

    class Duplicate(Rule):
        """Bad: x\nGood: y"""
        code, name, category, changes = existing.code, "a-throwaway-duplicate", "additive", existing.changes

        def check(self, change, ctx):
            return None

    try:
        with pytest.raises(ValueError, match="registered twice"):
            rules_base.register(Duplicate)
    finally:
        leaked = set(rules_base._REGISTRY) ^ set(before_registry) or set(rules_base._NAMES) ^ set(before_names)
        rules_base._REGISTRY.clear()
        rules_base._REGISTRY.update(before_registry)
        rules_base._NAMES.clear()
        rules_base._NAMES.update(before_names)
    assert not leaked, f"a refused registration changed the registry: {leaked}"
    assert rules_base._REGISTRY[existing.code] is existing


def test_registering_a_duplicate_name_raises():
    before_registry, before_names = dict(rules_base._REGISTRY), dict(rules_base._NAMES)
    existing = all_rules()[0]

    class Duplicate(Rule):
        code, name, category, changes = "SD999", existing.name, "additive", existing.changes

    try:
        with pytest.raises(ValueError, match="registered twice"):
            rules_base.register(Duplicate)
    finally:
        leaked = set(rules_base._REGISTRY) ^ set(before_registry)
        rules_base._REGISTRY.clear()
        rules_base._REGISTRY.update(before_registry)
        rules_base._NAMES.clear()
        rules_base._NAMES.update(before_names)
    assert not leaked, f"a refused registration changed the registry: {leaked}"


# -- the docs ---------------------------------------------------------------------

def test_docs_are_current():
    expected = render_rules_markdown()
    actual = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    assert actual == expected, f"docs/rules.md is stale; regenerate it with: {REGENERATE}"


def test_docs_have_a_section_per_rule():
    text = render_rules_markdown()
    for rule in all_rules():
        assert f"\n## {rule.code} {rule.name}\n" in text


# -- the cases --------------------------------------------------------------------

def _load_cases() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(CASES_DIR.glob("SD*.yaml")):
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(cases, list) and cases, f"{path.name}: a non-empty list of cases"
        for case in cases:
            out.append((path.stem, case))
    return out


CASES = _load_cases()


def test_every_rule_has_cases():
    files = {code for code, _ in CASES}
    missing = sorted(r.code for r in all_rules() if r.code not in files)
    assert not missing, f"rules without a case file in tests/rule_cases/: {missing}"
    unknown = sorted(files - {r.code for r in all_rules()})
    assert not unknown, f"case files for rules that do not exist: {unknown}"
    fires = {code for code, case in CASES if code in case["expect"]["codes"]}
    silent = sorted(files - fires)
    assert not silent, f"case files without a case where their rule fires: {silent}"


def _schema(files: dict | None, where: Path) -> Schema:
    if files is None:
        return Schema()
    try:
        return load_spec(write_spec(where, files)).schema
    except SpecError as exc:
        pytest.fail(f"the case's {where.name} spec does not load:\n{exc}", pytrace=False)


def _database_state(schema: Schema, state: dict | None) -> Schema:
    """Mark constraints NOT VALID and indexes INVALID, as only a database can hold them."""
    if not state:
        return schema
    not_valid = {(x.get("schema", "public"), x["table"], x["name"]) for x in state.get("not_valid", [])}
    invalid = {(x.get("schema", "public"), x["table"], x["name"]) for x in state.get("invalid_indexes", [])}
    found = set()

    def mark(t, items, wanted, field, value):
        out = []
        for item in items:
            if (t.schema, t.name, item.name) in wanted:
                found.add((t.schema, t.name, item.name))
                item = replace(item, **{field: value})
            out.append(item)
        return tuple(out)

    tables = tuple(replace(t, checks=mark(t, t.checks, not_valid, "validated", False),
                           foreign_keys=mark(t, t.foreign_keys, not_valid, "validated", False),
                           indexes=mark(t, t.indexes, invalid, "valid", False)) for t in schema.tables)
    assert found == not_valid | invalid, f"database: not found in current: {sorted((not_valid | invalid) - found)}"
    return replace(schema, tables=tables)


def _catalog(state: dict | None) -> CatalogFacts:
    """What the live catalog would say (``introspect.column_facts``): constrained domains, column users."""
    state = state or {}
    users = {(QualifiedName(x.get("schema", "public"), x["table"]), x["column"]): tuple(x["users"])
             for x in state.get("column_users", [])}
    return CatalogFacts(constrained_domains=dict(state.get("constrained_domains", {})), column_users=users,
                        volatile_domain_defaults=dict(state.get("volatile_domain_defaults", {})))


@pytest.mark.parametrize("code,case", CASES, ids=[f"{code}: {case.get('name')}" for code, case in CASES])
def test_rule_case(code: str, case: dict, tmp_path: Path):
    assert set(case) <= {"name", "mode", "current", "desired", "database", "expect"}, set(case)
    mode = case["mode"]
    assert mode in ("database", "spec")
    expect = case["expect"]
    current = _schema(case["current"], tmp_path / "current")
    if case.get("database"):
        assert mode == "database", "only a database holds NOT VALID constraints and INVALID indexes"
        current = _database_state(current, case["database"])
    desired = _schema(case["desired"], tmp_path / "desired")

    plan = build_plan(current, desired, mode=mode, is_volatile=is_volatile, catalog=_catalog(case.get("database")))

    findings = [f for fs in plan.findings.values() for f in fs]
    shown = "\n".join(f"  {f.code} {f.verdict.name.lower()}: {f.change.describe()} ({f.reason})" for f in findings)
    got = {f.code for f in findings}
    assert UNJUDGED not in got, f"a change no rule judges:\n{shown}"
    for i, fs in plan.findings.items():
        verdicts = {f.verdict for f in fs}
        assert not (verdicts & {Verdict.ADD, Verdict.WIDEN} and Verdict.REFUSE in verdicts), \
            f"{plan.changes[i].describe()} is judged both allowed and refused: " + \
            ", ".join(f"{f.code} {f.verdict.name.lower()}" for f in fs)
    missing = [c for c in expect["codes"] if c not in got]
    assert not missing, f"expected {missing} among the findings:\n{shown}"
    unwanted = [c for c in expect.get("absent", []) if c in got]
    assert not unwanted, f"expected {unwanted} not to fire:\n{shown}"
    for c, word in expect.get("verdicts", {}).items():
        verdicts = {f.verdict.name.lower() for f in findings if f.code == c}
        assert verdicts == {word}, f"{c}: expected {word}, got {sorted(verdicts)}:\n{shown}"
        assert word in VERDICTS
    exit_code = EXIT_REFUSED if plan.refused else EXIT_OK
    assert exit_code == expect["exit"], f"exit {exit_code}, expected {expect['exit']}:\n{shown}"


def test_case_names_are_unique():
    names = [(code, case["name"]) for code, case in CASES]
    assert len(names) == len(set(names))


def test_volatility_matters():
    """The volatility the cases run with: what separates SD601 from SD106."""
    assert is_volatile("gen_random_uuid()") and is_volatile("random()")
    assert not is_volatile("now()") and not is_volatile("0")
