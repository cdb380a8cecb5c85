"""The gate's inputs are unambiguous: a pull request controls the working tree,
so neither a path it adds nor a symbolic link it makes may change what the
spec is compared with. Real git repositories in temporary directories."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import run_cli, write_spec
from .test_check import _care_spec, _git

EXTRA = "table: extra\ncolumns:\n  id: {type: bigint, primary_key: true}\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _care_spec(repo / "db" / "spec", care=True)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "update-ref", "refs/remotes/origin/main", "main")
    _git(repo, "checkout", "-q", "-b", "pr")
    monkeypatch.chdir(repo)
    return repo


def _drop_lead(spec: Path) -> None:
    (spec / "tables" / "lead.yaml").unlink()


def _errors(r) -> list[str]:
    return [i["code"] for i in json.loads(r.out)["items"] if i["level"] == "error"]


# -- --base: a directory or a git ref, never a guess ----------------------------------------

def test_a_directory_named_like_the_base_ref_is_refused_not_taken(repo: Path):
    """The attack: the pull request adds a directory `origin/main` holding its own
    spec, so the deleted table is in both and the gate passed."""
    _drop_lead(repo / "db" / "spec")
    _care_spec(repo / "origin" / "main", care=True, lead=None)  # what the pull request calls the base
    r = run_cli("check", "db/spec", "--base", "origin/main")
    assert r.code == 1, r
    assert "names both a path in the working tree and a git ref" in r.err
    assert "--base-dir origin/main" in r.err and "--base-ref origin/main" in r.err
    r = run_cli("check", "db/spec", "--base-ref", "origin/main", "--format", "json")
    assert r.code == 3 and _errors(r) == ["SD301"], r
    r = run_cli("check", "db/spec", "--base-dir", "origin/main")
    assert r.code == 0, r  # asked for by name: that directory


def test_a_file_named_like_the_base_ref_is_ambiguous_too(repo: Path):
    (repo / "main").write_text("not a spec\n", encoding="utf-8")
    r = run_cli("check", "db/spec", "--base", "main")
    assert r.code == 1 and "names both" in r.err, r


def test_base_alone_still_works_when_it_is_only_one_thing(repo: Path, tmp_path: Path):
    _drop_lead(repo / "db" / "spec")
    r = run_cli("check", "db/spec", "--base", "origin/main", "--format", "json")
    assert r.code == 3 and _errors(r) == ["SD301"], r
    other = _care_spec(tmp_path / "elsewhere", care=True)
    r = run_cli("check", "db/spec", "--base", str(other), "--format", "json")
    assert r.code == 3 and _errors(r) == ["SD301"], r


@pytest.mark.parametrize("argv,message", [
    ([], "exactly one of --base"),
    (["--base", "main", "--base-ref", "main"], "(got --base, --base-ref)"),
    (["--base-dir", "db/spec", "--base-ref", "main"], "(got --base-dir, --base-ref)"),
    (["--base-dir", "db/spec", "--base-path", "db/spec"], "--base-path goes with a git ref"),
    (["--base-dir", "no/such/dir"], "the base directory no/such/dir does not exist"),
    (["--base-ref", "no-such-branch"], "'no-such-branch' is not a git ref of repo"),
    (["--base-ref=--output=x"], "'--output=x' is not a git ref"),
    (["--base-ref", ""], "--base-ref is empty"),
    (["--base-dir", " "], "--base-dir is empty"),
])
def test_base_options_are_exactly_one_and_checked(repo: Path, argv, message):
    r = run_cli("check", "db/spec", *argv)
    assert r.code == 1 and message in r.err and "Traceback" not in r.err, r


def test_base_ref_does_not_take_a_directory_of_that_name(repo: Path):
    (repo / "main").mkdir()
    _drop_lead(repo / "db" / "spec")
    r = run_cli("check", "db/spec", "--base-ref", "main", "--format", "json")
    assert r.code == 3 and _errors(r) == ["SD301"], r


# -- symbolic links: out of the repository, or hiding a move ------------------------------

def test_a_symlinked_spec_directory_hiding_a_move_is_refused(repo: Path):
    """The attack: git mv db/spec db/spec_v2, delete a table, ln -s spec_v2 db/spec."""
    _git(repo, "mv", "db/spec", "db/spec_v2")
    _drop_lead(repo / "db" / "spec_v2")
    (repo / "db" / "spec").symlink_to("spec_v2")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "move and link")
    r = run_cli("check", "db/spec", "--base", "origin/main")
    assert r.code == 1, r
    assert "db/spec is db/spec_v2 in the working tree but was db/spec at origin/main" in r.err
    assert "--base-path db/spec" in r.err
    # the real directory, named directly: the old one is only a link now, so the spec moved
    r = run_cli("check", "db/spec_v2", "--base", "origin/main")
    assert r.code == 1 and "a spec did (db/spec)" in r.err, r
    # what the message asks for: the removed table is seen as removed
    r = run_cli("check", "db/spec_v2", "--base-ref", "origin/main", "--base-path", "db/spec", "--format", "json")
    assert r.code == 3 and _errors(r) == ["SD301"], r


def test_a_symlinked_parent_directory_hiding_a_move_is_refused(repo: Path):
    _git(repo, "mv", "db", "db2")
    _drop_lead(repo / "db2" / "spec")
    (repo / "db").symlink_to("db2")
    r = run_cli("check", "db/spec", "--base", "origin/main")
    assert r.code == 1 and "is db2/spec in the working tree but was db/spec at origin/main" in r.err, r


def test_a_spec_directory_that_was_a_link_at_the_base_and_is_a_copy_now_is_refused(repo: Path):
    """At the base db/spec pointed at db/real; the pull request puts a smaller
    copy in its place and keeps db/real, so nothing would look moved or gone."""
    _git(repo, "checkout", "-q", "main")
    _git(repo, "mv", "db/spec", "db/real")
    (repo / "db" / "spec").symlink_to("real")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "spec through a link")
    _git(repo, "update-ref", "refs/remotes/origin/main", "main")
    _git(repo, "checkout", "-q", "-b", "pr2")
    (repo / "db" / "spec").unlink()
    _care_spec(repo / "db" / "spec", care=True, lead=None)
    r = run_cli("check", "db/spec", "--base", "origin/main")
    assert r.code == 1 and "is db/spec in the working tree but was db/real at origin/main" in r.err, r


def test_the_same_link_at_the_base_and_now_is_followed(repo: Path):
    _git(repo, "checkout", "-q", "main")
    _git(repo, "mv", "db/spec", "db/real")
    (repo / "db" / "spec").symlink_to("real")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "spec through a link")
    _git(repo, "update-ref", "refs/remotes/origin/main", "main")
    (repo / "db" / "real" / "tables" / "extra.yaml").write_text(EXTRA, encoding="utf-8")
    assert run_cli("check", "db/spec", "--base", "origin/main").code == 0
    _drop_lead(repo / "db" / "real")
    r = run_cli("check", "db/spec", "--base", "origin/main", "--format", "json")
    assert r.code == 3 and _errors(r) == ["SD301"], r


@pytest.mark.parametrize("where", ["spec file", "spec file, relative", "policy beside", "policy inside", "root file"])
def test_a_spec_file_linked_out_of_the_repository_is_refused(repo: Path, tmp_path: Path, where: str):
    secret = tmp_path / "outside" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text("table: stolen\ncolumns: {id: {type: bigint}}\n", encoding="utf-8")
    spec = repo / "db" / "spec"
    link = {"spec file": spec / "tables" / "x.yaml", "spec file, relative": spec / "tables" / "y.yaml",
            "policy beside": repo / "db" / "schemadiff-policy.yaml",
            "policy inside": spec / "schemadiff-policy.yaml", "root file": spec / "schemadiff.yaml"}[where]
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(secret, link.parent) if "relative" in where else secret)
    for argv in (["--base", "origin/main"], ["--base-dir", str(_care_spec(tmp_path / "b", care=True))]):
        r = run_cli("check", "db/spec", *argv)
        assert r.code == 1, (argv, r)
        assert f"{link.relative_to(repo)} is a symbolic link to {secret}, outside the repository" in r.err, r.err


def test_a_spec_directory_linked_out_of_the_repository_is_refused(repo: Path, tmp_path: Path):
    outside = _care_spec(tmp_path / "outside", care=True)
    (repo / "db" / "linked").symlink_to(outside)
    r = run_cli("check", "db/linked", "--base", "origin/main")
    assert r.code == 1 and f"is a symbolic link to {outside}, outside the repository" in r.err, r


def test_a_base_directory_with_a_file_linked_out_of_it_is_refused(tmp_path: Path):
    """Outside any repository, the boundary is the spec directory itself."""
    secret = tmp_path / "secret.yaml"
    secret.write_text("table: stolen\ncolumns: {id: {type: bigint}}\n", encoding="utf-8")
    base = write_spec(tmp_path / "base", {"schemadiff.yaml": "version: 1\n"})
    (base / "stolen.yaml").symlink_to(secret)
    head = write_spec(tmp_path / "head", {"schemadiff.yaml": "version: 1\n"})
    r = run_cli("check", str(head), "--base-dir", str(base))
    assert r.code == 1 and "stolen.yaml is a symbolic link to" in r.err and "outside the spec directory" in r.err, r
    # and a link that stays inside the spec directory is fine
    (base / "stolen.yaml").unlink()
    (base / "tables").mkdir()
    (base / "tables" / "t.yaml").write_text(EXTRA, encoding="utf-8")
    (base / "alias.yml.txt").symlink_to(base / "tables" / "t.yaml")
    assert run_cli("check", str(base), "--base-dir", str(base)).code == 0


def test_a_base_commit_with_a_file_linked_to_an_absolute_path_is_refused(repo: Path):
    _git(repo, "checkout", "-q", "main")
    (repo / "db" / "spec" / "tables" / "abs.yaml").symlink_to("/etc/hostname")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "absolute link")
    (repo / "db" / "spec" / "tables" / "abs.yaml").unlink()
    r = run_cli("check", "db/spec", "--base-ref", "main")
    assert r.code == 1 and "db/spec/tables/abs.yaml is a symbolic link out of the repository" in r.err, r


@pytest.mark.parametrize("option", ["--policy", "--prove-setup", "-o"])
def test_files_named_on_the_command_line_may_not_leave_the_repository_through_a_link(repo: Path, tmp_path: Path,
                                                                                       option: str):
    """The workflow names db/policy.yaml, db/setup.sql or schemadiff.sarif; the pull request
    makes that path a link to a file of the CI machine (to print it in an error, or to
    overwrite it with a report that holds its own text)."""
    victim = tmp_path / "outside" / "victim"
    victim.parent.mkdir()
    victim.write_text("version: 1\n", encoding="utf-8")
    name = {"--policy": "db/policy.yaml", "--prove-setup": "db/setup.sql", "-o": "schemadiff.sarif"}[option]
    (repo / name).symlink_to(victim)
    r = run_cli("check", "db/spec", "--base-ref", "origin/main", option, name, "--format", "sarif")
    assert r.code == 1 and f"{name} is a symbolic link to {victim}, outside the repository" in r.err, r
    assert victim.read_text(encoding="utf-8") == "version: 1\n"
    (repo / name).unlink()
    (repo / "db" / "linkdir").symlink_to(victim.parent)  # a directory on the way
    r = run_cli("check", "db/spec", "--base-ref", "origin/main", option, "db/linkdir/victim")
    assert r.code == 1 and "outside the repository" in r.err, r
    assert victim.read_text(encoding="utf-8") == "version: 1\n"


def test_the_report_is_never_written_through_a_link(repo: Path):
    inside = repo / "README"
    inside.write_text("kept\n", encoding="utf-8")
    (repo / "report.sarif").symlink_to("README")
    r = run_cli("check", "db/spec", "--base-ref", "origin/main", "--format", "sarif", "-o", "report.sarif")
    assert r.code == 1 and "report.sarif is a symbolic link; the report is not written through one" in r.err, r
    assert inside.read_text(encoding="utf-8") == "kept\n"
    r = run_cli("check", "db/spec", "--base-ref", "origin/main", "--format", "sarif", "-o", "fresh.sarif")
    assert r.code == 0 and (repo / "fresh.sarif").read_text(encoding="utf-8").startswith("{"), r
