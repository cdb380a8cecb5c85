"""``standins.folds_outside`` answers a statement that holds no index and no generated
column from libpg_query's JSON, without pglast's nodes; every answer is the full
walk's (``_folds_outside_walk``), and a statement that does fold is still caught."""

from __future__ import annotations

from hypothesis import given, settings

from schemadiff.introspect import standins

from .test_convergence_property import expressions

STATEMENTS = [
    # the import's and converge's probe statements, on the temporary copy
    "CREATE TEMP TABLE pg_temp.t (id uuid, quantity integer, s text)",
    "ALTER TABLE pg_temp.t ADD CONSTRAINT probe_1 CHECK (quantity >= 0 AND public.f(quantity) > 0) NOT VALID",
    "ALTER TABLE pg_temp.t ALTER COLUMN s SET DEFAULT public.f(1)",
    "CREATE POLICY probe_2 ON pg_temp.t USING (public.f(quantity) > 0)",
    # folding statements: a foreign call is caught, pg_catalog's and a stand-in's are not
    "CREATE INDEX probe_ix_3 ON pg_temp.t (id) WHERE public.f(quantity) > 0",
    "CREATE INDEX probe_ex_4 ON pg_temp.t ((public.f(quantity)))",
    "CREATE INDEX probe_ex_5 ON pg_temp.t ((pg_catalog.lower(s)))",
    "CREATE INDEX probe_ex_6 ON pg_temp.t ((pg_temp.schemadiff_standin_0(quantity)))",
    "CREATE INDEX probe_ex_7 ON pg_temp.t ((quantity OPERATOR(public.+++) 1))",
    "ALTER TABLE pg_temp.t ADD COLUMN schemadiff_probe_g_8 integer GENERATED ALWAYS AS (public.f(quantity)) STORED",
    "ALTER TABLE pg_temp.t ADD COLUMN g integer GENERATED ALWAYS AS (public.f(quantity)) VIRTUAL",
    "CREATE TABLE pg_temp.u (a int, g int GENERATED ALWAYS AS (evil.f(a)) STORED)",
    # string constants that spell the markers: quoted in the JSON, never a node's key
    "ALTER TABLE pg_temp.t ADD CONSTRAINT probe_9 CHECK (s <> '\"IndexStmt\":' AND public.f(1) > 0) NOT VALID",
    "ALTER TABLE pg_temp.t ADD CONSTRAINT probe_10 CHECK (s <> '\"contype\":\"CONSTR_GENERATED\"') NOT VALID",
    'ALTER TABLE pg_temp.t ADD CONSTRAINT "IndexStmt" CHECK (public.f(1) > 0) NOT VALID',
    # unreadable: True, as before
    "CREATE INDEX ON",
    "ALTER TABLE pg_temp.t ADD CONSTRAINT probe_11 CHECK (",
    "",
]


def test_each_statement_is_answered_as_the_full_walk_answers_it():
    for statement in STATEMENTS:
        assert standins.folds_outside(statement) == standins._folds_outside_walk(statement), statement
    assert standins.folds_outside("CREATE INDEX probe_ix_3 ON pg_temp.t (id) WHERE public.f(quantity) > 0")
    assert standins.folds_outside(
        "ALTER TABLE pg_temp.t ADD COLUMN g integer GENERATED ALWAYS AS (public.f(quantity)) STORED")
    assert not standins.folds_outside("CREATE POLICY probe_2 ON pg_temp.t USING (public.f(quantity) > 0)")
    assert standins.folds_outside("CREATE INDEX ON")


@settings(max_examples=200, deadline=None)
@given(pair=expressions())
def test_random_expressions_in_every_probe_shape(pair):
    for text in pair:
        for statement in (f"ALTER TABLE pg_temp.t ADD CONSTRAINT probe_1 CHECK ({text}) NOT VALID",
                          f"CREATE POLICY probe_2 ON pg_temp.t USING ({text})",
                          f"CREATE INDEX probe_ex_3 ON pg_temp.t (({text}))",
                          f"CREATE INDEX probe_ix_4 ON pg_temp.t (id) WHERE {text}",
                          f"ALTER TABLE pg_temp.t ADD COLUMN g integer GENERATED ALWAYS AS ({text}) STORED"):
            assert standins.folds_outside(statement) == standins._folds_outside_walk(statement), statement
