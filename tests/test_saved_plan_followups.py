"""A saved plan's ``follow_ups`` (the REFRESH of each new materialized view) are
data of the reviewed record, never run: apply prints the follow-ups of the plan
it makes now, and a file whose follow-ups were edited, added or removed does not
match that plan — exit 1, one clean line, nothing applied, the canaries as they
were — with ``standard_conforming_strings`` on or off in the database."""

from __future__ import annotations

import copy
import json

import psycopg
import pytest

from .conftest import run_cli, write_spec
from .test_guard_attacks import CANARY, snapshot
from .test_matviews import FILES

FORGED = [{"object": "materialized view public.customer_totals\x1b]52;c;ZXZpbA==\x07",
           "sql": "DROP TABLE public.canary;\n::error file=x::forged",
           "run": "now, by schemadiff", "why": "\x1b[2J::warning::x"}]
EDITS = {
    "a follow-up's SQL replaced": lambda doc: doc["follow_ups"][0].update(sql=FORGED[0]["sql"]),
    "a forged follow-up added": lambda doc: doc["follow_ups"].extend(FORGED),
    "the follow-ups replaced": lambda doc: doc.update(follow_ups=FORGED),
    "the follow-ups removed": lambda doc: doc.pop("follow_ups"),
    "an empty list of follow-ups": lambda doc: doc.update(follow_ups=[]),
}


@pytest.fixture(params=["on", "off"])
def saved(request, pg, db, tmp_path):
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute(f"ALTER DATABASE {db} SET standard_conforming_strings = {request.param}")
    spec = str(write_spec(tmp_path / "spec", FILES))
    path = tmp_path / "plan.json"
    made = run_cli("plan", spec, "--db", dsn, "--out", str(path))
    assert made.code == 0, made
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [f["sql"] for f in doc["follow_ups"]] == ["REFRESH MATERIALIZED VIEW public.customer_totals;"]
    return dsn, spec, path, doc


@pytest.mark.parametrize("name", list(EDITS))
def test_edited_follow_ups_are_refused_and_never_printed(name, saved):
    dsn, spec, path, doc = saved
    before = snapshot(dsn)
    edited = copy.deepcopy(doc)
    EDITS[name](edited)
    path.write_text(json.dumps(edited), encoding="utf-8")
    result = run_cli("apply", spec, "--db", dsn, "--plan", str(path))
    assert result.code == 1, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "follow_ups" in lines[0] and "nothing was applied" in lines[0], lines
    for text in (result.out, result.err):
        assert "\x1b" not in text and "::" not in text and "DROP" not in text, text
    assert "applied" not in result.out, result.out
    assert snapshot(dsn) == before


def test_the_unedited_plan_applies_and_prints_only_its_own_follow_up(saved):
    dsn, spec, path, _ = saved
    result = run_cli("apply", spec, "--db", dsn, "--plan", str(path))
    assert result.code == 0, result
    assert "  REFRESH MATERIALIZED VIEW public.customer_totals;" in result.out.splitlines(), result.out
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT relispopulated FROM pg_class WHERE relname = 'customer_totals'"
                            ).fetchone() == (False,)  # printed, never run
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 100
