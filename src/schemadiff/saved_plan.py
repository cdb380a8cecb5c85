"""A saved plan (``plan --out PLAN.json``) read back as data, and compared with
the plan made now.

A plan file is a record of what was reviewed, not a program: ``apply --plan``
re-plans from the spec and the live database and runs the fresh steps only if
the file says exactly the same — every step (phase, SQL, object, change, rules,
in order), the findings, the per-object state and the fingerprint (which covers
the database state and the steps). The file is read through a strict model:
JSON with a duplicate key, a NaN, a missing or unknown key, or a value of the
wrong type is refused with one line, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, model_serializer

from .oneline import one_line
from .plan import PLAN_FORMAT

MAX_BYTES = 512 * 1024 * 1024


class SavedPlanError(Exception):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class SavedStep(_Strict):
    phase: str
    sql: str
    object: str
    change: str
    rules: list[str]


class SavedDifference(_Strict):
    field: str
    database: str
    spec: str


class SavedFinding(_Strict):
    code: str
    rule: str
    verdict: str
    object: str
    change: str
    reason: str
    differences: list[SavedDifference] | None = None  # a changed object: what differs (``differences.py``)

    @model_serializer(mode="wrap")
    def _as_written(self, handler):
        """A finding without differences has no such key in the file, nor in its dump."""
        data = handler(self)
        if data.get("differences") is None:
            data.pop("differences", None)
        return data


class SavedFollowUp(_Strict):
    """What the plan leaves for the user to run (``followups``); never run by apply."""
    object: str
    sql: str
    run: str
    why: str


class SavedPlan(_Strict):
    format: str  # PLAN_FORMAT, checked first (parse_saved_plan)
    spec: str
    database: str
    server_version: str | None
    fingerprint: str
    state: dict[str, str]
    summary: dict[str, int]
    findings: list[SavedFinding]
    drift: list[SavedFinding]
    unmanaged: list[SavedFinding]
    steps: list[SavedStep]
    follow_ups: list[SavedFollowUp] | None = None  # only when there are some; derived from the steps, compared

    @model_serializer(mode="wrap")
    def _as_written(self, handler):
        """A plan without follow-ups has no such key in the file, nor in its dump."""
        data = handler(self)
        if data.get("follow_ups") is None:
            data.pop("follow_ups", None)
        return data


# What a fresh plan must repeat exactly. Left out: where the plan was made from
# (``spec`` as typed, ``database`` as shown, ``server_version``), which describe
# the run, not the migration.
COMPARED = ("state", "steps", "findings", "drift", "unmanaged", "summary", "fingerprint")


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise SavedPlanError(f"the key {key!r} appears twice in one object")
        seen[key] = value
    return seen


def _no_constant(name):
    raise SavedPlanError(f"{name} is not a JSON value")


def parse_saved_plan(text: str) -> SavedPlan:
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise SavedPlanError(f"not JSON ({exc})") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise SavedPlanError(f"not JSON ({one_line(str(exc))[:100]})") from None
    except RecursionError:
        raise SavedPlanError("nested too deeply") from None
    if not isinstance(data, dict):
        raise SavedPlanError(f"a plan is a JSON object, not {type(data).__name__ if data is not None else 'null'}")
    if data.get("format") != PLAN_FORMAT:
        raise SavedPlanError(f"unknown format {one_line(repr(data.get('format')))[:60]} (expected {PLAN_FORMAT!r})")
    try:
        return SavedPlan.model_validate(data, strict=True)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"]) or "the plan"
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise SavedPlanError(f"{where}: {one_line(first['msg'])}{more}") from None


def read_saved_plan(path: str | Path) -> SavedPlan:
    """The plan file at ``path``, or SavedPlanError with one line."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SavedPlanError(exc.strerror or type(exc).__name__) from None
    if len(raw) > MAX_BYTES:
        raise SavedPlanError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SavedPlanError(f"not UTF-8 text (byte {exc.start})") from None
    return parse_saved_plan(text)


def _sql_line(sql: str) -> str:
    return one_line(sql)[:100]


def first_difference(saved: SavedPlan, fresh: dict) -> str | None:
    """How ``saved`` differs from the plan document made now (``fresh``, from
    ``report.plan_document``), in one line; None when it does not."""
    doc = saved.model_dump()
    for key in COMPARED:
        if doc[key] == fresh[key]:
            continue
        if key == "steps":
            return _steps_difference(doc["steps"], fresh["steps"])
        if key == "fingerprint":
            return (f"its fingerprint {one_line(doc['fingerprint'])[:80]} is not the plan's made now "
                    f"({fresh['fingerprint']})")
        return f"its {key} differ from the plan made now"
    if doc.get("follow_ups") != fresh.get("follow_ups"):  # derived from the steps; the record must say them exactly
        return "its follow_ups differ from the plan made now's"
    return None


def _steps_difference(saved: list[dict], fresh: list[dict]) -> str:
    for n, (a, b) in enumerate(zip(saved, fresh), 1):
        if a == b:
            continue
        parts = [k for k in ("phase", "sql", "object", "change", "rules") if a[k] != b[k]]
        if "sql" in parts or "phase" in parts:
            return (f"step {n} differs from the plan made now: saved ({one_line(a['phase'])[:40]}) "
                    f"{_sql_line(a['sql'])} — now ({b['phase']}) {_sql_line(b['sql'])}")
        return f"step {n} differs from the plan made now in its {', '.join(parts)}"
    if len(saved) > len(fresh):
        extra = saved[len(fresh)]
        return (f"step {len(fresh) + 1} is not in the plan made now ({len(saved)} saved step(s), {len(fresh)} now): "
                f"({one_line(extra['phase'])[:40]}) {_sql_line(extra['sql'])}")
    return f"step {len(saved) + 1} is missing ({len(saved)} saved step(s), {len(fresh)} now)"
