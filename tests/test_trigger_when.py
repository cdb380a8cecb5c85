"""A trigger's WHEN converges through the server (review F5): the spec's WHEN goes
on a trigger of the temporary copy of its table in the rolled-back probe, and the
server's ``pg_get_triggerdef`` of it is compared with the database's, as checks
and policies converge. Spellings the offline stage cannot equate re-plan to nothing
after apply; a real change of WHEN is still one."""

from __future__ import annotations

import json

import pytest

from .conftest import run_cli, write_spec

FUNCTION = "function: tg\nreturns: trigger\nlanguage: plpgsql\nbody: \"BEGIN RETURN NEW; END\"\n"


def _spec(root, when: str, events: str = "[update]"):
    table = ("table: t\ncolumns: {id: {type: integer, primary_key: true}, s: {type: text}, ts: {type: timestamptz}}\n"
             f"triggers:\n  tr1: {{timing: before, events: {events}, when: {json.dumps(when)}, function: tg}}\n")
    return write_spec(root, {"schemadiff.yaml": "version: 1\n", "functions/tg.yaml": FUNCTION, "tables/t.yaml": table})


@pytest.mark.parametrize("when", [
    "new.id BETWEEN 1 AND 5",
    "new.s IN ('a','b')",
    "new.s LIKE 'a%'",
    "new.s::varchar(3) = 'x'",
])
def test_a_when_the_server_respells_replans_to_nothing(pg, db, tmp_path, when):
    spec = _spec(tmp_path / "spec", when)
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, (when, again)


def test_a_changed_when_is_still_a_change(pg, db, tmp_path):
    assert run_cli("apply", str(_spec(tmp_path / "a", "new.id BETWEEN 1 AND 5")), "--db", pg.dsn(db), "--yes").code == 0
    changed = run_cli("plan", str(_spec(tmp_path / "b", "new.id BETWEEN 1 AND 6")), "--db", pg.dsn(db))
    assert changed.code == 3 and "SD414" in changed.out, changed


def test_a_when_over_old_and_new_on_insert_or_update_converges(pg, db, tmp_path):
    """The probe's trigger has the spec's timing and events: a WHEN naming OLD on an
    UPDATE trigger is taken by the server there too."""
    spec = _spec(tmp_path / "spec", "old.s IS DISTINCT FROM new.s AND new.id BETWEEN 1 AND 9")
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    assert run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


SPLIT = "'a\\' || '; DELETE FROM public.canary; COMMIT; --'"


@pytest.mark.parametrize("scs", ["on", "off"])
def test_the_when_probe_keeps_the_canary(pg, db, tmp_path, scs):
    """A WHEN whose text would split the statement with standard_conforming_strings
    off (the database's setting here), converged against a trigger the database holds
    with another spelling: the canary's rows survive, and the plan is empty."""
    spec = _spec(tmp_path / "spec", f"new.s BETWEEN {SPLIT} AND 'z'")  # only the server equates BETWEEN
    assert run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes").code == 0
    assert pg.run_psql(db, sql="CREATE TABLE public.canary (id integer); INSERT INTO public.canary VALUES (1), (2); "
                               f"ALTER DATABASE {db} SET standard_conforming_strings = {scs};").returncode == 0
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again
    import psycopg
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 2
