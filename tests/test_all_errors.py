"""All errors at once where the YAML still parses (issue 16, item 6), and hints for
the common YAML slips at the line where the slip is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemadiff.spec import SpecError, load_spec

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"


def _errors(r) -> list[str]:
    return [line for line in r.err.splitlines() if ": error: " in line]


def _place(line: str) -> tuple[str, int, int]:
    m = re.match(r"^(.*?):(\d+):(\d+): error: ", line)
    return m.group(1), int(m.group(2)), int(m.group(3))


def test_one_run_reports_every_file_and_every_kind(tmp_path: Path):
    """What took three runs: a YAML 1.1 boolean, unknown keys, types — in several files, root included."""
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": "version: 1\nschema: public\nextensoins: [citext]\n",
        "tables/a.yaml": ("table: a\ncolumns:\n  id: {type: integer, primary_key: yes}\n"
                          "  name: {type: text, nulable: false}\n  n: {type: integer, default: [1]}\n"
                          "  flag: {type: boolean, nullable: off}\n"),
        "tables/b.yaml": "table: b\ncolums:\n  id: integer\n",
    })
    r = run_cli("validate", str(spec))
    assert r.code == 1, r
    errors = _errors(r)
    expected = [("schemadiff.yaml", 3, "unknown key 'extensoins'"),
                ("tables/a.yaml", 3, "'yes' is ambiguous: YAML 1.1 reads it as a boolean"),
                ("tables/a.yaml", 4, "unknown key 'nulable'"),
                ("tables/a.yaml", 5, "found a list [column n, default]"),
                ("tables/a.yaml", 6, "'off' is ambiguous"),
                ("tables/b.yaml", 2, "unknown key 'colums'")]
    assert len(errors) == len(expected), r.err
    for line, (file, n, text) in zip(errors, expected):
        f, ln, _ = _place(line)
        assert f.endswith(file) and ln == n and text in line, (line, file, n, text)
    assert [_place(e) for e in errors] == sorted(_place(e) for e in errors)  # sorted by file:line
    assert f"schemadiff: {len(expected)} errors in {spec}; nothing was generated" in r.err


def test_a_value_error_is_not_reported_twice(tmp_path: Path):
    """`primary_key: yes` is one error (ambiguous), not also "expected true or false"."""
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT,
                                          "tables/a.yaml": "table: a\ncolumns:\n  id: {type: integer, primary_key: yes}\n"})
    with pytest.raises(SpecError) as exc:
        load_spec(spec)
    assert len(exc.value.issues) == 1 and "ambiguous" in exc.value.issues[0].message


def test_duplicate_keys_and_ambiguous_values_together(tmp_path: Path):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/a.yaml": (
        "table: a\ncolumns:\n  id: integer\n  id: bigint\n  code: {type: text, default: 012}\n"
        "  day: {type: date, default: 2024-01-01}\n")})
    with pytest.raises(SpecError) as exc:
        load_spec(spec)
    messages = [(i.mark.line, i.message) for i in exc.value.issues]
    assert [line for line, _ in messages] == [4, 5, 6], messages
    assert "duplicate key 'id'" in messages[0][1] and "octal" in messages[1][1] and "date" in messages[2][1]


@pytest.mark.parametrize("line", ["  meta: {type: jsonb, default: '{}'::jsonb}\n",
                                  "  meta:\n    type: jsonb\n    default: '{}'::jsonb\n"])
def test_unquoted_cast_after_a_quoted_string(tmp_path: Path, line: str):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT,
                                          "tables/a.yaml": "table: a\ncolumns:\n  id: integer\n" + line})
    r = run_cli("validate", str(spec))
    assert r.code == 1, r
    (error,) = _errors(r)
    text = (tmp_path / "spec" / "tables" / "a.yaml").read_text().splitlines()
    _, n, col = _place(error)
    assert text[n - 1][col - 1:].startswith("'{}'::jsonb"), (error, text)
    assert "hint: a quoted string followed by ::type is not one YAML value" in r.err
    assert "\"'{}'::jsonb\"" in r.err


def test_a_hash_inside_a_flow_value_is_reported_at_its_line(tmp_path: Path):
    """` #` starts a comment that swallows the `}`: PyYAML complains on the next line; we point at the #."""
    table = ("table: a\ncolumns:\n  id: integer\n  note: {type: text, check: note <> '' # not empty}\n"
             "  other: text\n")
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/a.yaml": table})
    r = run_cli("validate", str(spec))
    assert r.code == 1, r
    (error,) = _errors(r)
    _, n, col = _place(error)
    assert n == 4 and table.splitlines()[3][col - 1] == "#", error
    assert "starts a YAML comment" in r.err


@pytest.mark.parametrize("value, shown", [("{}", "a mapping"), ("[]", "a list")])
def test_a_flow_collection_where_text_was_meant(tmp_path: Path, value: str, shown: str):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/a.yaml":
                                          f"table: a\ncolumns:\n  meta: {{type: jsonb, default: {value}}}\n"})
    r = run_cli("validate", str(spec))
    assert r.code == 1, r
    (error,) = _errors(r)
    assert _place(error)[1] == 3 and f"found {shown}" in error, error
    assert "hint: YAML reads an unquoted" in r.err and "quote the whole value" in r.err


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "OFF"])
def test_yaml11_booleans_are_all_reported(tmp_path: Path, word: str):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": "version: 1\nenums:\n  answer: [maybe, " + word + "]\n",
                                          "tables/a.yaml": f"table: a\ncolumns:\n  id: {{type: integer, unique: {word}}}\n"})
    with pytest.raises(SpecError) as exc:
        load_spec(spec)
    assert [(Path(i.mark.file).name, i.mark.line) for i in exc.value.issues] == [("schemadiff.yaml", 3), ("a.yaml", 3)]
    assert all(f"{word!r} is ambiguous" in i.message for i in exc.value.issues)
