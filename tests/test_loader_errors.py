"""Every loader trap and error message: file:line:column, the object, a hint,
exit code 1, and nothing written."""

from __future__ import annotations

import pytest

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"
EXTERNAL_ROOT = "version: 1\nexternal:\n  tables: [tenant]\n  roles: [authenticated]\n  functions: [auth.uid]\n"


def table(body: str, name: str = "t") -> str:
    return f"table: {name}\n{body}"


# (id, files, expected location "file:line:col", expected message part, expected hint part or None)
CASES = [
    # --- YAML 1.1 traps --------------------------------------------------
    ("yaml11-boolean-enum-label",
     {"schemadiff.yaml": "version: 1\nenums:\n  answer: [yes, no, maybe]\n"},
     "schemadiff.yaml:3:12", "'yes' is ambiguous: YAML 1.1 reads it as a boolean", 'quote it ("yes")'),
    ("yaml11-off-as-value",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  mode: {type: text, default: off}\n")},
     "tables/t.yaml:3:31", "'off' is ambiguous", 'quote it ("off")'),
    ("yaml11-octal",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  n: {type: integer, default: 012}\n")},
     "tables/t.yaml:3:31", "leading 0", None),
    ("yaml11-underscore-number",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  n: {type: integer, default: 1_000}\n")},
     "tables/t.yaml:3:31", "reads it as the number 1000", "without underscores"),
    ("yaml11-sexagesimal",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  n: {type: integer, default: 1:30}\n")},
     "tables/t.yaml:3:31", "base-60", None),
    ("yaml-date",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  d: {type: date, default: 2024-01-01}\n")},
     "tables/t.yaml:3:28", "reads it as a date", "'2024-01-01'::date"),
    ("duplicate-key",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  a: text\n  b: text\n  a: integer\n")},
     "tables/t.yaml:5:3", "duplicate key 'a' (first at line 3)", "silently keep only the last"),
    ("merge-key",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  a: &c {type: text}\n  b:\n    <<: *c\n")},
     "tables/t.yaml:5:5", "merge keys", None),
    ("python-tag",
     {"schemadiff.yaml": "version: 1\nschema: !!python/name:os.system x\n"},
     "schemadiff.yaml:2:9", "YAML tag", None),
    ("broken-yaml",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": "table: t\ncolumns:\n  a: {type: text\n"},
     "tables/t.yaml:4:1", "invalid YAML", None),
    ("two-documents",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": "table: t\ncolumns: {a: text}\n---\ntable: u\n"},
     "tables/t.yaml:4:1", "one YAML document", None),
    # --- unknown keys and wrong values -----------------------------------
    ("typo-nullable",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  a: {type: text, nulable: false}\n")},
     "tables/t.yaml:3:19", "unknown key 'nulable'", "did you mean 'nullable'?"),
    ("typo-in-root",
     {"schemadiff.yaml": "version: 1\nextentions: [citext]\n"},
     "schemadiff.yaml:2:1", "unknown key 'extentions'", "did you mean 'extensions'?"),
    ("typo-in-index",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns: {a: text}\nindexes:\n  i: {columns: [a], uniqe: true}\n")},
     "tables/t.yaml:4:21", "unknown key 'uniqe'", "did you mean 'unique'?"),
    ("typo-in-policy",
     {"schemadiff.yaml": EXTERNAL_ROOT,
      "tables/t.yaml": table("columns: {a: text}\nrls:\n  policies:\n    p: {usign: 'true'}\n")},
     "tables/t.yaml:5:9", "unknown key 'usign'", "did you mean 'using'?"),
    ("bad-on-delete",
     {"schemadiff.yaml": EXTERNAL_ROOT,
      "tables/t.yaml": table("columns:\n  a: {type: uuid, references: tenant(id), on_delete: cascad}\n")},
     "tables/t.yaml:3:54", "'cascad' is not one of", "did you mean 'cascade'?"),
    ("nullable-as-text",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  a: {type: text, nullable: 'false'}\n")},
     "tables/t.yaml:3:29", "expected true or false, found text", None),
    ("missing-type",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  a: {nullable: false}\n")},
     "tables/t.yaml:3:6", "missing required key 'type'", None),
    ("missing-version",
     {"schemadiff.yaml": "schema: public\n"},
     "schemadiff.yaml:1:1", "missing required key 'version'", None),
    ("unsupported-version",
     {"schemadiff.yaml": "version: 2\n"},
     "schemadiff.yaml:1:10", "version 2 is not supported", None),
    ("not-a-table-file",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": "enums: {a: [x]}\n"},
     "tables/t.yaml:1:1", "not a table file", None),
    ("column-list-instead-of-mapping",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns: [a, b]\n")},
     "tables/t.yaml:2:10", "expected a mapping, found a list", None),
    # --- defaults: literal vs expression ----------------------------------
    ("default-bare-word",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  d: {type: text, default: individual}\n")},
     "tables/t.yaml:3:28", "default 'individual' reads as a column reference", "default: \"'individual'\""),
    ("default-json-without-quotes",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  d: {type: jsonb, default: '{}'}\n")},
     "tables/t.yaml:3:29", "default: not a valid SQL expression", "default: \"'{}'\""),
    ("default-refers-to-column",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  a: integer\n  b: {type: integer, default: a + 1}\n")},
     "tables/t.yaml:4:31", "a default cannot refer to columns", "generated column"),
    # --- expressions: exactly one ------------------------------------------
    ("smuggled-statement-in-check",
     {"schemadiff.yaml": ROOT,
      "tables/t.yaml": table("columns:\n  a: {type: integer, check: \"a > 0); DROP TABLE users; --\"}\n")},
     "tables/t.yaml:3:29", "check: not a valid SQL expression", None),
    ("smuggled-statement-in-default",
     {"schemadiff.yaml": ROOT,
      "tables/t.yaml": table("columns:\n  a: {type: integer, default: \"1; DROP TABLE users\"}\n")},
     "tables/t.yaml:3:31", "more than one statement", None),
    ("smuggled-comment-in-where",
     {"schemadiff.yaml": ROOT,
      "tables/t.yaml": table("columns: {a: integer}\nindexes:\n  i: {columns: [a], where: 'a > 0 --'}\n")},
     "tables/t.yaml:4:28", "not a valid SQL expression", "remove the SQL comment"),
    ("smuggled-clause-in-policy",
     {"schemadiff.yaml": EXTERNAL_ROOT,
      "tables/t.yaml": table("columns: {a: integer}\nrls:\n  policies:\n    p: {using: 'true FROM pg_authid'}\n")},
     "tables/t.yaml:5:16", "found extra SQL clauses", None),
    ("expression-list",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  a: {type: integer, check: 'a > 0, a < 5'}\n")},
     "tables/t.yaml:3:29", "found a list", None),
    # --- names and references ---------------------------------------------
    ("name-too-long",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  " + "x" * 64 + ": text\n")},
     "tables/t.yaml:3:3", "is 64 bytes long; PostgreSQL allows 63", None),
    ("multibyte-name-too-long",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns: {a: text}\n", name="é" * 32)},
     "tables/t.yaml:1:8", "is 64 bytes long", None),
    ("unknown-type",
     {"schemadiff.yaml": "version: 1\nenums:\n  MessageRole: [user, assistant]\n",
      "tables/t.yaml": table("columns:\n  r: MesageRole\n")},
     "tables/t.yaml:3:6", "unknown type 'MesageRole'", "did you mean 'MessageRole'?"),
    ("serial-array-type",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  id: serial[]\n")},
     "tables/t.yaml:3:7", "a serial type takes no modifier and has no array form", None),
    ("unknown-fk-target",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  tenant_id: {type: uuid, references: tenant(id)}\n")},
     "tables/t.yaml:3:39", "references public.tenant, which the spec neither defines nor declares external",
     "external: tables: [public.tenant]"),
    ("fk-to-non-key",
     {"schemadiff.yaml": ROOT,
      "tables/p.yaml": table("columns: {id: {type: integer, primary_key: true}, code: text}\n", name="p"),
      "tables/t.yaml": table("columns:\n  c: {type: text, references: p(code)}\n")},
     "tables/t.yaml:3:31", "p(code) is not a primary key or unique constraint", None),
    ("unknown-column-in-check",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns: {amount: integer}\nchecks: ['amont > 0']\n")},
     "tables/t.yaml:3:10", "no column 'amont'", "did you mean 'amount'?"),
    ("mixed-case-column-unquoted-in-sql",
     {"schemadiff.yaml": ROOT,
      "tables/t.yaml": table("columns: {customerId: text}\nindexes:\n  i: {columns: [customerId], where: customerId IS NOT NULL}\n")},
     "tables/t.yaml:4:37", "SQL folds unquoted names to lower case", 'write "customerId"'),
    ("unknown-index-column",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns: {a: text}\nindexes:\n  i: [b]\n")},
     "tables/t.yaml:4:7", "no column 'b'", None),
    ("undeclared-role",
     {"schemadiff.yaml": ROOT,
      "tables/t.yaml": table("columns: {a: text}\nrls:\n  policies:\n    p: {to: [service_role], using: 'true'}\n")},
     "tables/t.yaml:5:14", "role 'service_role' is not declared", "external: roles: [service_role]"),
    ("undeclared-function",
     {"schemadiff.yaml": "version: 1\nexternal: {roles: [authenticated]}\n",
      "tables/t.yaml": table("columns: {user_id: uuid}\nrls:\n  policies:\n    p: {using: auth.uid() = user_id}\n")},
     "tables/t.yaml:5:16", "calls auth.uid()", "external: functions: [auth.uid]"),
    ("insert-policy-with-using",
     {"schemadiff.yaml": ROOT,
      "tables/t.yaml": table("columns: {a: text}\nrls:\n  policies:\n    p: {for: insert, using: 'true'}\n")},
     "tables/t.yaml:5:29", "an INSERT policy has only `with_check`", None),
    ("duplicate-table",
     {"schemadiff.yaml": ROOT, "tables/a.yaml": table("columns: {a: text}\n"),
      "tables/b.yaml": table("columns: {a: text}\n")},
     "tables/b.yaml:1:8", "already defined in", None),
    ("index-name-clash",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns: {a: text}\nindexes:\n  t: [a]\n")},
     "tables/t.yaml:4:3", "already used by table public.t", None),
    ("unique-repeats-primary-key",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  id: {type: integer, primary_key: true, unique: true}\n")},
     "tables/t.yaml:3:50", "repeats the primary key", "silently not create it"),
    ("nullable-primary-key",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  id: {type: integer, primary_key: true, nullable: true}\n")},
     "tables/t.yaml:3:52", "a primary key column cannot be nullable", None),
    ("identity-on-text",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  id: {type: text, identity: always}\n")},
     "tables/t.yaml:3:30", "identity column must be smallint, integer or bigint", None),
    ("no-root",
     {"tables/t.yaml": table("columns: {a: text}\n")},
     None, "no schemadiff.yaml in", "version: 1"),
    ("empty-table-file",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": ""},
     "tables/t.yaml:1:1", "the file is empty", None),
]


@pytest.mark.parametrize("case_id,files,location,message,hint", CASES, ids=[c[0] for c in CASES])
def test_loader_error(tmp_path, case_id, files, location, message, hint):
    spec = write_spec(tmp_path / "spec", files)
    out_file = tmp_path / "out.sql"
    for argv in (("validate", str(spec)), ("sql", str(spec), "-o", str(out_file))):
        result = run_cli(*argv)
        assert result.code == 1, result
        assert result.out == "", "nothing may be written to stdout on error"
        assert not out_file.exists(), "nothing may be written on error"
        first = result.err.splitlines()[0]
        if location is not None:
            assert first.startswith(f"{spec}/{location}: error: "), result.err
        assert message in result.err, result.err
        if hint is not None:
            assert f"hint: " in result.err and hint in result.err, result.err
        assert result.err.rstrip().splitlines()[-1].startswith("schemadiff: "), result.err


def test_all_errors_of_a_file_are_reported_together(tmp_path):
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": ROOT,
        "tables/t.yaml": table("columns:\n  a: {type: text, nulable: true}\n  b: {type: txet}\n  c: {type: text, defualt: x}\n"),
    })
    result = run_cli("validate", str(spec))
    assert result.code == 1
    assert result.err.count("error:") == 2  # two unknown keys; the type is checked once keys are right
    assert "schemadiff: 2 errors in" in result.err


def test_unknown_type_reported_with_other_semantic_errors(tmp_path):
    spec = write_spec(tmp_path / "spec", {
        "schemadiff.yaml": ROOT,
        "tables/t.yaml": table("columns:\n  a: txet\n  b: {type: text, default: individual}\n"),
    })
    result = run_cli("validate", str(spec))
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if "error:" in line]
    assert [line.split(": error:")[0].rsplit("/", 1)[-1] for line in lines] == ["t.yaml:3:6", "t.yaml:4:28"]


MORE_CASES = [
    ("default-null",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  a: {type: text, nullable: false, default: \"NULL\"}\n")},
     "tables/t.yaml:3:45", "default NULL is no default", "leave `default:` out"),
    ("unique-on-json",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns: {doc: json}\nunique: [[doc]]\n")},
     "tables/t.yaml:3:11", "column 'doc' is of type json, which has no btree operator class", "use jsonb"),
    ("index-on-json",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns: {doc: json}\nindexes:\n  i: [doc]\n")},
     "tables/t.yaml:4:7", "index: column 'doc' is of type json", "use jsonb"),
    ("unquoted-array-type-in-flow-mapping",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  tags: {type: text[], nullable: false}\n")},
     None, "invalid YAML", 'type: "text[]"'),
    ("policy-unknown-column",
     {"schemadiff.yaml": EXTERNAL_ROOT,
      "tables/t.yaml": table("columns: {id: uuid}\nrls:\n  policies:\n    p: {to: [authenticated], using: auth.uid() = idd}\n")},
     "tables/t.yaml:5:37", "policy using: no column 'idd'", "did you mean 'id'?"),
    ("unquoted-type-with-comma-in-flow-mapping",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns:\n  price: {type: numeric(10,2), nullable: false}\n")},
     "tables/t.yaml:3:28", "unknown key '2)'", 'type: "numeric(10,2)"'),
    ("index-column-wrong-case",
     {"schemadiff.yaml": ROOT, "tables/t.yaml": table("columns: {leadId: text}\nindexes:\n  i: [leadid]\n")},
     "tables/t.yaml:4:7", "no column 'leadid'", "did you mean 'leadId'? names are exact"),
    ("reference-wrong-case",
     {"schemadiff.yaml": ROOT,
      "tables/p.yaml": table("columns: {id: {type: text, primary_key: true}}\n", name="T"),
      "tables/t.yaml": table("columns:\n  p: {type: text, references: t(id)}\n", name="child")},
     "tables/t.yaml:3:31", "references public.t, which does not exist", "did you mean public.T? names are exact"),
]


@pytest.mark.parametrize("case_id,files,location,message,hint", MORE_CASES, ids=[c[0] for c in MORE_CASES])
def test_loader_error_hints(tmp_path, case_id, files, location, message, hint):
    test_loader_error(tmp_path, case_id, files, location, message, hint)
