"""A saved plan is data, not a program (DESIGN.md, trust boundary 3).

- ``plan --out`` writes what the strict model reads back, field for field;
- a malformed file (any JSON shape but the plan's, wrong types, unknown or
  duplicate keys, NaN, not UTF-8, not a file) is exit 1 with one line, never a
  traceback, and nothing runs;
- the brief's hand-edited plans (a default that turns
  standard_conforming_strings off then a comment that ends early, setval,
  lo_unlink, schema elements, session_replication_role, COMMENT ON DATABASE, an
  unknown phase, unqualified names) — and the same with the fingerprint
  recomputed for the edited steps — are refused (exit 1) naming the step;
- property: any random mutation of a saved plan (a step's SQL edited, steps
  added, dropped, moved, duplicated, phases changed, SET steps inserted,
  descriptions, rules, findings, state, summary or fingerprint edited) is
  refused with exit 1 before the first statement: the canaries and the catalogs
  are exactly as they were.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from schemadiff.introspect.connect import connect
from schemadiff.plan import PHASES, _hash
from schemadiff.planning import plan_with_connection
from schemadiff.saved_plan import SavedPlan, parse_saved_plan
from schemadiff.spec import load_spec

from .conftest import EXAMPLES, run_cli, write_spec
from .test_guard_attacks import CANARY, SPEC as CANARY_SPEC, snapshot

MEMORY_SPEC = str(EXAMPLES / "memory_entities" / "schema")


@pytest.fixture
def saved(pg, db, tmp_path):
    """(dsn, spec, plan path, the plan as data): memory_entities' existing database
    plus the canaries, and its 50-step plan saved by `plan --out`."""
    assert pg.run_psql(db, file=EXAMPLES / "memory_entities" / "existing.sql").returncode == 0
    assert pg.run_psql(db, sql=CANARY).returncode == 0
    path = tmp_path / "plan.json"
    made = run_cli("plan", MEMORY_SPEC, "--db", pg.dsn(db), "--out", str(path))
    assert made.code == 0, made
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert len(doc["steps"]) == 50 and {s["phase"] for s in doc["steps"]} == set(PHASES) - {"enum-values"}
    return pg.dsn(db), MEMORY_SPEC, path, doc


def _refused_before_anything(dsn: str, spec: str, path: Path, text: str, before, *, reading: bool) -> str:
    path.write_text(text, encoding="utf-8")
    result = run_cli("apply", spec, "--db", dsn, "--plan", str(path))
    assert result.code == 1, result
    assert "Traceback" not in result.err and "[1/" not in result.out and "applied" not in result.out, result
    assert "nothing was applied" in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, lines  # one clear line
    assert lines[0].startswith(f"schemadiff: cannot read the plan {path}: " if reading
                               else f"schemadiff: the plan {path} "), lines[0]
    assert snapshot(dsn) == before
    return lines[0]


def test_a_written_plan_reads_back_through_the_model_field_for_field(saved):
    _, _, path, doc = saved
    model = parse_saved_plan(path.read_text(encoding="utf-8"))
    assert model.model_dump() == doc
    assert set(SavedPlan.model_fields) == set(doc) | {"follow_ups"}  # written only when a plan has some


# ----------------------------------------------------------------------------- malformed files

def _without(*path):
    def edit(doc):
        target = doc
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
        return doc
    return edit


def _set(path, value):
    def edit(doc):
        target = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return doc
    return edit


MALFORMED_DOCS = {  # each: the saved plan -> what is written instead
    "a list": lambda doc: [doc],
    "null": lambda doc: None,
    "a string": lambda doc: "schemadiff.plan/v1",
    "a number": lambda doc: 42,
    "an empty object": lambda doc: {},
    "another format": _set(["format"], "schemadiff.plan/v2"),
    "format null": _set(["format"], None),
    "no steps": _without("steps"),
    "no fingerprint": _without("fingerprint"),
    "no state": _without("state"),
    "steps a string": _set(["steps"], "x"),
    "steps an object": _set(["steps"], {"0": {}}),
    "a step a number": _set(["steps", 0], 1),
    "a step null": _set(["steps", 0], None),
    "a step without sql": _without("steps", 0, "sql"),
    "sql null": _set(["steps", 0, "sql"], None),
    "sql a number": _set(["steps", 0, "sql"], 5),
    "sql a list": _set(["steps", 0, "sql"], ["DROP TABLE public.canary"]),
    "phase null": _set(["steps", 0, "phase"], None),
    "rules a string": _set(["steps", 0, "rules"], "SD105"),
    "a step with an extra key": _set(["steps", 0, "run_first"], "DROP TABLE public.canary"),
    "an extra top-level key": _set(["pre_sql"], "DROP TABLE public.canary"),
    "summary a string count": _set(["summary", "add"], "1"),
    "summary a boolean count": _set(["summary", "add"], True),
    "summary a float count": _set(["summary", "add"], 1.0),
    "state a list": _set(["state"], []),
    "state a number value": lambda doc: {**doc, "state": {k: 1 for k in doc["state"]}},
    "fingerprint null": _set(["fingerprint"], None),
    "server_version a number": _set(["server_version"], 18),
    "a finding without its reason": _without("findings", 0, "reason"),
    "findings null": _set(["findings"], None),
}


@pytest.mark.parametrize("name", list(MALFORMED_DOCS))
def test_a_malformed_plan_is_exit_1_with_one_line(name, saved):
    dsn, spec, path, doc = saved
    before = snapshot(dsn)
    text = json.dumps(MALFORMED_DOCS[name](copy.deepcopy(doc)))
    _refused_before_anything(dsn, spec, path, text, before, reading=True)


def _duplicate_steps_key(doc):
    text = json.dumps(doc)
    return text[:-1] + ', "steps": []}'


MALFORMED_TEXTS = {
    "a duplicate key (the last would win)": _duplicate_steps_key,
    "a duplicate key in a step": lambda doc: json.dumps(doc).replace(
        '"phase": "transactional"', '"phase": "transactional", "phase": "cleanup"', 1),
    "NaN": lambda doc: json.dumps(doc).replace('"add": ', '"add": NaN, "x": ', 1),
    "Infinity": lambda doc: json.dumps(doc).replace('"add": ', '"add": Infinity, "x": ', 1),
    "an integer of 5,000 digits": lambda doc: json.dumps(doc).replace('"add": ', '"add": ' + "9" * 5000 + ', "x": ', 1),
    "not JSON": lambda doc: "{",
    "empty": lambda doc: "",
    "a byte order mark": lambda doc: "\ufeff" + json.dumps(doc),
    "nested 100,000 deep": lambda doc: "[" * 100_000 + "]" * 100_000,
    "JSON then more text": lambda doc: json.dumps(doc) + " DROP TABLE public.canary",
}


@pytest.mark.parametrize("name", list(MALFORMED_TEXTS))
def test_a_plan_file_that_is_not_one_plan_object_is_exit_1_with_one_line(name, saved):
    dsn, spec, path, doc = saved
    before = snapshot(dsn)
    _refused_before_anything(dsn, spec, path, MALFORMED_TEXTS[name](doc), before, reading=True)


def test_a_plan_file_that_is_not_utf8_or_not_a_file_is_exit_1_with_one_line(saved, tmp_path):
    dsn, spec, path, doc = saved
    before = snapshot(dsn)
    path.write_bytes(b'{"format": "schemadiff.plan/v1", "spec": "\xff\xfe"}')
    for target in (path, tmp_path, tmp_path / "missing.json"):
        result = run_cli("apply", spec, "--db", dsn, "--plan", str(target))
        assert result.code == 1, result
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"schemadiff: cannot read the plan {target}: "), lines
    assert snapshot(dsn) == before


# ----------------------------------------------------------------------------- the brief's hand-edited plans

def _step(phase, sql, like):
    return {**like, "phase": phase, "sql": sql}


BRIEF_EDITS = {
    "set_config default then a comment that ends early": lambda steps, last: [
        steps.insert(last + 1, _step("transactional", "ALTER TABLE public.canary ADD COLUMN z text DEFAULT "
                                     "set_config('standard_conforming_strings','off',false)", steps[last])),
        steps.insert(last + 2, _step("transactional", "COMMENT ON TABLE public.canary IS 'x\\''; "
                                     "DROP TABLE public.victim; --'", steps[last]))],
    "DEFAULT setval": lambda steps, last: steps.insert(last + 1, _step(
        "transactional", "ALTER TABLE public.canary ADD COLUMN z bigint DEFAULT setval('s1', 1)", steps[last])),
    "CHECK calling lo_unlink": lambda steps, last: steps.insert(last + 1, _step(
        "transactional", "ALTER TABLE public.canary ADD CONSTRAINT k CHECK (lo_unlink(4242) = 1) NOT VALID",
        steps[last])),
    "CREATE SCHEMA with a GRANT element": lambda steps, last: steps.insert(last + 1, _step(
        "transactional", "CREATE SCHEMA evil GRANT ALL ON TABLE public.canary TO PUBLIC", steps[last])),
    "DEFAULT set_config(session_replication_role)": lambda steps, last: steps.insert(last + 1, _step(
        "transactional", "ALTER TABLE public.canary ADD COLUMN z text DEFAULT "
        "set_config('session_replication_role','replica',false)", steps[last])),
    "COMMENT ON DATABASE": lambda steps, last: steps.insert(last + 1, _step(
        "transactional", "COMMENT ON DATABASE postgres IS 'x'", steps[last])),
    "an unknown phase": lambda steps, last: steps.append(_step("cleanup", "DROP TABLE public.victim", steps[last])),
    "unqualified names": lambda steps, last: [
        steps.insert(last + 1, _step("transactional", "ALTER TABLE sp ALTER COLUMN c TYPE varchar(20)", steps[last])),
        steps.append(_step("concurrent", "DROP INDEX CONCURRENTLY IF EXISTS ix", steps[last]))],
    "a SET lock_timeout that rounds to 0": lambda steps, last: steps.insert(0, _step(
        "transactional", "SET lock_timeout = '0.4us'", steps[last])),
    "a step's sql replaced in place": lambda steps, last: steps[last].update(sql="DROP TABLE public.victim"),
}


@pytest.mark.parametrize("recompute", [False, True], ids=["as edited", "fingerprint recomputed for the edit"])
@pytest.mark.parametrize("name", list(BRIEF_EDITS))
def test_a_hand_edited_plan_is_refused_naming_the_step(name, recompute, saved):
    """The fingerprint is no secret (anyone can hash the steps they wrote): what
    refuses the edit is that the plan made now has other steps."""
    dsn, spec, path, doc = saved
    before = snapshot(dsn)
    edited = copy.deepcopy(doc)
    last = max(i for i, s in enumerate(edited["steps"]) if s["phase"] == "transactional")
    BRIEF_EDITS[name](edited["steps"], last)
    if recompute:
        with connect(dsn) as conn:
            database = plan_with_connection(load_spec(spec).schema, conn).plan.database_fingerprint
        edited["fingerprint"] = _hash({"database": database, "steps": [[s["phase"], s["sql"]] for s in edited["steps"]]})
    line = _refused_before_anything(dsn, spec, path, json.dumps(edited), before, reading=False)
    assert "does not match" in line and "step " in line, line


def test_the_fingerprint_covers_the_steps(saved):
    dsn, spec, path, doc = saved
    with connect(dsn) as conn:
        plan = plan_with_connection(load_spec(spec).schema, conn).plan
    assert plan.fingerprint == doc["fingerprint"]
    assert plan.fingerprint == _hash({"database": plan.database_fingerprint,
                                      "steps": [[s["phase"], s["sql"]] for s in doc["steps"]]})
    assert plan.fingerprint != plan.database_fingerprint


def test_an_edited_fingerprint_alone_is_refused(saved):
    dsn, spec, path, doc = saved
    before = snapshot(dsn)
    line = _refused_before_anything(dsn, spec, path, json.dumps({**doc, "fingerprint": "sha256:" + "0" * 64}),
                                    before, reading=False)
    assert "fingerprint" in line, line


def test_a_saved_plan_for_the_canary_spec_applies_unchanged(pg, db, tmp_path):
    """The positive control of the rules above: the same kind of file, unedited, applies."""
    dsn = pg.dsn(db)
    assert pg.run_psql(db, sql=CANARY).returncode == 0
    spec = str(write_spec(tmp_path / "spec", CANARY_SPEC))
    path = tmp_path / "plan.json"
    assert run_cli("plan", spec, "--db", dsn, "--out", str(path)).code == 0
    result = run_cli("apply", spec, "--db", dsn, "--plan", str(path))
    assert result.code == 0 and "applied 1 statement(s)" in result.out, result


def test_a_saved_plan_whose_findings_carry_differences_applies_and_an_edited_one_is_refused(pg, db, tmp_path):
    """A widened check list (SD202) is a changed object: its finding carries the
    differences (issue 16), which the saved plan reads back and compares."""
    dsn = pg.dsn(db)
    assert pg.run_psql(db, sql="CREATE TABLE t (x varchar(10), CONSTRAINT t_x_check CHECK (x IN ('a', 'b')))"
                       ).returncode == 0
    spec = str(write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\n", "tables/t.yaml":
                                              "table: t\ncolumns:\n  x: {type: varchar(10), check: \"x IN ('a', 'b', 'c')\"}\n"}))
    path = tmp_path / "plan.json"
    assert run_cli("plan", spec, "--db", dsn, "--out", str(path)).code == 0
    doc = json.loads(path.read_text())
    widen = next(f for f in doc["findings"] if f["code"] == "SD202")
    assert widen["differences"][0]["field"] == "expression" and "'c'" in widen["differences"][0]["spec"]
    edited = copy.deepcopy(doc)
    next(f for f in edited["findings"] if f["code"] == "SD202")["differences"][0]["spec"] = "x IS NOT NULL"
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(edited))
    refused = run_cli("apply", spec, "--db", dsn, "--plan", str(bad))
    assert refused.code == 1 and "its findings differ from the plan made now" in refused.err, refused
    result = run_cli("apply", spec, "--db", dsn, "--plan", str(path))
    assert result.code == 0, result


# ----------------------------------------------------------------------------- property

ATTACKS = [
    "DROP TABLE public.canary", "TRUNCATE public.canary", "SET lock_timeout = '0.4us'", "SET search_path = public",
    "SET statement_timeout = 0", "SET LOCAL lock_timeout = '2s'", "SET standard_conforming_strings = off",
    "ALTER TABLE public.canary ADD COLUMN z text DEFAULT set_config('standard_conforming_strings','off',false)",
    "COMMENT ON TABLE public.canary IS 'x\\''; DROP TABLE public.victim; --'",
    "CREATE SCHEMA evil GRANT ALL ON TABLE public.canary TO PUBLIC", "COMMENT ON DATABASE postgres IS 'x'",
    "ALTER TABLE canary ADD COLUMN z text", "CREATE TABLE public.extra (a integer)",
    "CREATE INDEX CONCURRENTLY extra_ix ON public.canary (note)", "SELECT 1",
]
PHASE_VALUES = list(PHASES) + ["cleanup", "", "TRANSACTIONAL", "transactional "]


@st.composite
def mutations(draw, doc):
    """A saved plan with 1 to 3 random edits, different from the original."""
    out = copy.deepcopy(doc)
    steps = out["steps"]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["sql", "add", "drop", "move", "duplicate", "phase", "set", "object", "change",
                                     "rules", "finding", "state", "summary", "fingerprint"]))
        i = draw(st.integers(0, len(steps) - 1)) if steps else 0
        if kind == "sql" and steps:
            sql = steps[i]["sql"]
            how = draw(st.sampled_from(["append", "prepend", "attack", "unqualify", "insert", "case"]))
            if how == "append":
                steps[i]["sql"] = sql + draw(st.sampled_from([" ", ";", " -- c", "; DROP TABLE public.canary",
                                                                 " CASCADE"]))
            elif how == "prepend":
                steps[i]["sql"] = draw(st.sampled_from(["/* x */ ", " ", "\n"])) + sql
            elif how == "attack":
                steps[i]["sql"] = draw(st.sampled_from(ATTACKS))
            elif how == "unqualify":
                steps[i]["sql"] = sql.replace("public.", "", 1)
            elif how == "insert":
                at = draw(st.integers(0, len(sql)))
                steps[i]["sql"] = sql[:at] + draw(st.text(min_size=1, max_size=3)) + sql[at:]
            else:
                steps[i]["sql"] = sql.swapcase()
        elif kind in ("add", "set"):
            like = dict(steps[i]) if steps else {"object": "x", "change": "y", "rules": []}
            sql = draw(st.sampled_from(ATTACKS if kind == "add" else [a for a in ATTACKS if a.startswith("SET")]))
            if kind == "add" and steps and draw(st.booleans()):
                sql = steps[draw(st.integers(0, len(steps) - 1))]["sql"]
            steps.insert(draw(st.integers(0, len(steps))), {**like, "phase": draw(st.sampled_from(PHASE_VALUES)),
                                                           "sql": sql})
        elif kind == "drop" and steps:
            steps.pop(i)
        elif kind == "move" and len(steps) > 1:
            steps.insert(draw(st.integers(0, len(steps) - 1)), steps.pop(i))
        elif kind == "duplicate" and steps:
            steps.insert(i, dict(steps[i]))
        elif kind == "phase" and steps:
            steps[i]["phase"] = draw(st.sampled_from(PHASE_VALUES))
        elif kind in ("object", "change") and steps:
            steps[i][kind] = steps[i][kind] + draw(st.sampled_from([" ", "x", "!"]))
        elif kind == "rules" and steps:
            steps[i]["rules"] = steps[i]["rules"] + ["SD999"] if draw(st.booleans()) else steps[i]["rules"][1:]
        elif kind == "finding" and out["findings"]:
            j = draw(st.integers(0, len(out["findings"]) - 1))
            out["findings"][j] = {**out["findings"][j], "reason": out["findings"][j]["reason"] + "."}
        elif kind == "state" and out["state"]:
            key = draw(st.sampled_from(sorted(out["state"])))
            if draw(st.booleans()):
                del out["state"][key]
            else:
                out["state"][key] = "0" * len(out["state"][key])
        elif kind == "summary":
            key = draw(st.sampled_from(sorted(out["summary"])))
            out["summary"][key] += draw(st.sampled_from([-1, 1]))
        elif kind == "fingerprint":
            out["fingerprint"] = draw(st.sampled_from(["sha256:" + "0" * 64, out["fingerprint"].upper(), "",
                                                       out["fingerprint"][:-1]]))
    assume(out != doc)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_any_mutation_of_a_saved_plan_is_refused_before_the_first_statement(saved, data):
    dsn, spec, path, doc = saved
    before = _BASELINE.setdefault(dsn, snapshot(dsn))  # once: the fixture lives across the examples
    edited = data.draw(mutations(doc))
    path.write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    result = run_cli("apply", spec, "--db", dsn, "--plan", str(path))
    assert result.code == 1, (result, [k for k in edited if edited[k] != doc[k]])
    assert "nothing was applied" in result.err and "Traceback" not in result.err, result.err
    assert "[1/" not in result.out and "applied" not in result.out, result.out
    assert snapshot(dsn) == before


_BASELINE: dict[str, list] = {}
