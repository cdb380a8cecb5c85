"""A repository's policy file for ``schemadiff check``.

``schemadiff-policy.yaml``, in the spec root (``SPEC_DIR/schemadiff-policy.yaml``,
which the spec loader skips) or beside it (``SPEC_DIR/../schemadiff-policy.yaml``),
or named with ``--policy FILE``::

    version: 1
    severity:                       # per rule (code or name): error | warning | off
      SD108: "off"                  # quoted: YAML 1.1 reads a bare off as false
      volatile-default: warning
    forbid:                         # repository policies, see docs/ci.md
      - changes-to-existing-tables
      - rls-changes
    waivers:                        # one rule, one object, a reason, an expiry date
      - rule: SD302
        object: public.lead.legacy_flag
        reason: unused since 2025-03; dropped by hand in OPS-123
        expires: "2026-12-31"

Read with the same strict YAML reader as the spec, so every error names the
file, line and column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .rules import all_rules
from .rules.policies import BY_CODE as POLICY_BY_CODE
from .rules.policies import FORBIDDABLE
from .spec.errors import Mark, SpecError, SpecIssue
from .spec.load import POLICY_NAMES  # one list: the spec loader skips these files

# The file's format (pydantic models: policy_format.py), the validator and the YAML reader are
# imported by ``load_policy``: a `check` with no policy file needs none of them.

LEVELS = ("error", "warning", "off")


@dataclass(frozen=True)
class Waiver:
    rule: str  # a code
    object: str  # as written
    reason: str
    expires: dt.date
    mark: Mark

    def expired(self, today: dt.date) -> bool:
        return today > self.expires


@dataclass
class Policy:
    path: str | None = None  # None: no policy file, the defaults
    severity: dict[str, str] = field(default_factory=dict)  # code -> error | warning | off
    forbid: tuple[str, ...] = ()
    waivers: tuple[Waiver, ...] = ()


def find_policy(spec_dir: Path) -> Path | None:
    for where in (spec_dir, spec_dir.parent):
        for name in POLICY_NAMES:
            if (where / name).is_file():
                return where / name
    return None


def _codes_by_name() -> dict[str, str]:
    out = {r.name: r.code for r in all_rules()}
    out.update({p.name: p.code for p in POLICY_BY_CODE.values()})
    return out


def load_policy(path: Path, display: str | None = None) -> Policy:
    from .policy_format import PolicySpec
    from .spec.validate import validate
    from .spec.yamlread import read_yaml

    shown = display or path.as_posix()
    data = read_yaml(path, shown)
    if data is None:
        raise SpecError([SpecIssue(Mark(shown, 1, 1), "the policy file is empty", hint="start it with `version: 1`")])
    spec = validate(PolicySpec, data, shown)
    known = {r.code for r in all_rules()} | set(POLICY_BY_CODE)
    by_name = _codes_by_name()
    issues: list[SpecIssue] = []

    def code_of(text: str, mark: Mark) -> str | None:
        if text in known:
            return text
        if text in by_name:
            return by_name[text]
        issues.append(SpecIssue(mark, f"unknown rule {text!r}", hint="a rule code (SD302) or name (drop-column); "
                                                                       "see docs/rules.md"))
        return None

    severity = {}
    for key, level in spec.severity.items():
        code = code_of(key, data["severity"].key_marks[key])
        if code is not None:
            severity[code] = level
    waivers = []
    for i, w in enumerate(spec.waivers):
        item = data["waivers"][i]
        code = code_of(w.rule, item.value_marks["rule"])
        if code is not None:
            waivers.append(Waiver(code, w.object, w.reason, dt.date.fromisoformat(w.expires),
                                  data["waivers"].item_marks[i]))
    if issues:
        raise SpecError(issues)
    assert set(spec.forbid) <= set(FORBIDDABLE)
    return Policy(path=shown, severity=severity, forbid=tuple(dict.fromkeys(spec.forbid)), waivers=tuple(waivers))
