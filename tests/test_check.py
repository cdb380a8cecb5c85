"""``schemadiff check``: the pre-merge gate, spec against spec, no database.

Every spec-mode rule case of ``tests/rule_cases`` runs through the command
itself (base directory, head directory); a git ref base is read from a real
temporary repository; the policy file's severities, repository policies and
waivers change the outcome; the five report formats are parsed (SARIF against
the bundled SARIF 2.1.0 JSON schema) and their lines point at real spec lines.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import yaml

from schemadiff.check import offline_volatile, run_check
from schemadiff.model import QualifiedName
from schemadiff.policy import Policy
from schemadiff.prove import ProveError, prove
from schemadiff.spec import load_spec

from .conftest import EXAMPLES, ROOT, run_cli, write_spec

CASES_DIR = Path(__file__).resolve().parent / "rule_cases"
SARIF_SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"
ROOT_FILE = "version: 1\n"


def _spec_cases():
    """Every rule case a spec pair can express: spec mode, and the database-mode
    cases whose current side is empty (a new object is new in both modes)."""
    out = []
    for path in sorted(CASES_DIR.glob("SD*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            if case["mode"] == "spec" or (case["current"] is None and not case.get("database")):
                out.append(pytest.param(path.stem, case, id=f"{path.stem}: {case['name']}"))
    return out


SPEC_CASES = _spec_cases()
CONTAINERS = {"columns", "indexes", "rls", "extensions", "table", "schemas", "enums", "unique", "checks",
              "foreign_keys", "primary_key", "version", "enabled", "forced"}


def _generated_from(name: str, line: str) -> bool:
    """A generated constraint name (care_state_check) points at its column's line (state: ...)."""
    column = line.split(":")[0].strip()
    return bool(column) and f"_{column}_" in f"_{name}_"


def test_every_rule_has_a_spec_pair():
    """SD110 and SD111 judge what only a database can hold (NOT VALID, INVALID); SD610
    what only its catalog says (a domain's constraints)."""
    codes = {p.values[0] for p in SPEC_CASES}
    every = {p.stem for p in CASES_DIR.glob("SD*.yaml")}
    assert every - codes == {"SD110", "SD111", "SD610"}


@pytest.mark.parametrize("code,case", SPEC_CASES)
def test_rule_case_through_check(code, case, tmp_path: Path):
    base = write_spec(tmp_path / "base", case["current"] or {"schemadiff.yaml": ROOT_FILE})
    head = write_spec(tmp_path / "head", case["desired"])
    r = run_cli("check", str(head), "--base", str(base), "--format", "json")
    assert r.code == case["expect"]["exit"], r
    doc = json.loads(r.out)
    got = {i["code"] for i in doc["items"]}
    assert set(case["expect"]["codes"]) <= got, (case["expect"]["codes"], doc["items"])
    assert not set(case["expect"].get("absent", [])) & got
    for c, verdict in case["expect"].get("verdicts", {}).items():
        assert {i["verdict"] for i in doc["items"] if i["code"] == c} == {verdict}
    errors = [i for i in doc["items"] if i["level"] == "error"]
    assert bool(errors) == (r.code == 3)
    for item in errors:  # every error points at a line of a spec file that exists
        assert item["file"] and item["line"] >= 1
        lines = Path(item["file"]).read_text(encoding="utf-8").splitlines()
        assert item["line"] <= len(lines)
        line = lines[item["line"] - 1].strip()
        assert line and not line.startswith("#"), (item, line)
        # the object's own line, or for something removed the nearest key that still holds its kind
        name = item["object"].split(".")[-1]
        assert name in line or line.split(":")[0] in CONTAINERS or _generated_from(name, line), (item, line)


# -- a spec pair used below: the C.A.R.E. example with a lead table beside it ------------

LEAD = """\
table: lead
columns:
  id: {type: uuid, primary_key: true}
  tenant_id: {type: uuid, nullable: false, references: tenant(id)}
  email: text
  legacy_flag: boolean
indexes:
  lead_tenant: [tenant_id]
rls:
  enabled: true
  policies:
    lead_tenant_isolation:
      to: [authenticated]
      using: tenant_id = current_setting('app.current_tenant_id', true)::uuid
"""


def _care_spec(where: Path, *, care: bool, lead: str | None = LEAD) -> Path:
    shutil.copytree(EXAMPLES / "customer_care" / "schema", where)
    if not care:
        for f in (where / "tables").glob("customer_care_*.yaml"):
            f.unlink()
    if lead is not None:
        (where / "tables" / "lead.yaml").write_text(lead, encoding="utf-8")
    return where


def _line_of(item: dict) -> str:
    return Path(item["file"]).read_text(encoding="utf-8").splitlines()[item["line"] - 1]


def test_pr1_policy_allows_the_care_tables_alone(tmp_path: Path):
    """Seed 000's PR1: two new tables with their indexes and RLS, nothing else touched."""
    base = _care_spec(tmp_path / "base", care=False)
    head = _care_spec(tmp_path / "head", care=True)
    policy = EXAMPLES / "customer_care" / "schemadiff-policy.yaml"
    r = run_cli("check", str(head), "--base", str(base), "--policy", str(policy), "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["passed"] and doc["summary"]["refused"] == 0
    assert {i["code"] for i in doc["items"]} == {"SD105"}
    assert {i["object"] for i in doc["items"]} == {"public.customer_care_state", "public.customer_care_state_history"}


def test_pr1_policy_refuses_a_change_to_an_existing_table(tmp_path: Path):
    base = _care_spec(tmp_path / "base", care=False)
    head = _care_spec(tmp_path / "head", care=True, lead=LEAD.replace(
        "  legacy_flag: boolean\n", "  legacy_flag: boolean\n  score: integer\n").replace(
        "      to: [authenticated]\n", "      to: [authenticated]\n      for: select\n"))
    policy = EXAMPLES / "customer_care" / "schemadiff-policy.yaml"
    r = run_cli("check", str(head), "--base", str(base), "--policy", str(policy), "--format", "json")
    assert r.code == 3, r
    items = json.loads(r.out)["items"]
    sd801 = [i for i in items if i["code"] == "SD801"]
    assert {i["object"] for i in sd801} == {"public.lead.score", "public.lead.lead_tenant_isolation"}
    assert all(i["level"] == "error" for i in sd801)
    assert [i["object"] for i in items if i["code"] == "SD803"] == ["public.lead.lead_tenant_isolation"]
    score = next(i for i in sd801 if i["object"] == "public.lead.score")
    assert _line_of(score).strip().startswith("score:")
    policy_line = next(i for i in sd801 if i["object"] == "public.lead.lead_tenant_isolation")
    assert _line_of(policy_line).strip().startswith("lead_tenant_isolation:")
    # The new tables stay allowed under the same policy.
    assert not [i for i in items if i["level"] == "error" and i["object"].startswith("public.customer_care")]


def test_additive_change_to_existing_table_passes_without_the_policy(tmp_path: Path):
    base = _care_spec(tmp_path / "base", care=False)
    head = _care_spec(tmp_path / "head", care=False, lead=LEAD + "comment: leads\n")
    empty = tmp_path / "empty-policy.yaml"
    empty.write_text("version: 1\n", encoding="utf-8")
    assert run_cli("check", str(head), "--base", str(base), "--policy", str(empty)).code == 0
    policy = EXAMPLES / "customer_care" / "schemadiff-policy.yaml"
    r = run_cli("check", str(head), "--base", str(base), "--policy", str(policy))
    assert r.code == 3 and "SD801 changes-to-existing-tables" in r.out, r


# -- git ref base -----------------------------------------------------------------

def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _care_spec(repo / "db" / "spec", care=True)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    monkeypatch.chdir(repo)  # as in CI: run from the repository root, paths relative to it
    return repo


def test_git_ref_base_drop_column_refused(repo: Path):
    lead = repo / "db" / "spec" / "tables" / "lead.yaml"
    lead.write_text(LEAD.replace("  legacy_flag: boolean\n", ""), encoding="utf-8")
    r = run_cli("check", "db/spec", "--base", "main", "--format", "github")
    assert r.code == 3, r
    errors = [line for line in r.out.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1, r.out
    assert "title=SD302 drop-column" in errors[0] and "file=db/spec/tables/lead.yaml" in errors[0]
    line = int(errors[0].split("line=")[1].split(",")[0])
    # the column is gone from the head: the annotation sits on the table's `columns:` line
    assert lead.read_text(encoding="utf-8").splitlines()[line - 1] == "columns:"


def test_git_ref_base_without_a_checkout_and_deleted_table(repo: Path):
    """The base is read from git objects: the working tree is never switched."""
    _git(repo, "checkout", "-q", "-b", "feature")
    (repo / "db" / "spec" / "tables" / "lead.yaml").unlink()
    r = run_cli("check", "db/spec", "--base", "main", "--format", "json")
    assert r.code == 3, r
    items = json.loads(r.out)["items"]
    drop = [i for i in items if i["code"] == "SD301"]
    assert len(drop) == 1 and drop[0]["level"] == "error"
    assert drop[0]["file"] == "db/spec/tables/lead.yaml" and drop[0]["line"] == 1  # where it was, at the base
    assert _git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "feature"


def test_git_ref_additive_passes_and_new_spec_dir_is_all_new(repo: Path):
    (repo / "db" / "spec" / "tables" / "extra.yaml").write_text(
        "table: extra\ncolumns:\n  id: {type: bigint, primary_key: true}\n", encoding="utf-8")
    r = run_cli("check", "db/spec", "--base", "main")
    assert r.code == 0 and "create table" in r.out and "Passed." in r.out, r
    shutil.copytree(repo / "db" / "spec", repo / "db" / "other")
    r = run_cli("check", "db/other", "--base", "main", "--format", "json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert "no spec existed there" in doc["base"]
    assert doc["summary"]["add"] == 4  # four new tables and nothing else: every object is new


def test_bad_base_is_an_error(repo: Path):
    r = run_cli("check", "db/spec", "--base", "no-such-branch")
    assert r.code == 1 and "neither a directory nor a git ref" in r.err, r
    (repo / "db" / "spec" / "tables" / "lead.yaml").write_text("table: lead\ncolumns: {id: {type: nope nope}}\n")
    _git(repo, "commit", "-qam", "broken")
    (repo / "db" / "spec" / "tables" / "lead.yaml").write_text(LEAD, encoding="utf-8")
    r = run_cli("check", "db/spec", "--base", "main")
    assert r.code == 1 and "the base spec main (git ref) does not load" in r.err, r
    assert "db/spec/tables/lead.yaml:2" in r.err  # named as in the repository, not a temporary path


def test_base_outside_a_repository(tmp_path: Path):
    head = _care_spec(tmp_path / "head", care=True)
    r = run_cli("check", str(head), "--base", "main")
    assert r.code == 1 and "not inside a git repository" in r.err, r


# -- the policy file --------------------------------------------------------------------

def _pair(tmp_path: Path, policy: str | None) -> tuple[Path, Path]:
    base = _care_spec(tmp_path / "base", care=False)
    head = _care_spec(tmp_path / "head", care=False, lead=LEAD.replace("  legacy_flag: boolean\n", ""))
    if policy is not None:
        (head / "schemadiff-policy.yaml").write_text(policy, encoding="utf-8")  # found in the spec root
    return base, head


def _items(r) -> list[dict]:
    return json.loads(r.out)["items"]


def test_severity_warning_and_off(tmp_path: Path):
    base, head = _pair(tmp_path, "version: 1\nseverity:\n  drop-column: warning\n")
    r = run_cli("check", str(head), "--base", str(base), "--format", "json")
    assert r.code == 0, r
    assert [(i["code"], i["level"]) for i in _items(r)] == [("SD302", "warning")]
    base, head = _pair(tmp_path / "2", "version: 1\nseverity:\n  SD302: \"off\"\n")
    r = run_cli("check", str(head), "--base", str(base), "--format", "json")
    assert r.code == 0 and _items(r) == [], r


def test_severity_error_on_an_additive_rule(tmp_path: Path):
    base = _care_spec(tmp_path / "base", care=False)
    head = _care_spec(tmp_path / "head", care=True)
    (head / "schemadiff-policy.yaml").write_text("version: 1\nseverity:\n  SD105: error\n", encoding="utf-8")
    r = run_cli("check", str(head), "--base", str(base))
    assert r.code == 3 and r.out.count("[SD105 create-table] error") == 2, r


def test_waiver_valid_expired_unused(tmp_path: Path):
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    waiver = f"""\
version: 1
waivers:
  - rule: drop-column
    object: lead.legacy_flag
    reason: unused since March, see OPS-123
    expires: "{later}"
"""
    base, head = _pair(tmp_path, waiver)
    r = run_cli("check", str(head), "--base", str(base), "--format", "json")
    assert r.code == 0, r
    [item] = _items(r)
    assert item["code"] == "SD302" and item["level"] == "note" and item["waiver"]["expires"] == later
    assert "OPS-123" in item["message"]
    sarif = json.loads(run_cli("check", str(head), "--base", str(base), "--format", "sarif").out)
    [result] = sarif["runs"][0]["results"]
    assert result["suppressions"][0]["justification"].startswith("unused since March")

    base, head = _pair(tmp_path / "2", waiver.replace(later, "2001-01-31"))
    r = run_cli("check", str(head), "--base", str(base), "--format", "json")
    assert r.code == 3, r
    levels = {(i["code"], i["level"]) for i in _items(r)}
    assert levels == {("SD302", "error"), ("SD805", "error")}
    expired = next(i for i in _items(r) if i["code"] == "SD805")
    assert expired["file"].endswith("schemadiff-policy.yaml") and expired["line"] == 3  # the waiver's `- rule:` line

    base, head = _pair(tmp_path / "3", waiver.replace("lead.legacy_flag", "lead.email"))
    r = run_cli("check", str(head), "--base", str(base), "--format", "json")
    assert r.code == 3, r
    assert {(i["code"], i["level"]) for i in _items(r)} == {("SD302", "error"), ("SD806", "warning")}


@pytest.mark.parametrize("text,message,line", [
    ("version: 1\nseverity:\n  SD999: \"off\"\n", "unknown rule 'SD999'", 3),
    ("version: 1\nseverity:\n  SD302: fatal\n", "", 3),
    ("version: 1\nforbid: [no-fun]\n", "", 2),
    ("version: 1\nwaivers:\n  - {rule: SD302, object: lead, reason: x, expires: \"31/12/2026\"}\n", "date", 3),
    ("version: 1\nwaivers:\n  - {rule: SD302, object: lead, expires: \"2026-12-31\"}\n", "reason", 3),
    ("version: 1\nwaivers:\n  - {rule: SD302, object: lead, reason: x, expires: 2026-12-31}\n", "date", 3),
    ("version: 1\nseverty: {}\n", "severty", 2),
    ("version: 1\nseverity:\n  SD302: off\n", 'quote it ("off")', 3),
])
def test_policy_errors_name_file_and_line(tmp_path: Path, text: str, message: str, line: int):
    base, head = _pair(tmp_path, text)
    r = run_cli("check", str(head), "--base", str(base))
    assert r.code == 1, r
    assert f"schemadiff-policy.yaml:{line}:" in r.err and message in r.err, r.err


def test_policy_file_is_not_a_table_file(tmp_path: Path):
    _, head = _pair(tmp_path, "version: 1\n")
    assert run_cli("validate", str(head)).code == 0


def test_missing_policy_file(tmp_path: Path):
    base, head = _pair(tmp_path, None)
    r = run_cli("check", str(head), "--base", str(base), "--policy", str(tmp_path / "nope.yaml"))
    assert r.code == 1 and "does not exist" in r.err


# -- report formats -------------------------------------------------------------------

def test_sarif_validates_and_links_rules(tmp_path: Path):
    base, head = _pair(tmp_path, None)
    (head / "tables" / "extra.yaml").write_text("table: extra\ncolumns:\n  id: {type: bigint, primary_key: true}\n")
    out = tmp_path / "report.sarif"
    r = run_cli("check", str(head), "--base", str(base), "--format", "sarif", "--output", str(out))
    assert r.code == 3 and r.out == "", r
    doc = json.loads(out.read_text(encoding="utf-8"))
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=str)
    assert not errors, [e.message for e in errors[:5]]
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {"SD302", "SD105", "SD801", "SD805"} <= {r["id"] for r in rules}
    assert all("docs/rules.md#sd" in r["help"]["markdown"] and r["help"]["text"] for r in rules)
    by_rule = {res["ruleId"]: res for res in run["results"]}
    assert by_rule["SD302"]["level"] == "error" and by_rule["SD302"]["kind"] == "fail"
    assert by_rule["SD105"]["level"] == "none" and by_rule["SD105"]["kind"] == "pass"  # additive: not an alert
    assert rules[by_rule["SD302"]["ruleIndex"]]["id"] == "SD302"
    region = by_rule["SD302"]["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"].endswith("tables/lead.yaml") and region["region"]["startLine"] >= 1
    rules_md = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in rules:  # every link target exists in docs/rules.md
        assert f"## {rule['id']} {rule['name']}\n" in rules_md


def test_junit_one_case_per_change(tmp_path: Path):
    base, head = _pair(tmp_path, None)
    (head / "tables" / "extra.yaml").write_text("table: extra\ncolumns:\n  id: {type: bigint, primary_key: true}\n")
    r = run_cli("check", str(head), "--base", str(base), "--format", "junit")
    assert r.code == 3
    root = ET.fromstring(r.out)
    cases = root.findall("./testsuite/testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("table public.extra", "create table (1 columns, primary key)"),
        ("table public.lead", "drop column legacy_flag")]
    assert cases[1].find("failure").get("type") == "SD302" and cases[0].find("failure") is None
    assert root.get("tests") == "2" and root.get("failures") == "1"


def test_github_escapes_and_text(tmp_path: Path):
    base, head = _pair(tmp_path, None)
    r = run_cli("check", str(head), "--base", str(base), "--format", "github")
    [line] = [x for x in r.out.splitlines() if x.startswith("::")]
    props, message = line[len("::error "):].split("::", 1)
    assert "\n" not in message and "title=SD302 drop-column" in props
    r = run_cli("check", str(head), "--base", str(base))
    assert "! drop column legacy_flag  [SD302 drop-column] error" in r.out and "Failed" in r.out


def test_index_without_concurrently(tmp_path: Path):
    """The planner always builds an index on an existing table CONCURRENTLY; the policy
    checks the planned statement itself, with the PostgreSQL parser."""
    from schemadiff.check import _blocking_index_build

    base = _care_spec(tmp_path / "base", care=False)
    head = _care_spec(tmp_path / "head", care=False, lead=LEAD.replace(
        "  lead_tenant: [tenant_id]\n", "  lead_tenant: [tenant_id]\n  lead_email: [email]\n"))
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nforbid: [index-without-concurrently]\n", encoding="utf-8")
    r = run_cli("check", str(head), "--base", str(base), "--policy", str(policy), "--format", "json")
    assert r.code == 0, r
    [step] = json.loads(r.out)["steps"]
    assert step["sql"].startswith("CREATE INDEX CONCURRENTLY") and _blocking_index_build(step["sql"]) is None
    assert _blocking_index_build("CREATE INDEX lead_email ON public.lead (email)") == QualifiedName("public", "lead")


# -- offline volatility -------------------------------------------------------------

def test_offline_volatility():
    assert offline_volatile("gen_random_uuid()") and offline_volatile("random() * 10")
    assert offline_volatile("clock_timestamp()") and offline_volatile("nextval('s')")
    assert offline_volatile("my_schema.my_func()")  # unknown: assumed volatile
    assert offline_volatile("uuid_generate_v4()")  # an extension's: unknown to the catalog snapshot
    assert not offline_volatile("now()") and not offline_volatile("'x'") and not offline_volatile("lower('A')")


# -- --prove ------------------------------------------------------------------------

def test_prove_passes_on_a_real_migration(tmp_path: Path):
    base = _care_spec(tmp_path / "base", care=False)
    head = _care_spec(tmp_path / "head", care=True, lead=LEAD.replace(
        "  legacy_flag: boolean\n", "  legacy_flag: boolean\n  score: {type: integer, nullable: false, default: 0}\n")
        + "comment: leads\n")
    r = run_cli("check", str(head), "--base", str(base), "--prove")
    assert r.code == 0, r
    assert "schemadiff: proved: on PostgreSQL" in r.err and "= the head spec built fresh (3 tables" in r.err, r.err


def test_prove_catches_a_wrong_migration(tmp_path: Path):
    base = load_spec(_care_spec(tmp_path / "base", care=False))
    head = load_spec(_care_spec(tmp_path / "head", care=False, lead=LEAD + "comment: leads\n"))
    result = run_check(head, base, Policy(), base_label="base", head_label="head")
    assert result.passed and len(result.plan.steps) == 1
    result.plan.steps.clear()  # a migration that forgets its one statement
    with pytest.raises(ProveError, match="differs from the head built fresh in 1 way"):
        prove(base.schema, head.schema, result.plan)


# -- the integrations in docs/ci.md ----------------------------------------------------

def _yaml_blocks(markdown: str) -> list:
    blocks = markdown.split("```yaml\n")[1:]
    return [yaml.safe_load(b.split("```", 1)[0]) for b in blocks]


def test_ci_doc_workflow_and_hooks_run(repo: Path):
    """The GitHub workflow's and the pre-commit config's schemadiff commands, as
    written in docs/ci.md, run in a repository with an additive change."""
    import shlex

    blocks = _yaml_blocks((ROOT / "docs" / "ci.md").read_text(encoding="utf-8"))
    workflow = next(b for b in blocks if isinstance(b, dict) and "jobs" in b)
    runs = [s["run"] for s in workflow["jobs"]["schemadiff"]["steps"] if "schemadiff check" in s.get("run", "")]
    assert len(runs) == 3
    _git(repo, "update-ref", "refs/remotes/origin/main", "main")
    (repo / "db" / "spec" / "tables" / "extra.yaml").write_text(
        "table: extra\ncolumns:\n  id: {type: bigint, primary_key: true}\n", encoding="utf-8")
    for run in runs:
        command = run.replace("${{ github.base_ref }}", "main").split(" || ")[0]
        argv = shlex.split(command)
        assert argv[0] == "schemadiff"
        if "--prove" in argv:
            continue  # proved in test_prove_passes_on_a_real_migration; one PostgreSQL start is enough here
        r = run_cli(*argv[1:])
        assert r.code == 0, (command, r)
    assert (repo / "schemadiff.sarif").is_file()

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    config = next(b for b in blocks if isinstance(b, dict) and "repos" in b)
    for used in config["repos"][0]["hooks"]:
        hook = hooks[used["id"]]
        assert hook["pass_filenames"] is False and hook["language"] == "python"
        argv = shlex.split(hook["entry"]) + used["args"]
        r = run_cli(*argv[1:])
        assert r.code == 0, (argv, r)
    (repo / "db" / "spec" / "tables" / "lead.yaml").unlink()
    assert run_cli(*(shlex.split(hooks["schemadiff-check"]["entry"])[1:] + ["db/spec", "--base", "origin/main"])).code == 3


# -- what a review found: ways around the gate, and output that must stay exact ----------

def test_a_symlinked_spec_file_is_followed_at_the_base(repo: Path):
    shared = repo / "shared"
    shared.mkdir()
    lead = repo / "db" / "spec" / "tables" / "lead.yaml"
    (shared / "lead.yaml").write_text(lead.read_text(encoding="utf-8"), encoding="utf-8")
    lead.unlink()
    lead.symlink_to(Path("..") / ".." / ".." / "shared" / "lead.yaml")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "lead through a symlink")
    assert run_cli("check", "db/spec", "--base", "main").code == 0
    (shared / "lead.yaml").write_text(LEAD.replace("  legacy_flag: boolean\n", ""), encoding="utf-8")
    r = run_cli("check", "db/spec", "--base", "main")
    assert r.code == 3 and "drop column legacy_flag" in r.out, r
    lead.unlink()
    r = run_cli("check", "db/spec", "--base", "main")
    assert r.code == 3 and "[SD301 drop-table]" in r.out, r


def test_a_moved_spec_directory_is_not_new(repo: Path):
    _git(repo, "mv", "db/spec", "db/schema")
    lead = repo / "db" / "schema" / "tables" / "lead.yaml"
    lead.write_text(LEAD.replace("  legacy_flag: boolean\n", ""), encoding="utf-8")
    r = run_cli("check", "db/schema", "--base", "main")
    assert r.code == 1 and "a spec did (db/spec)" in r.err and "--base-path" in r.err, r
    r = run_cli("check", "db/schema", "--base", "main", "--base-path", "db/spec", "--format", "json")
    assert r.code == 3, r
    [item] = [i for i in json.loads(r.out)["items"] if i["level"] == "error"]
    assert item["code"] == "SD302" and item["file"] == "db/schema/tables/lead.yaml"


def test_base_messages_never_name_a_temporary_directory(repo: Path):
    (repo / "db" / "spec" / "schemadiff.yaml").rename(repo / "db" / "spec" / "root.yml.txt")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "no root")
    (repo / "db" / "spec" / "root.yml.txt").rename(repo / "db" / "spec" / "schemadiff.yaml")
    r = run_cli("check", "db/spec", "--base", "main")
    assert r.code == 1 and "no schemadiff.yaml in db/spec" in r.err and "schemadiff-base-" not in r.err, r


def test_spec_dir_given_as_its_root_file(repo: Path):
    (repo / "db" / "spec" / "tables" / "lead.yaml").unlink()
    r = run_cli("check", "db/spec/schemadiff.yaml", "--base", "main", "--format", "github")
    assert r.code == 3 and "file=db/spec/tables/lead.yaml," in r.out, r


def test_empty_base_and_unwritable_output(repo: Path):
    r = run_cli("check", "db/spec", "--base", "")
    assert r.code == 1 and "--base is empty" in r.err
    r = run_cli("check", "db/spec", "--base", "main", "-o", str(repo / "no" / "such" / "dir" / "x.sarif"))
    assert r.code == 1 and "cannot write" in r.err


def test_waivers_name_objects_by_identifier_parts_and_a_renewal_wins(tmp_path: Path):
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    base = write_spec(tmp_path / "base", {
        "schemadiff.yaml": "version: 1\nschema: app\n",
        "tables/c.yaml": 'table: Customer\ncolumns:\n  id: {type: bigint, primary_key: true}\n  "Email": text\n'})
    head = write_spec(tmp_path / "head", {
        "schemadiff.yaml": "version: 1\nschema: app\n",
        "tables/c.yaml": "table: Customer\ncolumns:\n  id: {type: bigint, primary_key: true}\n"})
    for name in ("app.Customer.Email", 'app."Customer"."Email"', "Customer.Email", "Customer"):
        policy = tmp_path / "p.yaml"
        policy.write_text(f"version: 1\nwaivers:\n"
                          f"  - {{rule: SD302, object: '{name}', reason: old, expires: \"2001-01-01\"}}\n"
                          f"  - {{rule: SD302, object: '{name}', reason: renewed, expires: \"{later}\"}}\n",
                          encoding="utf-8")
        r = run_cli("check", str(head), "--base", str(base), "--policy", str(policy), "--format", "json")
        items = json.loads(r.out)["items"]
        drop = next(i for i in items if i["code"] == "SD302")
        assert drop["level"] == "note" and drop["waiver"]["reason"] == "renewed", (name, items)
        # the expired one is still an error of its own: remove it
        assert [i["code"] for i in items if i["level"] == "error"] == ["SD805"], (name, items)
        assert r.code == 3


def test_a_waived_refusal_is_not_provable_and_sd804_still_sees_the_statements(tmp_path: Path):
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    base, head = _pair(tmp_path, f"version: 1\nwaivers:\n  - {{rule: SD302, object: lead.legacy_flag, reason: ok, "
                                 f"expires: \"{later}\"}}\n")
    r = run_cli("check", str(head), "--base", str(base), "--prove")
    assert r.code == 1 and "not proved: 1 change(s) pass this check only by a waiver" in r.err, r
    assert json.loads(run_cli("check", str(head), "--base", str(base), "--format", "json").out)["steps"] == []
    # A refusal made a warning beside a new index on an existing table: the index's planned
    # statement is still there for SD804 to judge (it was not, when a refusal emptied the plan).
    base = _care_spec(tmp_path / "b2", care=False)
    head = _care_spec(tmp_path / "h2", care=False, lead=LEAD.replace("  legacy_flag: boolean\n", "").replace(
        "  lead_tenant: [tenant_id]\n", "  lead_tenant: [tenant_id]\n  lead_email: [email]\n"))
    (head / "schemadiff-policy.yaml").write_text(
        "version: 1\nseverity: {SD302: warning}\nforbid: [index-without-concurrently]\n", encoding="utf-8")
    r = run_cli("check", str(head), "--base", str(base), "--format", "json")
    assert r.code == 0 and "SD804" not in r.out, r
    from schemadiff.check import _blocking_index_build

    result = run_check(load_spec(head), load_spec(base), Policy(), base_label="b", head_label="h")
    assert result.plan.refused  # never executable ...
    [build] = [s.sql for s in result.plan.steps]  # ... but its allowed statement is judged
    assert build.startswith("CREATE INDEX CONCURRENTLY") and _blocking_index_build(build) is None


def test_an_index_comment_on_an_existing_table_is_a_change_to_it(tmp_path: Path):
    base = _care_spec(tmp_path / "base", care=False)
    head = _care_spec(tmp_path / "head", care=False, lead=LEAD.replace(
        "  lead_tenant: [tenant_id]\n", "  lead_tenant: {columns: [tenant_id], comment: by tenant}\n"))
    policy = EXAMPLES / "customer_care" / "schemadiff-policy.yaml"
    r = run_cli("check", str(head), "--base", str(base), "--policy", str(policy), "--format", "json")
    assert r.code == 3, r
    [item] = [i for i in json.loads(r.out)["items"] if i["code"] == "SD801"]
    assert item["object"] == "public.lead.lead_tenant"
    assert _line_of(item).strip().startswith("lead_tenant:")


def test_generated_constraint_names_point_at_the_longest_column(tmp_path: Path):
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": ROOT_FILE, "tables/t.yaml":
                      "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n  email: text\n"
                      "  email_status: {type: text, check: \"email_status IN ('a', 'b')\"}\n"})
    head = write_spec(tmp_path / "head", {"schemadiff.yaml": ROOT_FILE, "tables/t.yaml":
                      "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n  email: text\n"
                      "  email_status: {type: text, check: \"email_status IN ('a', 'c')\"}\n"})
    r = run_cli("check", str(head), "--base", str(base), "--format", "json")
    [item] = [i for i in json.loads(r.out)["items"] if i["level"] == "error"]
    assert item["object"] == "public.t.t_email_status_check"
    assert _line_of(item).strip().startswith("email_status:"), _line_of(item)


def test_spec_text_cannot_start_a_workflow_command(tmp_path: Path):
    """A check expression with a line break: no line of any text output may begin with `::`
    (GitHub would run it as a workflow command), and github output escapes it."""
    evil = "x <> 'a\n::warning file=README.md,line=1::spoofed'"
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": ROOT_FILE, "tables/t.yaml":
                      "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n  x: text\n"})
    head = write_spec(tmp_path / "head", {"schemadiff.yaml": ROOT_FILE, "tables/t.yaml":
                      "table: t\ncolumns:\n  id: {type: bigint, primary_key: true}\n  x:\n    type: text\n"
                      f"    check: {json.dumps(evil)}\n"})
    for fmt in ("text", "github"):
        r = run_cli("check", str(head), "--base", str(base), "--format", fmt)
        assert r.code == 3, r
        assert "spoofed" in r.out
        assert [line for line in r.out.splitlines() if line.lstrip().startswith("::")] == (
            [] if fmt == "text" else [line for line in r.out.splitlines() if line.startswith("::error ")])
    github = run_cli("check", str(head), "--base", str(base), "--format", "github").out
    assert "%0A::warning file=README.md,line=1::spoofed" in github  # escaped inside one annotation


def test_sarif_uris_are_relative_and_encoded(repo: Path):
    odd = repo / "db" / "spec" / "my tables"
    odd.mkdir()
    (odd / "x#1 100%.yaml").write_text("table: extra\ncolumns:\n  id: {type: bigint, primary_key: true}\n",
                                        encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "odd file name")
    (odd / "x#1 100%.yaml").unlink()
    doc = json.loads(run_cli("check", str(repo / "db" / "spec"), "--base", "main", "--format", "sarif").out)
    [result] = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "SD301"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "db/spec/my%20tables/x%231%20100%25.yaml", "uriBaseId": "%SRCROOT%"}
    (odd / "x#1 100%.yaml").write_text("table: extra\ncolumns:\n  id: {type: bigint, primary_key: true}\n",
                                        encoding="utf-8")
    additive = json.loads(run_cli("check", "db/spec", "--base", "HEAD~1", "--format", "sarif").out)
    kinds = {(r["ruleId"], r.get("kind"), r["level"]) for r in additive["runs"][0]["results"]}
    assert ("SD105", "pass", "none") in kinds  # an allowed change is not an alert
