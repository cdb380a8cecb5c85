"""Rule machinery: findings, the evaluation context, the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from ..changes import Change
from ..model import QualifiedName, Schema
from .catalog_facts import CatalogFacts


class Verdict(str, Enum):
    ADD = "+"  # additive: allowed
    WIDEN = "~"  # a lossless widening: allowed, reported
    REFUSE = "!"  # destructive, breaking, tightening, rewrite or authorization: refused
    DRIFT = "?"  # in the database, not in the spec, inside a managed table: reported, never dropped
    UNMANAGED = "-"  # in the database, not in the spec, not a managed table: not ours


SEVERITY = {Verdict.ADD: 0, Verdict.WIDEN: 1, Verdict.UNMANAGED: 2, Verdict.DRIFT: 3, Verdict.REFUSE: 4}


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    verdict: Verdict
    reason: str
    change: Change

    def to_json(self) -> dict:
        kept = self.verdict in (Verdict.DRIFT, Verdict.UNMANAGED)
        return {"code": self.code, "rule": self.name, "verdict": self.verdict.name.lower(),
                "object": self.change.target(),
                "change": "none: left as it is in the database" if kept else self.change.describe(),
                "reason": self.reason}


@dataclass
class Context:
    """What a rule may know besides the change itself.

    ``mode`` is ``"database"`` when the current side is a live database (objects
    missing from the spec are drift, never dropped) and ``"spec"`` when both
    sides are specs (``check``: removing an object from the spec is destructive).
    """

    mode: str
    current: Schema
    desired: Schema
    new_tables: set[QualifiedName] = field(default_factory=set)
    new_columns: set[tuple[QualifiedName, str]] = field(default_factory=set)
    is_volatile: Callable[[str], bool] = lambda expression: False
    # (schema, name) -> what holds the name in the relation namespace (and among types):
    # the current model's objects, and in database mode everything the live catalog holds there.
    taken: dict[tuple[str, str], str] = field(default_factory=dict)
    # Facts of the live catalog (database mode only; empty in check): ``catalog_facts``.
    catalog: CatalogFacts = field(default_factory=CatalogFacts)
    # Database mode: every view's reads as pg_depend records them, and the tables with row
    # level security, database-wide (``relgraph.RelationFacts``), for SD704/SD705's walk.
    relations: dict = field(default_factory=dict)

    @property
    def from_database(self) -> bool:
        return self.mode == "database"


class Rule:
    """A rule judges changes of the types in ``changes``; ``check`` returns a
    finding when the rule applies to this change, or None."""

    code: str = ""
    name: str = ""
    category: str = ""  # additive | widening | destructive | breaking | tightening | rewrite | authorization | conflict
    changes: tuple[type, ...] = ()
    # What to do instead, step by step, when this rule refuses: printed under the
    # refusal (plan, check) and in docs/rules.md. Every rule that can refuse has one.
    safe_path: tuple[str, ...] = ()

    def check(self, change: Change, ctx: Context) -> Finding | None:
        raise NotImplementedError

    def finding(self, change: Change, verdict: Verdict, reason: str) -> Finding:
        return Finding(self.code, self.name, verdict, reason, change)


_REGISTRY: dict[str, Rule] = {}
_NAMES: dict[str, str] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator; a code or a name registered twice is a bug, loudly."""
    rule = cls()
    if not rule.code or not rule.name or not rule.changes:
        raise ValueError(f"rule {cls.__name__} needs a code, a name and the change types it judges")
    if rule.code in _REGISTRY:
        raise ValueError(f"rule code {rule.code} registered twice ({cls.__name__}, {type(_REGISTRY[rule.code]).__name__})")
    if rule.name in _NAMES:
        raise ValueError(f"rule name {rule.name} registered twice ({rule.code}, {_NAMES[rule.name]})")
    _REGISTRY[rule.code] = rule
    _NAMES[rule.name] = rule.code
    return cls


def all_rules() -> list[Rule]:
    return [_REGISTRY[code] for code in sorted(_REGISTRY)]


UNJUDGED = "SD000"
RULES_DOC = "docs/rules.md"


def doc_link(code: str, name: str) -> str:
    """Where a rule is explained: ``docs/rules.md#sd503-not-null-without-default``."""
    return f"{RULES_DOC}#{f'{code} {name}'.lower().replace(' ', '-')}"


def safe_path(code: str) -> tuple[str, ...]:
    """The safe path of the rule with this code; () for a code no rule has (a policy, SD000)."""
    rule = _REGISTRY.get(code)
    return rule.safe_path if rule is not None else ()


def evaluate(change: Change, ctx: Context) -> list[Finding]:
    """Every finding of every rule for one change; a change no rule judges is
    refused (a safe default for a change type added without a rule)."""
    findings = [f for rule in all_rules() if isinstance(change, rule.changes)
                for f in [rule.check(change, ctx)] if f is not None]
    if not findings:
        findings = [Finding(UNJUDGED, "unjudged-change", Verdict.REFUSE,
                            f"no rule judges {type(change).__name__}; refused until one does", change)]
    return findings


def verdict_of(findings: list[Finding]) -> Verdict:
    return max((f.verdict for f in findings), key=SEVERITY.__getitem__)
