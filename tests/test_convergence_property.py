"""Property: one expression, two random spellings — the database created from one,
the spec holding the other — plans to nothing; and the spec ``import`` writes from
that database plans to nothing too (issue 16, items 1 and 7)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import run_cli, write_spec

COLUMNS = {"n": "integer", "total": "numeric", "s": "text", "v": "varchar(10)"}

# Atoms: (template, {slot: kind}); a slot is rendered by the kinds below, in random spellings.
ATOMS = [
    ("{n} > {int}", {"int": "int_n"}),
    ("{total} >= {num}", {"num": "num_total"}),
    ("{s} = {str}", {"str": "str"}),
    ("{v} IN ({str}, {str2})", {"str": "str", "str2": "str"}),
    ("{v} = {str}", {"str": "str"}),
    ("lower({s}) <> {str}", {"str": "str"}),
    ("{n} BETWEEN {int} AND {int2}", {"int": "int_n", "int2": "int_n"}),
    ("{s} IS NOT NULL", {}),
    ("length({v}) < {int}", {"int": "int_n"}),
]


@st.composite
def expressions(draw):
    """(spelling A, spelling B) of one random expression."""
    atoms = draw(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=3))
    ops = draw(st.lists(st.sampled_from([" AND ", " OR "]), min_size=len(atoms) - 1, max_size=len(atoms) - 1))
    values = [{slot: draw(st.integers(0, 50)) if kind.startswith(("int", "num")) else
               draw(st.sampled_from(["a", "b", "x y", "it''s"])) for slot, kind in spec.items()}
              for _, spec in atoms]

    def spell() -> str:
        parts = []
        for (template, spec), vals in zip(atoms, values):
            cols = {c: draw(st.sampled_from([c, f"t.{c}", c.upper() if c != "v" else c])) for c in COLUMNS}
            slots = {}
            for slot, kind in spec.items():
                val = vals[slot]
                if kind == "int_n":
                    slots[slot] = draw(st.sampled_from([f"{val}", f"{val}::integer", f"({val})::integer",
                                                        f"CAST({val} AS int4)"]))
                elif kind == "num_total":
                    slots[slot] = draw(st.sampled_from([f"{val}", f"{val}::numeric", f"({val})::numeric"]))
                else:
                    slots[slot] = draw(st.sampled_from([f"'{val}'", f"'{val}'::text", f"('{val}'::text)"]))
            text = template.format(**cols, **slots)
            parts.append(draw(st.sampled_from([text, f"({text})"])))
        out = parts[0]
        for op, part in zip(ops, parts[1:]):
            out = f"({out}){op}{part}" if op == " OR " else f"{out}{op}{part}"
        return out

    return spell(), spell()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(cases=st.lists(expressions(), min_size=1, max_size=4))
def test_two_spellings_converge_and_import_round_trips(pg, tmp_path_factory, cases):
    db = pg.create_database()
    try:
        tmp = tmp_path_factory.mktemp("prop")
        cols = ", ".join(f"{c} {t}" for c, t in COLUMNS.items())
        ddl, files = [], {"schemadiff.yaml": "version: 1\n"}
        for i, (a, b) in enumerate(cases):
            ddl.append(f"CREATE TABLE t{i} ({cols}, CONSTRAINT t{i}_c CHECK ({a.replace('t.', f't{i}.')}))")
            ddl.append(f"CREATE INDEX t{i}_ix ON t{i} (n) WHERE {a.replace('t.', f't{i}.')}")
            ddl.append(f"ALTER TABLE t{i} ENABLE ROW LEVEL SECURITY; "
                       f"CREATE POLICY p ON t{i} USING ({a.replace('t.', f't{i}.')})")
            spec_b = b.replace("t.", f"t{i}.").replace('"', '\\"')
            files[f"tables/t{i}.yaml"] = (
                f"table: t{i}\ncolumns:\n" + "".join(f"  {c}: {t}\n" for c, t in COLUMNS.items())
                + f"checks:\n  - {{name: t{i}_c, expression: \"{spec_b}\"}}\n"
                + f"indexes:\n  t{i}_ix: {{columns: [n], where: \"{spec_b}\"}}\n"
                + f"rls:\n  policies:\n    p: {{using: \"{spec_b}\"}}\n")
        result = pg.run_psql(db, sql="; ".join(ddl) + ";")
        assert result.returncode == 0, result.stderr
        spec = write_spec(tmp / "spec", files)
        plan = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
        assert plan.code == 0, (cases, plan.out + plan.err)
        imported = tmp / "imported"
        assert run_cli("import", "--db", pg.dsn(db), "--out", str(imported)).code == 0
        again = run_cli("plan", str(imported), "--db", pg.dsn(db), "--detailed-exitcode")
        assert again.code == 0, (cases, again.out + again.err)
    finally:
        pg.drop_database(db)
