"""A full load gives what the loader before round 5's speed-ups gave, on every spec we have.

The digests in ``golden/load/fingerprints.json`` were written by the loader of commit 1e3413c
(before the memos of per-text work and the cheaper YAML build); ``loadprint.fingerprint`` is
the whole ``LoadedSpec`` (schema, warnings, every mark a finding can point at) or every error
with its file:line:column. All cases load in one process, in a fixed order, so that whatever a
load remembers is in place for the next: a memo keyed by less than all its result depends on
shows here as a changed fingerprint. No timing is measured here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import write_spec
from .loadprint import cases, digest, fingerprint

GOLDEN = Path(__file__).resolve().parent / "golden" / "load" / "fingerprints.json"
UPDATE = os.environ.get("SCHEMADIFF_UPDATE_GOLDEN") == "1"


def _all(tmp_path: Path) -> dict[str, str]:
    out = {}
    for i, (case_id, source) in enumerate(cases()):
        spec = source if isinstance(source, Path) else write_spec(tmp_path / f"c{i}", source)
        out[case_id] = fingerprint(spec)
    return out


def test_every_load_is_what_it_was(tmp_path):
    prints = _all(tmp_path)
    got = {k: digest(v) for k, v in prints.items()}
    if UPDATE:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert GOLDEN.exists(), f"no golden {GOLDEN}; run with SCHEMADIFF_UPDATE_GOLDEN=1 and review it"
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(want)
    changed = [k for k in want if got[k] != want[k]]
    assert not changed, (changed[:10], prints[changed[0]][:3000])


def test_the_cases_cover_loads_and_errors(tmp_path):
    """The corpus holds both outcomes, and the synthetic specs load."""
    prints = _all(tmp_path)
    assert sum('"error"' in p[:12] for p in prints.values()) > 100
    assert sum('"schema"' in p[:12] for p in prints.values()) > 100
    for case_id in ("synthetic-repeated", "synthetic-distinct", "shared-texts"):
        assert '"schema"' in prints[case_id][:12], prints[case_id][:2000]
    for case_id in ("shared-texts-refused", "shared-texts-without-declarations", "shared-texts-default-schema"):
        assert '"error"' in prints[case_id][:12], prints[case_id][:2000]
    refused = prints["shared-texts-refused"]
    assert refused.count("calls random()") == 2 and "b.yaml:4:38" in refused and "a.yaml" not in refused


@pytest.mark.parametrize("first", ["shared-texts", "shared-texts-refused", "shared-texts-without-declarations",
                                   "shared-texts-default-schema"])
def test_a_load_is_the_same_after_any_other(tmp_path, first):
    """What one load leaves behind in the process changes no later load of other declarations."""
    by_id = dict(cases())
    fresh = {k: fingerprint(write_spec(tmp_path / f"fresh-{k}", by_id[k])) for k in by_id if k.startswith("shared")}
    write_spec(tmp_path / "first", by_id[first])
    fingerprint(tmp_path / "first")
    for k, want in fresh.items():
        assert fingerprint(write_spec(tmp_path / f"again-{k}", by_id[k])) == want, k
