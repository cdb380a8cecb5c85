"""The first hour (issue 16): refusals that teach the safe path, in plan and check;
and the small things a new user meets first (mistyped flags and commands, a
missing spec directory, colour)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from schemadiff.rules import Verdict, all_rules, doc_link
from schemadiff.rules.docs import anchor, verdicts_of

from .conftest import ROOT, run_cli, write_spec

GOLDEN = ROOT / "tests" / "golden" / "refusal"
UPDATE = os.environ.get("SCHEMADIFF_UPDATE_GOLDEN") == "1"

ROOT_FILE = "version: 1\nschema: public\n"
BASE_TABLE = "table: account\ncolumns:\n  id: {type: bigint, primary_key: true}\n  name: text\n"
NOT_NULL_TABLE = BASE_TABLE + "  region: {type: text, nullable: false}\n"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden {path}; run with SCHEMADIFF_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_every_rule_that_refuses_has_a_safe_path(rule):
    if Verdict.REFUSE in verdicts_of(rule):
        assert rule.safe_path and all(step.strip() for step in rule.safe_path), rule.code
    assert doc_link(rule.code, rule.name) == f"docs/rules.md#{anchor(rule)}"


def test_rules_doc_shows_the_safe_path():
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    section = text.split("## SD503 not-null-without-default", 1)[1].split("\n## ", 1)[0]
    assert "**Safe path:**" in section
    assert "1. add c nullable" in section and "NOT VALID" in section and "VALIDATE" in section
    assert "ADD CONSTRAINT c_not_null CHECK (c IS NOT NULL) NOT VALID" in section  # placeholders as generic words


def _not_null_on_existing(pg, db, tmp_path):
    assert pg.run_psql(db, sql="CREATE TABLE public.account (id bigint PRIMARY KEY, name text);").returncode == 0
    return write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT_FILE, "tables/account.yaml": NOT_NULL_TABLE})


def test_plan_refusal_teaches_the_safe_path_at_its_spec_line(pg, db, tmp_path, monkeypatch):
    spec = _not_null_on_existing(pg, db, tmp_path)
    monkeypatch.chdir(tmp_path)
    r = run_cli("plan", "spec", "--db", pg.dsn(db))
    assert r.code == 3, r
    lines = r.out.splitlines()
    lines[0] = "schemadiff plan of spec against <database>"
    _golden("sd503_plan.txt", "\n".join(lines) + "\n")
    assert "      at spec/tables/account.yaml:5" in r.out  # the `region:` line
    # the safe path names the real table and column, not placeholders
    assert ("ALTER TABLE public.account ADD CONSTRAINT region_not_null CHECK (region IS NOT NULL) NOT VALID"
            in r.out)
    assert "ALTER TABLE public.account ALTER COLUMN region SET NOT NULL" in r.out
    assert "see docs/rules.md#sd503-not-null-without-default" in r.out
    assert spec.exists()


def test_apply_refusal_teaches_too(pg, db, tmp_path):
    spec = _not_null_on_existing(pg, db, tmp_path)
    r = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert r.code == 3, r
    assert "safe path:" in r.out and "VALIDATE CONSTRAINT" in r.out


def _check_pair(tmp_path: Path):
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": ROOT_FILE, "tables/account.yaml": BASE_TABLE})
    head = write_spec(tmp_path / "head", {"schemadiff.yaml": ROOT_FILE, "tables/account.yaml": NOT_NULL_TABLE})
    return base, head


def test_check_text_teaches_the_safe_path(tmp_path):
    base, head = _check_pair(tmp_path)
    r = run_cli("check", str(head), "--base", str(base))
    assert r.code == 3, r
    block = r.out.split("[SD503 not-null-without-default]", 1)[1]
    assert "safe path:" in block and "  1. add region nullable" in block
    assert "ALTER TABLE public.account VALIDATE CONSTRAINT region_not_null" in block
    assert "see docs/rules.md#sd503-not-null-without-default" in block


def test_check_github_annotation_carries_the_safe_path_on_one_line(tmp_path):
    base, head = _check_pair(tmp_path)
    r = run_cli("check", str(head), "--base", str(base), "--format", "github")
    assert r.code == 3, r
    [error] = [line for line in r.out.splitlines() if line.startswith("::error ")]
    assert "Safe path: 1. add region nullable" in error and "VALIDATE CONSTRAINT region_not_null" in error
    assert "docs/rules.md#sd503-not-null-without-default" in error


def test_check_sarif_carries_the_safe_path(tmp_path):
    base, head = _check_pair(tmp_path)
    r = run_cli("check", str(head), "--base", str(base), "--format", "sarif")
    assert r.code == 3, r
    doc = json.loads(r.out)
    [result] = [x for x in doc["runs"][0]["results"] if x["ruleId"] == "SD503"]
    assert result["properties"]["safePath"][0].startswith("add region nullable")
    assert "CHECK (region IS NOT NULL)" in result["properties"]["safePath"][2]
    assert "Safe path: 1. add region nullable" in result["message"]["text"]
    rule = next(x for x in doc["runs"][0]["tool"]["driver"]["rules"] if x["id"] == "SD503")
    assert "Safe path:" in rule["help"]["text"] and "1. add c nullable" in rule["help"]["markdown"]


def test_text_plan_shows_each_step_with_its_phase_lock_and_cost(pg, db, tmp_path):
    """Every phase at once: an enum value, a new column with a CHECK (NOT VALID, then
    VALIDATE), an index and a UNIQUE on an existing table (CONCURRENTLY, then USING INDEX)."""
    assert pg.run_psql(db, sql="CREATE TYPE public.mood AS ENUM ('low', 'high');"
                               "CREATE TABLE public.account (id bigint PRIMARY KEY, name text, code text);").returncode == 0
    table = (BASE_TABLE + "  code: text\n  score: {type: integer, check: score >= 0}\n"
             "unique:\n  - [code]\nindexes:\n  account_name_idx: [name]\n")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT_FILE + "enums:\n  mood: [low, medium, high]\n",
                                          "tables/account.yaml": table})
    r = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert r.code == 3, r  # the UNIQUE on an existing column is refused (SD505): no steps are shown
    assert "Steps, in the order" not in r.out
    (spec / "tables" / "account.yaml").write_text(table.replace("unique:\n  - [code]\n", ""), encoding="utf-8")
    r = run_cli("plan", str(spec), "--db", pg.dsn(db))
    assert r.code == 0, r
    steps = r.out.split("Steps, in the order apply runs them", 1)[1]
    phases = [line for line in steps.splitlines() if line.startswith("phase ")]
    assert [p.split(":")[0] for p in phases] == ["phase 1/4", "phase 2/4", "phase 3/4", "phase 4/4"], phases
    assert "enum-values (committed first" in phases[0] and "transactional (one transaction" in phases[1]
    assert "concurrent (CONCURRENTLY" in phases[2] and "validate (VALIDATE later" in phases[3]
    assert "ALTER TYPE … ADD VALUE: no table lock" in steps
    assert "ALTER TABLE … ADD COLUMN: ACCESS EXCLUSIVE, brief; no rewrite, no scan" in steps
    assert "ALTER TABLE … ADD CONSTRAINT … CHECK NOT VALID: ACCESS EXCLUSIVE, brief" in steps
    assert "CREATE INDEX CONCURRENTLY: SHARE UPDATE EXCLUSIVE (reads and writes go on); scans the table twice" in steps
    assert "ALTER TABLE … VALIDATE CONSTRAINT: SHARE UPDATE EXCLUSIVE (reads and writes go on); scans the table once" \
        in steps
    sql = run_cli("plan", str(spec), "--db", pg.dsn(db), "--format", "sql")
    assert "Steps, in the order" not in sql.out and "SHARE UPDATE EXCLUSIVE (reads" not in sql.out


# -- the small things ------------------------------------------------------------------

@pytest.mark.parametrize("argv, message, hint", [
    (["plna", "spec"], "invalid choice: 'plna'", "did you mean 'plan'?"),
    (["chek", "spec"], "invalid choice: 'chek'", "did you mean 'check'?"),
    (["plan", "spec", "--fromat", "text"], "unrecognized arguments: --fromat text", "did you mean --format?"),
    (["plan", "spec", "--fromat=sql", "--dbb", "x"], "unrecognized arguments", "--format (for --fromat), --db (for --dbb)"),
    (["check", "spec", "--bsae", "main"], "unrecognized arguments: --bsae main", "did you mean --base?"),
    (["plan", "spec", "--format", "txt"], "invalid choice: 'txt'", "did you mean 'text'?"),
])
def test_a_mistyped_command_or_flag_suggests_the_closest(argv, message, hint):
    r = run_cli(*argv)
    assert r.code == 1, r
    first = r.err.splitlines()[0]
    assert message in first and hint in first, r.err
    if argv[0] in ("plan", "check") and "invalid choice: 'txt'" not in message:
        assert f"see `schemadiff {argv[0]} --help` for its options" in r.err  # the command's own help


def test_a_flag_with_nothing_close_gets_no_guess():
    r = run_cli("plan", "spec", "--zzzzzz")
    assert r.code == 1 and "unrecognized arguments: --zzzzzz" in r.err and "did you mean" not in r.err, r


def test_an_unknown_argument_holding_a_password_is_not_printed():
    r = run_cli("plan", "spec", "--dbb", "postgresql://bob:hunter2-secret@db/x")
    assert r.code == 1 and "hunter2-secret" not in r.err and "did you mean --db?" in r.err, r


@pytest.mark.parametrize("argv", [
    ["validate"], ["sql"], ["plan", "--db", "postgresql://x@127.0.0.1:1/x"], ["apply", "--yes", "--db", "postgresql://x@127.0.0.1:1/x"],
    ["check", "--base", "."], ["check", "--base-dir", "."],
])
def test_every_command_given_a_missing_spec_directory_says_so(argv, tmp_path):
    missing = tmp_path / "nonexistent"
    r = run_cli(argv[0], str(missing), *argv[1:])
    assert r.code == 1, r
    assert r.err == f"schemadiff: no such directory: {missing}\n", r
    assert r.out == ""


class _Terminal:
    """A text stream that says it is a terminal (what --color=auto looks at)."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def _plan_on_terminal(pg, db, spec, *extra) -> str:
    from schemadiff.cli import main

    out = _Terminal()
    code = main(["plan", str(spec), "--db", pg.dsn(db), *extra], out, _Terminal())
    assert code == 3
    return "".join(out.parts)


def test_color_auto_always_never_and_no_color(pg, db, tmp_path, monkeypatch):
    spec = _not_null_on_existing(pg, db, tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    red = "\033[31m!\033[0m"
    assert red in _plan_on_terminal(pg, db, spec)  # auto, on a terminal
    assert red not in _plan_on_terminal(pg, db, spec, "--color", "never")
    monkeypatch.setenv("NO_COLOR", "1")
    assert red not in _plan_on_terminal(pg, db, spec)
    assert red in _plan_on_terminal(pg, db, spec, "--color", "always")  # an explicit choice wins
    monkeypatch.setenv("NO_COLOR", "")  # set but empty: no effect (no-color.org)
    assert red in _plan_on_terminal(pg, db, spec)
    monkeypatch.delenv("NO_COLOR")
    r = run_cli("plan", str(spec), "--db", pg.dsn(db), "--color", "always")  # not a terminal
    assert r.code == 3 and red in r.out
    r = run_cli("plan", str(spec), "--db", pg.dsn(db))  # auto, not a terminal
    assert "\033[" not in r.out


def test_a_waived_refusal_keeps_its_refusal_mark(tmp_path):
    base, head = _check_pair(tmp_path)
    (head / "schemadiff-policy.yaml").write_text(
        "version: 1\nwaivers:\n  - rule: SD503\n    object: account.region\n    reason: table is empty, OPS-7\n"
        "    expires: \"2999-12-31\"\n", encoding="utf-8")
    r = run_cli("check", str(head), "--base", str(base))
    assert r.code == 0, r
    [line] = [line for line in r.out.splitlines() if "[SD503 not-null-without-default]" in line]
    assert line.startswith("  ! add column region") and line.endswith(" waived"), line
    assert "waived until 2999-12-31: table is empty, OPS-7" in r.out
    assert "safe path:" in r.out  # the waiver does not hide the safe path


def test_the_step_list_never_fails_on_a_statement_it_cannot_read():
    """The text plan reads each statement to say what it locks; a statement it cannot
    parse (the final guard refuses those) is said so, never a traceback."""
    from schemadiff.locks import UNREAD, effect, referenced_tables, statement_kind

    for sql in ("COMMENT ON ROLE CURRENT_USER IS 'x'", "SELECT 1; SELECT 2", "not sql at all"):
        assert effect(sql) == UNREAD and statement_kind(sql) == "unread" and referenced_tables(sql) == []
    assert statement_kind("CREATE INDEX CONCURRENTLY i ON public.t (c)") == "CREATE INDEX CONCURRENTLY"
    assert effect("ALTER TABLE public.t ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES public.u (id) NOT VALID") \
        .startswith("SHARE ROW EXCLUSIVE on both tables")
    assert referenced_tables("CREATE TABLE public.t (c int REFERENCES s.u (id))") == [("s", "u")]
