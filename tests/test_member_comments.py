"""Comments on constraints, policies and triggers (``comment:`` on a key, check, foreign
key, policy and trigger): set or changed alone (SD108, never a replacement), drift when
only the database has one, carried by a new constraint on an existing table, undone
and checked by migration files, loaded with file:line errors, and a plan saved before
the model held them is stale."""

from __future__ import annotations

import json

import psycopg
import pytest

from schemadiff.fingerprint import digest
from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec
from .test_fingerprint import before_member_comments

TEXT = "it's \\ $$ */ a\nnew line"  # a quote, a backslash, dollars, a comment's end, a line break

ROOT = "version: 1\nschema: app\nschemas: [app]\nexternal: {roles: [reader]}\n"
FUNCTION = "function: touch\nschema: app\nreturns: trigger\nlanguage: plpgsql\nbody: |\n  BEGIN RETURN NEW; END;\n"


def _table(comment: str | None = None, extra: bool = False) -> str:
    """app.t with every kind of member, each commented with ``comment`` when given."""
    c = {} if comment is None else {"comment": comment}
    doc = {
        "table": "t", "schema": "app",
        "columns": {"id": "bigint", "n": "integer", "parent": "bigint"} | ({"extra": "text"} if extra else {}),
        "primary_key": {"columns": ["id"], **c},
        "unique": [{"columns": ["n"], **c}],
        "checks": [{"expression": "n > 0", "name": "t_n_positive", **c}]
        + ([{"expression": "extra <> ''", "name": "t_extra_check", "comment": "new"}] if extra else []),
        "foreign_keys": [{"columns": ["parent"], "references": "app.t(id)", **c}],
        "rls": {"policies": {"p_read": {"to": ["reader"], "using": "true", **c}}},
        "triggers": {"t_touch": {"timing": "before", "events": ["update"], "function": "touch", **c}},
    }
    return json.dumps(doc) + "\n"


def _spec(tmp_path, name: str, comment: str | None = None, extra: bool = False):
    return write_spec(tmp_path / name, {"schemadiff.yaml": ROOT, "tables/t.yaml": _table(comment, extra),
                                        "functions/touch.yaml": FUNCTION})


MEMBERS = ("SELECT conname, obj_description(oid, 'pg_constraint') FROM pg_constraint WHERE conrelid = 'app.t'::regclass "
           "AND contype <> 'n' "
           "UNION ALL SELECT polname, obj_description(oid, 'pg_policy') FROM pg_policy "
           "WHERE polrelid = 'app.t'::regclass UNION ALL SELECT tgname, obj_description(oid, 'pg_trigger') "
           "FROM pg_trigger WHERE tgrelid = 'app.t'::regclass AND NOT tgisinternal ORDER BY 1")
NAMES = ["p_read", "t_n_key", "t_n_positive", "t_parent_fkey", "t_pkey", "t_touch"]


def _members(pg, db) -> dict:
    with psycopg.connect(pg.dsn(db)) as conn:
        return dict(conn.execute(MEMBERS).fetchall())


@pytest.fixture
def base_db(pg, db, tmp_path):
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        if not conn.execute("SELECT FROM pg_roles WHERE rolname = 'reader'").fetchall():
            conn.execute("CREATE ROLE reader")
    applied = run_cli("apply", str(_spec(tmp_path, "base")), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    assert _members(pg, db) == {name: None for name in NAMES}
    return db


def test_a_new_comment_is_one_comment_step_per_object_never_a_replacement(pg, base_db, tmp_path):
    head = _spec(tmp_path, "head", TEXT)
    planned = run_cli("plan", str(head), "--db", pg.dsn(base_db), "--format", "json")
    assert planned.code == 0, planned
    steps = json.loads(planned.out)["steps"]
    assert [s["sql"].split(" IS ")[0] for s in steps] == [
        "COMMENT ON CONSTRAINT t_pkey ON app.t", "COMMENT ON CONSTRAINT t_n_key ON app.t",
        "COMMENT ON CONSTRAINT t_n_positive ON app.t", "COMMENT ON CONSTRAINT t_parent_fkey ON app.t",
        "COMMENT ON POLICY p_read ON app.t", "COMMENT ON TRIGGER t_touch ON app.t"], planned.out
    assert all(s["rules"] == ["SD108"] and s["phase"] == "transactional" for s in steps), steps
    assert all(s["sql"].endswith(" IS E'it''s \\\\ $$ */ a\\nnew line'") for s in steps), steps
    applied = run_cli("apply", str(head), "--db", pg.dsn(base_db), "--yes")
    assert applied.code == 0, applied
    assert _members(pg, base_db) == {name: TEXT for name in NAMES}
    assert run_cli("plan", str(head), "--db", pg.dsn(base_db), "--detailed-exitcode").code == 0
    # changed: again one step each; and import writes them back exactly
    changed = _spec(tmp_path, "changed", "other")
    planned = run_cli("plan", str(changed), "--db", pg.dsn(base_db), "--format", "json")
    assert [(s["change"], s["rules"]) for s in json.loads(planned.out)["steps"]] == [
        ("change comment on constraint t_pkey", ["SD108"]), ("change comment on constraint t_n_key", ["SD108"]),
        ("change comment on constraint t_n_positive", ["SD108"]),
        ("change comment on constraint t_parent_fkey", ["SD108"]),
        ("change comment on policy p_read", ["SD108"]), ("change comment on trigger t_touch", ["SD108"])], planned.out
    out = tmp_path / "imported"
    assert run_cli("import", "--db", pg.dsn(base_db), "--schema", "app", "--out", str(out)).code == 0
    imported = load_spec(out).schema.table(load_spec(head).schema.tables[0].qualified)
    assert imported == load_spec(head).schema.tables[0]


def test_a_comment_only_the_database_has_is_drift_and_kept(pg, base_db, tmp_path):
    with psycopg.connect(pg.dsn(base_db), autocommit=True) as conn:
        conn.execute("COMMENT ON CONSTRAINT t_n_positive ON app.t IS 'theirs'; "
                     "COMMENT ON POLICY p_read ON app.t IS 'theirs'; COMMENT ON TRIGGER t_touch ON app.t IS 'theirs'; "
                     "COMMENT ON COLUMN app.t.n IS 'theirs'")
    base = tmp_path / "base"
    planned = run_cli("plan", str(base), "--db", pg.dsn(base_db), "--format", "json")
    assert planned.code == 0, planned
    doc = json.loads(planned.out)
    assert doc["steps"] == [], doc
    assert [(d["code"], d["verdict"], d["object"]) for d in doc["drift"]] == [("SD108", "drift", "table app.t")] * 4
    assert sorted(d["reason"].split(":")[0] for d in doc["drift"]) == [
        "column n", "constraint t_n_positive", "policy p_read", "trigger t_touch"], doc["drift"]
    text = run_cli("plan", str(base), "--db", pg.dsn(base_db)).out
    assert text.count("a comment in the database that the spec does not give; kept") == 4, text
    for member in ("column n", "constraint t_n_positive", "policy p_read", "trigger t_touch"):
        assert f"{member}: a comment in the database that the spec does not give; kept" in text, text
    assert run_cli("plan", str(base), "--db", pg.dsn(base_db), "--detailed-exitcode").code == 0
    assert run_cli("apply", str(base), "--db", pg.dsn(base_db), "--yes").code == 0
    assert _members(pg, base_db)["t_touch"] == "theirs"  # never removed


def test_a_new_check_on_an_existing_table_takes_its_comment_after_it(pg, base_db, tmp_path):
    head = _spec(tmp_path, "head", None, extra=True)  # a new column, and a check on it (SD109)
    planned = run_cli("plan", str(head), "--db", pg.dsn(base_db), "--format", "json")
    assert planned.code == 0, planned
    steps = [(s["phase"], s["sql"]) for s in json.loads(planned.out)["steps"]]
    assert steps == [
        ("transactional", "ALTER TABLE app.t ADD COLUMN extra text"),
        ("transactional", "ALTER TABLE app.t ADD CONSTRAINT t_extra_check CHECK (extra <> '') NOT VALID"),
        ("validate", "ALTER TABLE app.t VALIDATE CONSTRAINT t_extra_check"),
        ("validate", "COMMENT ON CONSTRAINT t_extra_check ON app.t IS 'new'")], steps
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    written = run_cli("plan", str(head), "--db", pg.dsn(base_db), "--write-migration", str(migrations),
                      "--name", "check")
    assert written.code == 0, written
    up = next(migrations.glob("*.sql"))
    assert "COMMENT ON CONSTRAINT t_extra_check ON app.t IS 'new';" in up.read_text()
    validation = migrations / "validation" / up.name
    assert "pg_constraint" in validation.read_text() and "'new'" in validation.read_text()
    assert pg.run_psql(base_db, file=up).returncode == 0
    assert pg.run_psql(base_db, file=validation).returncode == 0
    assert run_cli("plan", str(head), "--db", pg.dsn(base_db), "--detailed-exitcode").code == 0


def test_a_changed_comment_rolls_back_to_the_old_one_and_validation_sees_it(pg, base_db, tmp_path):
    with psycopg.connect(pg.dsn(base_db), autocommit=True) as conn:
        conn.execute("COMMENT ON POLICY p_read ON app.t IS 'before'")
    head = _spec(tmp_path, "head", TEXT)
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    written = run_cli("plan", str(head), "--db", pg.dsn(base_db), "--write-migration", str(migrations),
                      "--name", "comments")
    assert written.code == 0, written
    up = next(migrations.glob("*.sql"))
    rollback, validation = migrations / "rollback" / up.name, migrations / "validation" / up.name
    text = rollback.read_text()
    assert "COMMENT ON POLICY p_read ON app.t IS 'before';" in text
    assert "COMMENT ON TRIGGER t_touch ON app.t IS NULL;" in text
    assert "COMMENT ON CONSTRAINT t_pkey ON app.t IS NULL;" in text
    assert pg.run_psql(base_db, file=validation).returncode != 0  # nothing applied yet
    assert pg.run_psql(base_db, file=up).returncode == 0
    assert pg.run_psql(base_db, file=validation).returncode == 0
    assert _members(pg, base_db) == {name: TEXT for name in NAMES}
    assert pg.run_psql(base_db, file=rollback).returncode == 0
    assert _members(pg, base_db) == {name: ("before" if name == "p_read" else None) for name in NAMES}
    assert pg.run_psql(base_db, file=validation).returncode != 0


def test_a_plan_saved_before_the_comments_were_modelled_is_stale(pg, base_db, tmp_path):
    """A plan saved by a version whose model had no comment on constraints, policies or
    triggers hashed the database without them: now it is stale, and nothing runs."""
    head = _spec(tmp_path, "head", "new")
    saved = tmp_path / "plan.json"
    assert run_cli("plan", str(head), "--db", pg.dsn(base_db), "--out", str(saved)).code == 0
    doc = json.loads(saved.read_text())
    from schemadiff.introspect import introspect
    with psycopg.connect(pg.dsn(base_db)) as conn:
        current = introspect(conn, ["app"], "app").schema
    from schemadiff.fingerprint import encode
    from schemadiff.model import Schema
    old = lambda value: digest(json.dumps(before_member_comments(json.loads(encode(value))),  # noqa: E731
                                          sort_keys=True, ensure_ascii=False))
    doc["state"]["table app.t"] = old(Schema(tables=current.tables))[7:23]
    assert doc["state"]["table app.t"] != json.loads(saved.read_text())["state"]["table app.t"]
    from schemadiff.plan import _hash
    doc["fingerprint"] = _hash({"database": old(current), "steps": [[s["phase"], s["sql"]] for s in doc["steps"]]})
    saved.write_text(json.dumps(doc))
    result = run_cli("apply", str(head), "--db", pg.dsn(base_db), "--plan", str(saved))
    assert result.code == 1, result
    assert "is stale" in result.err and "table app.t changed" in result.err, result.err
    assert _members(pg, base_db) == {name: None for name in NAMES}


@pytest.mark.parametrize("where", ["primary_key", "unique", "checks", "foreign_keys", "policy", "trigger"])
def test_an_empty_comment_is_a_load_error_with_its_line(tmp_path, where):
    doc = json.loads(_table("x"))
    target = {"primary_key": doc["primary_key"], "unique": doc["unique"][0], "checks": doc["checks"][0],
              "foreign_keys": doc["foreign_keys"][0], "policy": doc["rls"]["policies"]["p_read"],
              "trigger": doc["triggers"]["t_touch"]}[where]
    target["comment"] = ""
    spec = write_spec(tmp_path / "s", {"schemadiff.yaml": ROOT, "tables/t.yaml": json.dumps(doc, indent=1) + "\n",
                                       "functions/touch.yaml": FUNCTION})
    r = run_cli("validate", str(spec))
    assert r.code == 1, r
    assert "t.yaml:" in r.err and "an empty comment; leave the key out instead" in r.err, r.err


def test_a_comment_key_on_a_column_level_constraint_is_an_unknown_key(tmp_path):
    """The shorthand (`check:` on a column) has no place for a comment: the table form has."""
    spec = write_spec(tmp_path / "s", {"schemadiff.yaml": ROOT,
                                       "tables/t.yaml": "table: t\nschema: app\ncolumns:\n"
                                                        "  n: {type: integer, check: n > 0, check_comment: x}\n"})
    r = run_cli("validate", str(spec))
    assert r.code == 1 and "check_comment" in r.err, r


def test_sql_on_an_empty_database_builds_the_same_comments(pg, db, tmp_path):
    spec = _spec(tmp_path, "head", TEXT)
    script = tmp_path / "s.sql"
    assert run_cli("sql", str(spec), "-o", str(script)).code == 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        if not conn.execute("SELECT FROM pg_roles WHERE rolname = 'reader'").fetchall():
            conn.execute("CREATE ROLE reader")
        conn.execute("ALTER DATABASE " + db + " SET standard_conforming_strings = off")
    done = pg.run_psql(db, file=script)
    assert done.returncode == 0, done.stderr
    assert _members(pg, db) == {name: TEXT for name in NAMES}
    assert run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


def test_a_widened_check_keeps_its_comment(pg, db, tmp_path):
    """SD202 replaces a widened CHECK (drop and add NOT VALID): its comment would go
    with the old one, so the new one is commented again, after it is validated."""
    def spec(values: str):
        return write_spec(tmp_path / values, {"schemadiff.yaml": "version: 1\n", "tables/w.yaml": json.dumps(
            {"table": "w", "columns": {"s": "text"},
             "checks": [{"expression": f"s IN ({values})", "name": "w_s_check", "comment": "kept"}]}) + "\n"})
    assert run_cli("apply", str(spec("'a', 'b'")), "--db", pg.dsn(db), "--yes").code == 0
    wider = spec("'a', 'b', 'c'")
    planned = run_cli("plan", str(wider), "--db", pg.dsn(db), "--format", "json")
    assert planned.code == 0, planned
    steps = [(s["phase"], s["sql"]) for s in json.loads(planned.out)["steps"]]
    assert steps[-1] == ("validate", "COMMENT ON CONSTRAINT w_s_check ON public.w IS 'kept'"), steps
    assert run_cli("apply", str(wider), "--db", pg.dsn(db), "--yes").code == 0
    with psycopg.connect(pg.dsn(db)) as conn:
        assert conn.execute("SELECT obj_description(oid, 'pg_constraint') FROM pg_constraint "
                            "WHERE conname = 'w_s_check'").fetchone()[0] == "kept"
    assert run_cli("plan", str(wider), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
