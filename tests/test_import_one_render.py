"""``import`` writes out a constraint name the loader can never generate from its
first render (``dump.never_generated``), instead of learning it from a first
load and rendering every such table again. The files must be exactly those of
the loop that starts with no name written (every example, a synthetic schema
and names chosen to collide with the candidates of other constraints)."""

from __future__ import annotations

import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemadiff.spec.dump as dump
from schemadiff.spec import load_spec
from schemadiff.spec.dump import dump_spec, never_generated

from .conftest import EXAMPLES, ROOT, run_cli, write_spec

NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "schema").is_dir())


def _both(schema, monkeypatch):
    tables = []
    real = dump.table_document
    monkeypatch.setattr(dump, "table_document", lambda t, *a, **k: tables.append(t.name) or real(t, *a, **k))
    now = dump_spec(schema)
    renders = len(tables)
    with monkeypatch.context() as m:
        m.setattr(dump, "never_generated", lambda schema: [])
        before = dump_spec(schema)
    assert now == before
    return renders, len(tables) - renders


@pytest.mark.parametrize("name", NAMES)
def test_examples_dump_as_before(name, monkeypatch):
    _both(load_spec(EXAMPLES / name / "schema").schema, monkeypatch)


def _table(name: str, fk: str, uq: str, checks: list[str], pk: str, long: bool) -> str:
    col = "c" * 40 if long else "code"
    text = (f"table: {name}\ncolumns:\n  id: integer\n  {col}: integer\n  parent_id: integer\n"
            f"primary_key: {{columns: [id], name: {pk}}}\n"
            f"unique: [{{columns: [{col}], name: {uq}}}]\n"
            f"foreign_keys:\n  - {{columns: [parent_id], references: {name}(id), name: {fk}}}\n")
    if checks:
        text += "checks:\n" + "".join(f"  - {{name: {c}, expression: \"{col} > {i}\"}}\n" for i, c in enumerate(checks))
    return text


# Names for a table ``t``: its own generated ones, ones that are another constraint's
# candidates, ones no constraint can be given, and numbered ones.
CANDIDATES = ["t_pkey", "t_pkey1", "t_code_key", "t_code_key1", "t_parent_id_fkey", "t_parent_id_fkey1",
              "t_check", "t_code_check", "t_check1", "t_id_check", "t_parent_fk", "t_code_fkey", "t_id_key",
              "t_parent_id_key", "my_name", "t_parent_id_check", "t_pkey_key", "t_code_pkey", "u_pkey",
              "u_code_key", "u_parent_id_fkey"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=st.lists(st.tuples(st.sampled_from(CANDIDATES), st.sampled_from(CANDIDATES),
                                 st.lists(st.sampled_from(CANDIDATES), max_size=2, unique=True),
                                 st.sampled_from(CANDIDATES), st.booleans()),
                       min_size=1, max_size=2))
def test_colliding_names_dump_as_before(tmp_path_factory, monkeypatch, tables):
    files = {"schemadiff.yaml": "version: 1\n"}
    for (fk, uq, checks, pk, long), name in zip(tables, ["t", "u"]):
        own = [fk, uq, pk, *checks]
        if len(set(own)) < len(own):
            return  # one table's constraints need distinct names
        swap = (lambda s: s.replace("t_", "u_", 1)) if name == "u" else (lambda s: s)
        files[f"tables/{name}.yaml"] = _table(name, swap(fk), swap(uq), [swap(c) for c in checks], swap(pk), long)
    spec = write_spec(tmp_path_factory.mktemp("names"), files)
    try:
        schema = load_spec(spec).schema
    except Exception:  # a name the loader refuses (two relations of one name): not this test's matter
        return
    _both(schema, monkeypatch)


def test_synthetic_schema_renders_each_table_once(synthetic, monkeypatch):
    """The benchmark's tables name their foreign key ``tN_parent_fk`` and their unique
    ``tN_tenant_code_key`` (the loader would say ``tN_parent_id_fkey`` and
    ``tN_tenant_id_code_key``): one render each now, two before, the same files."""
    schema = synthetic
    assert {n for _, _, n in never_generated(schema)} >= {"t00002_parent_fk", "t00002_tenant_code_key"}
    now, before = _both(schema, monkeypatch)
    assert now == len(schema.tables) and before == 2 * len(schema.tables)


@pytest.fixture(scope="module")
def synthetic(pg, tmp_path_factory):
    """30 tables of ``benchmarks/synth.py`` on the server, imported (the model import writes)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synth

    db = pg.create_database()
    try:
        assert pg.run_psql(db, sql=synth.schema_sql(30)).returncode == 0
        out = tmp_path_factory.mktemp("synth") / "spec"
        assert run_cli("import", "--db", pg.dsn(db), "--out", str(out)).code == 0
        yield load_spec(out).schema
    finally:
        pg.drop_database(db)


def test_a_second_load_parses_only_the_files_that_changed(pg, db, tmp_path, monkeypatch):
    """A render-and-load round after the first reads back only the files whose text changed
    (``load_spec``'s parse cache, kept across the rounds); the files are the same as when each
    round parses every file."""
    import schemadiff.spec.load as spec_load
    import schemadiff.spec.yamlread as yamlread

    # a: the loader would name its check a_n_check, not a_positive (written from the second
    # round on); b and c need no name written: their files do not change between rounds.
    assert pg.run_psql(db, sql="CREATE TABLE a (n int CONSTRAINT a_positive CHECK (n > 0)); "
                               "CREATE TABLE b (n int CHECK (n > 0)); CREATE TABLE c (id int PRIMARY KEY)"
                       ).returncode == 0
    out = tmp_path / "spec"
    assert run_cli("import", "--db", pg.dsn(db), "--out", str(out)).code == 0
    schema = load_spec(out).schema
    parsed: list[str] = []
    renders: list[dict] = []
    real_parse, real_render = yamlread.parse_yaml, dump.render
    monkeypatch.setattr(yamlread, "parse_yaml", lambda raw, display: parsed.append(display) or real_parse(raw, display))
    monkeypatch.setattr(dump, "render", lambda *a, **k: renders.append(real_render(*a, **k)) or renders[-1])
    monkeypatch.setattr(dump, "never_generated", lambda schema: [])
    monkeypatch.setattr(dump, "_stable", lambda kept, added: False)  # a second load, not a render alone
    files = dump_spec(schema, display="D")
    assert len(renders) == 2 and files == renders[1]
    changed = sorted(rel for rel in files if renders[0][rel] != renders[1][rel])
    assert changed == ["tables/a.yaml"]
    assert parsed == ["D/schemadiff.yaml", "D/tables/a.yaml", "D/tables/b.yaml", "D/tables/c.yaml",
                      "D/schemadiff.yaml", "D/tables/a.yaml"]
    plain = spec_load.load_spec
    monkeypatch.setattr(spec_load, "load_spec", lambda d, display=None, cache=None: plain(d, display=display))
    assert dump_spec(schema, display="D") == files
