"""A check's result as text, JSON, GitHub workflow commands, SARIF 2.1.0 or JUnit XML."""

from __future__ import annotations

import json
import os
import subprocess
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as ET

from . import __version__
from .check import CheckResult, Item
from .oneline import one_line
from .rules import all_rules, doc_link, safe_path, teaching_lines
from .rules.docs import anchor, split_docstring
from .rules.policies import POLICIES
from .rules.teach import safe_path_for, safe_path_text

CHECK_FORMAT = "schemadiff.check/v1"
RULES_DOC = "docs/rules.md"
_MARK = {"error": "!", "warning": "~", "note": "+"}


@lru_cache(maxsize=256)
def _repository_top(cwd: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", cwd, "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    except FileNotFoundError:
        return None
    return os.path.realpath(done.stdout.strip()) if done.returncode == 0 else None


def repo_path(file: str) -> str:
    """A spec file as a path from the top of the repository that holds it (what GitHub
    and SARIF consumers match against), whatever directory check ran in and whether
    the spec was named by a relative or an absolute path; as given outside git."""
    cwd = os.path.realpath(os.getcwd())
    absolute = os.path.realpath(os.path.join(cwd, file))
    top = _repository_top(_existing_dir(os.path.dirname(absolute))) or _repository_top(cwd)
    if top is None:
        return file
    rel = os.path.relpath(absolute, top)
    return file if rel.startswith("..") else Path(rel).as_posix()


def _existing_dir(path: str) -> str:
    """``path`` or its nearest existing parent (a file of the base spec may be gone)."""
    while path and not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def _where(item: Item) -> str:
    return f"{item.location.file}:{item.location.line}" if item.location else ""


def _summary(result: CheckResult) -> str:
    s = result.plan.summary()
    waived = sum(1 for i in result.items if i.waiver is not None)
    return (f"Check: {len(result.plan.changes)} change(s): {s['add']} additive, {s['widen']} widening, "
            f"{s['refused']} refused by the rules; {len(result.errors)} error(s), {len(result.warnings)} warning(s)"
            + (f", {waived} waived" if waived else "") + ".")


def render_text(result: CheckResult) -> str:
    lines = [f"schemadiff check of {result.head} against {result.base}"
             + (f" (policy {result.policy.path})" if result.policy.path else ""), ""]
    by_target: dict[str, list[Item]] = {}
    loose = []
    for item in result.items:
        if item.change_index is None:
            loose.append(item)
        else:
            by_target.setdefault(item.target, []).append(item)
    for target in sorted(by_target):
        lines.append(one_line(target))
        for item in by_target[target]:
            level = item.level if item.waiver is None else "waived"
            mark = _MARK[item.waived_level or item.level]  # a waived refusal is still a refusal: `!`
            lines.append(f"  {mark} {one_line(item.change)}  [{item.code} {item.rule}] {level}")
            if item.level != "note" or item.waiver is not None:
                lines.append(f"      {one_line(item.message)}")
            if item.level != "note" and item.location:
                lines.append(f"      at {_where(item)}")
            if item.verdict == "refuse" and (item.level != "note" or item.waiver is not None):
                lines += teaching_lines(item.code, item.rule, change=_change(result, item))
    if loose:
        lines += ["", "policy file:"]
        for item in loose:
            lines += [f"  {_MARK[item.level]} {one_line(item.target)}  [{item.code} {item.rule}] {item.level}",
                      f"      {one_line(item.message)}", f"      at {_where(item)}"]
    if not result.plan.changes:
        lines.append(f"No changes: {result.head} matches {result.base}.")
    lines += ["", _summary(result),
              "Passed." if result.passed else "Failed: the change is not allowed by the rules or this repository's policy."]
    return "\n".join(lines) + "\n"


def document(result: CheckResult) -> dict:
    return {
        "format": CHECK_FORMAT,
        "base": result.base,
        "head": result.head,
        "policy": result.policy.path,
        "passed": result.passed,
        "summary": {**result.plan.summary(), "changes": len(result.plan.changes), "errors": len(result.errors),
                    "warnings": len(result.warnings)},
        "items": [{
            "code": i.code, "rule": i.rule, "level": i.level, "verdict": i.verdict, "object": i.object,
            "target": i.target, "change": i.change, "message": i.message,
            "file": i.location.file if i.location else None, "line": i.location.line if i.location else None,
            "column": i.location.column if i.location else None,
            "waiver": None if i.waiver is None else {"reason": i.waiver.reason,
                                                     "expires": i.waiver.expires.isoformat()},
        } for i in result.items],
        # a plan the rules refuse is never executable, even when the policy lets the check pass
        "steps": [] if result.plan.refused else [{"phase": s.phase, "sql": s.sql, "object": s.change.target()}
                                                 for s in result.plan.steps],
    }


def render_json(result: CheckResult) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _change(result: CheckResult, item: Item):
    """The change an item is about (its safe path names that change's table and column), or None."""
    return result.plan.changes[item.change_index] if item.change_index is not None else None


def _teach(item: Item, change=None) -> str:
    """`` Safe path: 1. …; 2. … See docs/rules.md#…`` for a refusal, on one line; else ""."""
    steps = safe_path_text(item.code, change) if item.verdict == "refuse" else ""
    return f" Safe path: {steps}. See {doc_link(item.code, item.rule)}" if steps else ""


def render_github(result: CheckResult) -> str:
    """GitHub Actions workflow commands: an annotation per error and warning
    (and a notice per waived finding) on the spec file line, then the summary."""
    out = []
    for item in result.items:
        if item.level == "note" and item.waiver is None:
            continue
        command = {"error": "error", "warning": "warning", "note": "notice"}[item.level]
        props = []
        if item.location:
            props += [f"file={_escape_property(repo_path(item.location.file))}", f"line={item.location.line}",
                      f"col={item.location.column}"]
        props.append(f"title={_escape_property(f'{item.code} {item.rule}')}")
        what = f"{item.target}: {item.change}" if item.change else item.target
        teach = _teach(item, _change(result, item))
        out.append(f"::{command} {','.join(props)}::{_escape_data(f'{what}: {item.message}{teach}')}")
    out.append(_summary(result) + (" Passed." if result.passed else " Failed."))
    return "\n".join(out) + "\n"


def _rule_catalog() -> list[dict]:
    """Every rule and policy, as SARIF reportingDescriptors."""
    out = []
    for rule in all_rules():
        text, bad, good = split_docstring(rule)
        first = text.split("\n\n", 1)[0]
        steps = [f"{n}. {step}" for n, step in enumerate(safe_path_for(rule.code), 1)]
        path_text = "".join(f"\n{s}" for s in steps)
        path_markdown = "".join(f"\n{s}" for s in steps)
        out.append({
            "id": rule.code, "name": rule.name,
            "shortDescription": {"text": first},
            "fullDescription": {"text": text},
            "help": {"text": f"{text}\nBad: {bad}\nGood: {good}" + (f"\nSafe path:{path_text}" if steps else "")
                             + f"\nSee {RULES_DOC}#{anchor(rule)}",
                     "markdown": f"{text}\n\n- **Bad:** {bad}\n- **Good:** {good}\n\n"
                                 + (f"**Safe path:**\n{path_markdown}\n\n" if steps else "")
                                 + f"[{rule.code} {rule.name}]({RULES_DOC}#{anchor(rule)})"},
            "properties": {"category": rule.category, "tags": [rule.category]},
        })
    for p in POLICIES:
        link = f"{RULES_DOC}#{anchor(p)}"
        out.append({
            "id": p.code, "name": p.name,
            "shortDescription": {"text": p.summary},
            "fullDescription": {"text": p.description},
            "help": {"text": f"{p.description}\nSee {link}", "markdown": f"{p.description}\n\n[{p.code} {p.name}]({link})"},
            "properties": {"category": "policy", "tags": ["policy"]},
        })
    return out


def render_sarif(result: CheckResult) -> str:
    rules = _rule_catalog()
    index = {r["id"]: n for n, r in enumerate(rules)}
    results = []
    for item in result.items:
        allowed = item.level == "note" and item.waiver is None  # an additive change: not an alert
        entry: dict = {
            "ruleId": item.code, "ruleIndex": index[item.code],
            "kind": "pass" if allowed else "fail",
            "level": "none" if allowed else ("note" if item.waiver is not None else item.level),
            "message": {"text": (f"{item.target}: {item.change}: {item.message}" if item.change
                                 else f"{item.target}: {item.message}") + _teach(item, _change(result, item))},
            "properties": {"object": item.object, "verdict": item.verdict},
        }
        if item.verdict == "refuse" and safe_path(item.code):
            entry["properties"]["safePath"] = list(safe_path_for(item.code, _change(result, item)))
        if item.location:
            entry["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": quote(repo_path(item.location.file), safe="/"),
                                     "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": item.location.line, "startColumn": item.location.column}}}]
        if item.waiver is not None:
            entry["suppressions"] = [{"kind": "external", "status": "accepted",
                                      "justification": f"{item.waiver.reason} (until {item.waiver.expires.isoformat()})"}]
        results.append(entry)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "schemadiff", "version": __version__, "semanticVersion": __version__,
                                "rules": rules}},
            "invocations": [{"executionSuccessful": True,
                             "properties": {"base": result.base, "head": result.head, "passed": result.passed}}],
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository's top directory"}}},
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_junit(result: CheckResult) -> str:
    """One test case per change (failed when any of its items is an error),
    and one per item about the policy file itself."""
    suite = ET.Element("testsuite", name=f"schemadiff check {result.head}")
    cases = failures = 0
    by_change: dict[int, list[Item]] = {}
    for item in result.items:
        if item.change_index is not None:
            by_change.setdefault(item.change_index, []).append(item)
    for i, ch in enumerate(result.plan.changes):
        items = by_change.get(i, [])
        case = ET.SubElement(suite, "testcase", classname=ch.target(), name=ch.describe(), time="0")
        cases += 1
        if items and items[0].location:
            case.set("file", repo_path(items[0].location.file))
            case.set("line", str(items[0].location.line))
        errors = [it for it in items if it.level == "error"]
        if errors:
            failures += 1
            failure = ET.SubElement(case, "failure", type=errors[0].code,
                                    message="; ".join(f"{it.code} {it.rule}: {it.message}" for it in errors))
            failure.text = "\n".join(f"{it.code} {it.rule} at {_where(it)}: {it.message}" for it in errors)
        others = [it for it in items if it.level != "error"]
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(
                f"{it.level} {it.code} {it.rule}: {it.message}" for it in others)
    for item in result.items:
        if item.change_index is not None:
            continue
        case = ET.SubElement(suite, "testcase", classname="policy", name=item.target, time="0")
        cases += 1
        if item.location:
            case.set("file", repo_path(item.location.file))
            case.set("line", str(item.location.line))
        if item.level == "error":
            failures += 1
            ET.SubElement(case, "failure", type=item.code, message=item.message).text = item.message
        else:
            ET.SubElement(case, "system-out").text = f"{item.level} {item.code}: {item.message}"
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("time", "0")
    root = ET.Element("testsuites", tests=str(cases), failures=str(failures), errors="0")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


RENDERERS = {"text": render_text, "json": render_json, "github": render_github, "sarif": render_sarif,
             "junit": render_junit}
