"""A load's whole result as text, to compare one version of the loader with another.

``fingerprint(spec_dir)`` is everything of ``load_spec`` a command or a finding can read:
the schema (its repr), the warnings (rendered, with file:line:column), the file maps, and
for every file's context its data and the mark of every value and key; or, for a spec that
does not load, every error rendered. ``CASES`` are the specs ``test_load_equivalence``
fingerprints: the examples, the loader's error cases, every hostile field and payload, and
a synthetic spec with repeated and distinct expressions. Their digests, as the loader before
round 5 gave them, are in ``golden/load/fingerprints.json``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from schemadiff.spec.errors import SpecError
from schemadiff.spec.load import load_spec
from schemadiff.spec.yamlread import YList, YMap

from .hostile import FIELDS, PAYLOADS, spec_files
from .test_loader_errors import CASES as ERROR_CASES, MORE_CASES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SPECS = sorted(p.parent for p in (ROOT / "examples").glob("*/schema/schemadiff.yaml"))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, YMap):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, YList):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _plain(value):
    if isinstance(value, YMap):
        return {"map": str(value.mark), "items": [[k, _plain(v)] for k, v in value.items()]}
    if isinstance(value, YList):
        return {"list": str(value.mark), "items": [_plain(v) for v in value]}
    return [type(value).__name__, repr(value)]


def _context(ctx) -> list:
    if ctx is None:
        return [None]
    out = [ctx.file, _plain(ctx.data)]
    for path in [*_paths(ctx.data), ("no", "such", "path")]:
        out.append([repr(path), str(ctx.mark(*path)), str(ctx.mark(*path, key=True))])
    return out


def fingerprint(spec_dir: Path, display: str = "spec") -> str:
    """The load of ``spec_dir`` (named ``display`` in messages) as one text."""
    try:
        loaded = load_spec(spec_dir, display=display)
    except SpecError as exc:
        return json.dumps({"error": [[i.render(), repr(i)] for i in exc.issues]}, indent=0, ensure_ascii=True)
    out = {
        "schema": repr(loaded.schema),
        "warnings": [[w.render(), repr(w)] for w in loaded.warnings],
        "files": [[str(k), v] for k, v in loaded.files.items()],
        "root": _context(loaded.root),
        "tables": [[str(k), _context(c)] for k, c in loaded.contexts.items()],
        "functions": [[repr(k), _context(c)] for k, c in loaded.function_contexts.items()],
        "views": [[str(k), _context(c)] for k, c in loaded.view_contexts.items()],
    }
    return json.dumps(out, indent=0, ensure_ascii=True)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- a synthetic spec: the benchmark's shape, with texts that repeat and texts that do not ----------

def _synthetic_table(n: int, distinct: bool) -> str:
    k = f"e{n}" if distinct else "d"
    extra = f" AND quantity <> {n}" if distinct else ""
    status_default = "'active'::public.item_status" if distinct and n % 2 else "'active'"
    fk = (f"foreign_keys:\n  - {{columns: [parent_id], references: t{n - 1:03d}(id), name: t{n:03d}_parent_fk, "
          "on_delete: set null}\n") if n > 1 else ""
    return f"""\
table: t{n:03d}
comment: Synthetic table {n}
columns:
  id: {{type: uuid, primary_key: true, default: gen_random_uuid()}}
  tenant_id: {{type: uuid, nullable: false}}
  parent_id: uuid
  code: {{type: varchar(32), nullable: false, comment: "Business code, unique per tenant"}}
  name: {{type: text, nullable: false, default: "'x{n if distinct else ''}'"}}
  kind: {{type: text, nullable: false, default: "'a'", check: "kind IN ('a', 'b', 'c', '{k}')"}}
  quantity: {{type: integer, nullable: false, default: 0, check: quantity >= 0 AND quantity <= {n * 1000}}}
  price: "numeric(12,2)"
  active: {{type: boolean, nullable: false, default: false}}
  status: {{type: item_status, nullable: false, default: "{status_default}"}}
  created_at: {{type: timestamptz, nullable: false, default: now()}}
  due_on: date
  tags: "text[]"
  label: {{type: text, generated: "lower(code || '{k}')"}}
unique: [{{columns: [tenant_id, code], name: t{n:03d}_tenant_code_key}}]
{fk}indexes:
  t{n:03d}_due_idx: {{columns: [due_on], where: due_on IS NOT NULL{extra}}}
  t{n:03d}_parent_idx: [parent_id]
  t{n:03d}_tenant_created_idx: [tenant_id, {{column: created_at, order: desc}}]
  t{n:03d}_lower_idx: {{columns: [{{expression: "lower(name)"}}]}}
rls:
  policies:
    t{n:03d}_tenant_isolation: {{using: "tenant_id = current_setting('app.tenant_id', true)::uuid{extra}"}}
"""


SYNTH_ROOT = "version: 1\nenums: {item_status: [draft, active, archived]}\n"


def synthetic(count: int, distinct: bool) -> dict[str, str]:
    files = {"schemadiff.yaml": SYNTH_ROOT}
    for n in range(1, count + 1):
        files[f"tables/t{n:03d}.yaml"] = _synthetic_table(n, distinct)
    return files


# The same texts in contexts where their judgement differs: a memo keyed by less than all it
# depends on would carry one table's verdict to the next.
SHARED_TEXTS = {
    "schemadiff.yaml": "version: 1\nenums: {mood: [happy, sad]}\nexternal:\n  functions: [auth.uid]\n"
                       "  types: [public.vec]\n  roles: [reader]\n",
    "tables/a.yaml": "table: a\ncolumns:\n  id: {type: bigint, primary_key: true}\n"
                     "  m: {type: mood, default: \"'happy'::public.mood\"}\n"
                     "  r: {type: double precision, default: random()}\n"
                     "  u: {type: uuid, default: auth.uid()}\n"
                     "  v: {type: vec}\n"
                     "rls:\n  policies:\n    p: {to: [reader], using: \"u = auth.uid()\"}\n",
}
# The same texts where they are refused: a check may not call random() or an external function,
# nor name the enum without its schema.
REFUSED_TEXTS = {
    "tables/b.yaml": "table: b\ncolumns:\n  id: {type: bigint, primary_key: true}\n"
                     "  r: {type: double precision, check: random() > 0}\n"
                     "  u: {type: uuid, check: u = auth.uid()}\n"
                     "  m: {type: text, check: \"m::mood IS NOT NULL\"}\n",
}
SHARED_TEXTS["tables/c.yaml"] = ("table: c\nschema: other\ncolumns:\n  id: {type: bigint, primary_key: true}\n"
                                "  m: {type: mood}\n  v: {type: vec}\n")


def cases() -> list[tuple[str, dict[str, str] | Path]]:
    """(id, files or an example's directory), in the order the test loads them (one process)."""
    out: list[tuple[str, dict[str, str] | Path]] = [(f"example-{p.parent.name}", p) for p in EXAMPLE_SPECS]
    out += [(f"error-{c[0]}", c[1]) for c in ERROR_CASES + MORE_CASES]
    out.append(("synthetic-repeated", synthetic(40, False)))
    out.append(("synthetic-distinct", synthetic(40, True)))
    out.append(("shared-texts", SHARED_TEXTS))
    out.append(("shared-texts-refused", {**SHARED_TEXTS, **REFUSED_TEXTS}))
    # the same texts again with the enum, the external type and function gone: each is an error now
    out.append(("shared-texts-without-declarations", {**SHARED_TEXTS, "schemadiff.yaml": "version: 1\n"}))
    out.append(("shared-texts-default-schema", {**SHARED_TEXTS, "schemadiff.yaml":
                                                "version: 1\nschema: other\n" + SHARED_TEXTS["schemadiff.yaml"][11:]}))
    out.append(("hostile-baseline", spec_files()))
    for field in FIELDS:
        for i, payload in enumerate(PAYLOADS):
            out.append((f"hostile-{field}-p{i}", spec_files(field, payload)))
    return out
