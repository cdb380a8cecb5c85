"""Storage parameters and UNLOGGED: spec -> SQL -> database -> import, exact; judged
changes on existing objects; the allowlist holds against hostile keys and values."""

from __future__ import annotations

import pytest

from schemadiff.spec import load_spec

from .conftest import run_cli, write_spec


def _psql(pg, db, sql):
    result = pg.run_psql(db, sql=sql)
    assert result.returncode == 0, result.stderr


def _spec(tmp_path, name, table_yaml: str):
    return write_spec(tmp_path / name, {"schemadiff.yaml": "version: 1\n", "tables/t.yaml": table_yaml})


def _import(pg, db, tmp_path, name="imported"):
    out = tmp_path / name
    result = run_cli("import", "--db", pg.dsn(db), "--out", str(out))
    assert result.code == 0, result
    return out


DDL = """
CREATE UNLOGGED TABLE t (
  id integer PRIMARY KEY,
  body text,
  tags text[],
  at timestamptz
) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.05, autovacuum_enabled = off,
        vacuum_index_cleanup = true, log_autovacuum_min_duration = -1, toast.autovacuum_enabled = false,
        toast_tuple_target = '0x100');
CREATE INDEX t_body ON t (body) WITH (fillfactor = 70, deduplicate_items = off);
CREATE INDEX t_tags ON t USING gin (tags) WITH (fastupdate = off, gin_pending_list_limit = 128);
CREATE INDEX t_at ON t USING brin (at) WITH (pages_per_range = 32, autosummarize = on);
"""


def test_storage_parameters_and_unlogged_import_exactly_and_replan_to_nothing(pg, db, tmp_path):
    _psql(pg, db, DDL)
    out = _import(pg, db, tmp_path)
    text = (out / "tables" / "t.yaml").read_text()
    assert "unlogged: true" in text
    table = load_spec(out).schema.tables[0]
    assert table.unlogged
    assert dict(table.storage) == {
        "autovacuum_enabled": False, "autovacuum_vacuum_scale_factor": 0.05, "fillfactor": 80,
        "log_autovacuum_min_duration": -1, "toast.autovacuum_enabled": False, "toast_tuple_target": 256,
        "vacuum_index_cleanup": "on"}
    indexes = {ix.name: dict(ix.storage) for ix in table.indexes}
    assert indexes == {"t_at": {"autosummarize": True, "pages_per_range": 32},
                       "t_body": {"deduplicate_items": False, "fillfactor": 70},
                       "t_tags": {"fastupdate": False, "gin_pending_list_limit": 128}}
    again = run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again
    # and the spec makes the same database from nothing
    db2 = pg.create_database()
    try:
        applied = run_cli("apply", str(out), "--db", pg.dsn(db2), "--yes")
        assert applied.code == 0, applied
        assert _import(pg, db2, tmp_path, "second").joinpath("tables", "t.yaml").read_text() == text
    finally:
        pg.drop_database(db2)


TABLE = """table: t
columns:
  id: {type: integer, primary_key: true}
  body: text
  tags: text[]
"""


def test_a_parameter_set_on_an_existing_table_and_index_is_applied_online_and_replans_to_nothing(pg, db, tmp_path):
    first = _spec(tmp_path, "a", TABLE + "indexes:\n  t_body: [body]\n")
    assert run_cli("apply", str(first), "--db", pg.dsn(db), "--yes").code == 0
    second = _spec(tmp_path, "b", TABLE + "storage: {fillfactor: 80, autovacuum_vacuum_scale_factor: 0.02, "
                                          "toast.autovacuum_enabled: false}\n"
                                          "indexes:\n  t_body: {columns: [body], storage: {fillfactor: 70}}\n")
    planned = run_cli("plan", str(second), "--db", pg.dsn(db), "--format", "sql")
    assert planned.code == 0, planned
    assert "ALTER TABLE public.t SET (fillfactor = 80);" in planned.out
    assert "ALTER TABLE public.t SET (toast.autovacuum_enabled = false);" in planned.out
    assert "ALTER INDEX public.t_body SET (fillfactor = 70);" in planned.out
    text = run_cli("plan", str(second), "--db", pg.dsn(db))
    assert "SD112" in text.out and "SHARE UPDATE EXCLUSIVE" in text.out, text.out
    applied = run_cli("apply", str(second), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    rows = pg.run_psql(db, sql="SELECT c.relname, c.reloptions, t.reloptions FROM pg_class c "
                               "LEFT JOIN pg_class t ON t.oid = c.reltoastrelid "
                               "WHERE c.relname IN ('t', 't_body') ORDER BY 1").stdout
    assert "{autovacuum_vacuum_scale_factor=0.02,fillfactor=80}" in rows and "{autovacuum_enabled=false}" in rows
    assert "{fillfactor=70}" in rows
    assert run_cli("plan", str(second), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
    # removed from the spec: drift, never RESET
    dropped = run_cli("plan", str(first), "--db", pg.dsn(db), "--detailed-exitcode")
    assert dropped.code == 0, dropped
    assert "SD307" in dropped.out and "RESET" not in run_cli("plan", str(first), "--db", pg.dsn(db),
                                                             "--format", "sql").out


@pytest.mark.parametrize("before,after,code", [
    ("", "unlogged: true\n", "SD604"),
    ("unlogged: true\n", "", "SD604"),
    ("indexes:\n  t_tags: {columns: [tags], method: gin}\n",
     "indexes:\n  t_tags: {columns: [tags], method: gin, storage: {fastupdate: false}}\n", "SD603"),
    ("indexes:\n  t_b: {columns: [body], method: brin, storage: {pages_per_range: 64}}\n",
     "indexes:\n  t_b: {columns: [body], method: brin, storage: {pages_per_range: 16}}\n", "SD603"),
])
def test_a_change_that_locks_or_rewrites_is_refused_with_its_rule(pg, db, tmp_path, before, after, code):
    first = _spec(tmp_path, "a", TABLE + before)
    assert run_cli("apply", str(first), "--db", pg.dsn(db), "--yes").code == 0
    refused = run_cli("plan", str(_spec(tmp_path, "b", TABLE + after)), "--db", pg.dsn(db))
    assert refused.code == 3, refused
    assert code in refused.out and "safe path:" in refused.out, refused.out


@pytest.mark.parametrize("storage,message", [
    ("{fillfactor: 5}", "greater than or equal to 10 [storage, fillfactor]"),
    ("{fillfactor: 80.5}", "expected a whole number, found a number [storage, fillfactor]"),
    ("{autovacuum_enabled: 'off'}", "expected true or false, found text [storage, autovacuum_enabled]"),
    ("{vacuum_index_cleanup: sometimes}", "'sometimes' is not one of: auto, on, off [storage, vacuum_index_cleanup]"),
    ("{autovacuum_vacuum_scale_factor: .nan}", "'.nan' is not a value a spec accepts"),
    ("{autovacuum_vacuum_scale_factor: 100.5}", "less than or equal to 100 [storage, autovacuum_vacuum_scale_factor]"),
    ("{oids: true}", "unknown key 'oids' [storage]"),
    ("{toast.fillfactor: 50}", "unknown key 'toast.fillfactor' [storage]"),
])
def test_a_bad_table_parameter_is_an_error_at_its_line(tmp_path, storage, message):
    spec = _spec(tmp_path, "s", TABLE + f"storage: {storage}\n")
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    assert "tables/t.yaml:6" in result.err and message in result.err, result.err


def test_an_index_parameter_of_another_method_is_an_error_naming_the_methods(tmp_path):
    spec = _spec(tmp_path, "s", TABLE + "indexes:\n  t_body:\n    columns: [body]\n    storage: {fastupdate: false}\n")
    result = run_cli("validate", str(spec))
    assert result.code == 1, result
    assert "tables/t.yaml:9" in result.err and "a btree index has no storage parameter 'fastupdate'" in result.err
    assert "fastupdate applies to gin indexes" in result.err


HOSTILE = [
    ('{"fillfactor = 10); DROP TABLE public.canary; --": 10}', "storage"),
    ('{fillfactor: "10); DROP TABLE public.canary; --"}', "storage.fillfactor"),
    ('{vacuum_index_cleanup: "auto\'); DROP TABLE public.canary; --"}', "storage.vacuum_index_cleanup"),
    ('{vacuum_index_cleanup: "auto\\\\\'); DROP TABLE public.canary; --"}', "storage.vacuum_index_cleanup"),
    ('{"toast.autovacuum_enabled = false) ; DROP TABLE public.canary; --": true}', "storage"),
]


@pytest.mark.parametrize("scs", ["on", "off"])
@pytest.mark.parametrize("storage,where", HOSTILE)
def test_hostile_keys_and_values_never_reach_sql(pg, db, tmp_path, storage, where, scs):
    _psql(pg, db, "CREATE TABLE public.canary (id integer PRIMARY KEY); INSERT INTO public.canary VALUES (1), (2);"
                  f"ALTER DATABASE \"{db}\" SET standard_conforming_strings = {scs}")
    for placed in (TABLE + f"storage: {storage}\n",
                   TABLE + f"indexes:\n  t_body: {{columns: [body], storage: {storage}}}\n",
                   TABLE + f"unique:\n  - {{columns: [body], storage: {storage}}}\n"):
        spec = write_spec(tmp_path / "s", {"schemadiff.yaml": "version: 1\nexternal: {tables: [canary]}\n",
                                           "tables/t.yaml": placed})
        for argv in (("plan", str(spec), "--db", pg.dsn(db)), ("apply", str(spec), "--db", pg.dsn(db), "--yes")):
            result = run_cli(*argv)
            assert result.code == 1, result
            assert "tables/t.yaml:" in result.err and "Traceback" not in result.err, result.err
    rows = pg.run_psql(db, sql="SELECT count(*) FROM public.canary").stdout
    assert "2" in rows
    assert "public.t" not in pg.run_psql(db, sql="SELECT 'public.' || relname FROM pg_class WHERE relname = 't'").stdout


def test_a_toast_parameter_on_a_table_without_toast_is_an_error_not_a_plan_that_never_converges(pg, db, tmp_path):
    # PostgreSQL takes it and keeps nothing: a table of fixed-length columns has no TOAST table
    _psql(pg, db, "CREATE TABLE probe (a integer) WITH (toast.autovacuum_enabled = false)")
    assert "{" not in pg.run_psql(db, sql="SELECT reltoastrelid, reloptions FROM pg_class "
                                          "WHERE relname = 'probe'").stdout
    spec = _spec(tmp_path, "s", "table: t\ncolumns:\n  id: integer\n  at: timestamptz(3)\n"
                                "storage: {toast.autovacuum_enabled: false}\n")
    result = run_cli("validate", str(spec))
    assert result.code == 1 and "tables/t.yaml:5" in result.err and "has no TOAST table" in result.err, result
    fine = _spec(tmp_path, "f", "table: t\ncolumns:\n  id: integer\n  body: text\n"
                                "storage: {toast.autovacuum_enabled: false}\n")
    assert run_cli("apply", str(fine), "--db", pg.dsn(db), "--yes").code == 0
    assert run_cli("plan", str(fine), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


KEYS = """
CREATE TABLE k (
  id integer PRIMARY KEY WITH (fillfactor = 70),
  a integer, b integer,
  UNIQUE (a) WITH (fillfactor = 60, deduplicate_items = off),
  UNIQUE (a, b) WITH (fillfactor = 90) DEFERRABLE
);
"""


def test_storage_parameters_of_keys_import_exactly_and_change_online(pg, db, tmp_path):
    _psql(pg, db, KEYS)
    out = _import(pg, db, tmp_path)
    text = (out / "tables" / "k.yaml").read_text()
    assert "primary_key: {columns: [id], storage: {fillfactor: 70}}" in text, text
    assert "{columns: [a], storage: {deduplicate_items: false, fillfactor: 60}}" in text, text
    assert "{columns: [a, b], deferrable: true, storage: {fillfactor: 90}}" in text, text
    assert run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode").code == 0
    db2 = pg.create_database()
    try:  # the same keys from the spec
        assert run_cli("apply", str(out), "--db", pg.dsn(db2), "--yes").code == 0
        assert _import(pg, db2, tmp_path, "second").joinpath("tables", "k.yaml").read_text() == text
    finally:
        pg.drop_database(db2)
    # a key's fillfactor changed: ALTER INDEX … SET, never a replaced key
    (out / "tables" / "k.yaml").write_text(text.replace("fillfactor: 70", "fillfactor: 75"))
    planned = run_cli("plan", str(out), "--db", pg.dsn(db), "--format", "sql")
    assert planned.code == 0, planned
    assert "ALTER INDEX public.k_pkey SET (fillfactor = 75);" in planned.out
    assert run_cli("apply", str(out), "--db", pg.dsn(db), "--yes").code == 0
    assert run_cli("plan", str(out), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


def test_a_new_unique_key_on_an_existing_table_is_built_concurrently_with_its_parameters(pg, db, tmp_path):
    first = _spec(tmp_path, "a", TABLE)
    assert run_cli("apply", str(first), "--db", pg.dsn(db), "--yes").code == 0
    second = _spec(tmp_path, "b", TABLE + "  code: text\nunique:\n  - {columns: [code], storage: {fillfactor: 50}}\n")
    planned = run_cli("plan", str(second), "--db", pg.dsn(db), "--format", "sql")
    assert "CREATE UNIQUE INDEX CONCURRENTLY t_code_key ON public.t (code) WITH (fillfactor = 50);" in planned.out, \
        planned
    assert run_cli("apply", str(second), "--db", pg.dsn(db), "--yes").code == 0
    assert run_cli("plan", str(second), "--db", pg.dsn(db), "--detailed-exitcode").code == 0


def test_a_storage_change_as_migration_files_validates_and_rolls_back_exactly(pg, db, tmp_path):
    from .test_migration_files import roundtrip
    from schemadiff.introspect.connect import connect
    from schemadiff.planning import plan_with_connection

    _psql(pg, db, "CREATE TABLE public.t (id integer PRIMARY KEY, body text) WITH (fillfactor = 90);"
                  "CREATE INDEX t_body ON public.t (body)")
    desired = load_spec(_spec(tmp_path, "s", "table: t\ncolumns:\n  id: {type: integer, primary_key: true}\n"
                                             "  body: text\nstorage: {fillfactor: 70, toast.autovacuum_enabled: "
                                             "false, vacuum_index_cleanup: auto}\n"
                                             "indexes:\n  t_body: {columns: [body], storage: {fillfactor: 60}}\n"
                              )).schema
    with connect(pg.dsn(db)) as conn:
        plan = plan_with_connection(desired, conn).plan
    assert not plan.refused and len(plan.steps) == 4
    w = roundtrip(pg, db, plan, desired, tmp_path / "migrations")
    assert "ALTER TABLE public.t RESET (toast.autovacuum_enabled);" in w.rollback.read_text()
    assert "ALTER TABLE public.t SET (fillfactor = 90);" in w.rollback.read_text()


def test_storage_pairs_come_in_the_models_order_whatever_order_the_set_of_given_fields_iterates_in():
    """``storage_pairs`` reads which fields were given from a set, whose order depends on the hash
    seed and on how the set was built (a spec read by another process comes back unpickled): the
    pairs follow the model's declaration order instead, the same in every process."""
    import pickle

    from schemadiff.spec.format import TableStorageSpec, storage_pairs

    declared = [(f.alias or name) for name, f in TableStorageSpec.model_fields.items()]
    given = {"fillfactor": 70, "autovacuum_enabled": False, "toast.autovacuum_enabled": True,
             "autovacuum_vacuum_threshold": 100}
    spec = TableStorageSpec.model_validate(dict(reversed(list(given.items()))))
    pairs = storage_pairs(spec)
    assert [k for k, _ in pairs] == [k for k in declared if k in given] and dict(pairs) == given
    assert storage_pairs(pickle.loads(pickle.dumps(spec))) == pairs
