"""Import's verification batch shares a temporary copy between tables of one schema and
one column list (``introspect.probepool``) only where the answer cannot depend on the
copy: on a real server, every request is answered as it is on its own table's copy."""

from __future__ import annotations

import psycopg
import pytest

from schemadiff.introspect import introspect, probepool, sandbox, standins
from schemadiff.introspect.converge import _batch

COLUMNS = "id integer, s text, n numeric, v varchar(10)"
SETUP = (
    "CREATE TABLE public.canary (id integer PRIMARY KEY, note text); "
    "INSERT INTO public.canary SELECT g, 'row ' || g FROM generate_series(1, 5) g; "
    + " ".join(f"CREATE TABLE p{i} ({COLUMNS});" for i in range(1, 8))
    + ' CREATE TABLE "P8" (' + COLUMNS + "); CREATE TABLE other (id integer, s text);"
)

ALL = ("check", "policy", "predicate", "element")
ROW = ("check", "policy")  # a stable call or a system column: no index
# Read back the same on any copy: shared. (text, the kinds it is asked as)
SHARED = [
    ("n >= 0 AND n <= 1000", ALL),
    ("s <> 'x'", ALL),
    ("v IN ('a', 'b')", ALL),
    ("lower(s) <> E'\\\\; DELETE FROM public.canary; --'", ALL),
    ("current_setting('app.tenant_id', true)::integer = id", ROW),
]
# Each may name a relation or the row: never shared, answered on its own copy.
# ``{t}``: the request's own table.
OWN = [
    ("{t}.n > 0", ALL),  # a qualified column
    ("{t} IS NOT NULL", ROW),  # a whole-row reference
    ("tableoid::regclass::text <> 'x'", ROW),  # a system column: not one of the copy's columns
    ("tableoid = 'p3'::regclass", ROW),  # a table's name in a constant
    ("tableoid = '\"P8\"'::regclass", ROW),
    ("tableoid = 'pg_temp.p5'::regclass", ROW),
    ("(NULL::p4) IS NULL", ROW),  # another table's row type: its copy may be missing when pooled
    ("(NULL::_p6) IS NULL", ROW),  # an array type of a copy
    ("pg_relation_size('p7') > 0", ROW),  # a constant read as a regclass
    ("pg_relation_size('P1') > 0", ROW),
    ("id IN (SELECT id FROM public.canary)", ("policy",)),  # a subquery
    ("EXISTS (SELECT 1 FROM public.other o WHERE o.id = id)", ("policy",)),
]
OWN_TEXTS = set()


def _tables(pg, db):
    assert pg.run_psql(db, sql=SETUP).returncode == 0
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        schema = introspect(conn, ["public"]).schema
    return [t for t in schema.tables if t.name not in ("canary", "other")], schema


def _requests(tables):
    from schemadiff.identifiers import quote_ident

    out = []
    for t in tables:
        for text, kinds in SHARED + OWN:
            text = text.replace("{t}", quote_ident(t.name))
            if (text, kinds) not in SHARED:
                OWN_TEXTS.add(text)
            for kind in kinds:
                out.append((kind, t, None, text))
        out.append(("default", t, "s", "'x'"))
    return out


def _answer(conn, requests, pool: bool):
    conn.autocommit = False
    try:
        sandbox.pin(conn)
        standin = standins.Session(conn, ())
        if not pool:
            return _batch(conn, requests, standin)
        shared, back = probepool.pooled(requests)
        return probepool.answers_for(_batch(conn, shared, standin), back)
    finally:
        conn.rollback()
        conn.autocommit = True


def test_the_pool_shares_only_name_free_plain_expressions(pg, db):
    tables, _ = _tables(pg, db)
    requests = _requests(tables)
    shared, back = probepool.pooled(requests)
    by_own = {own: key for key, owns in back.items() for own in owns}
    on_copy: dict = {}
    for kind, t, column, text in requests:
        key = by_own[(kind, t.qualified, column, text)]
        if kind == "default" or text in OWN_TEXTS:
            assert key[1] == t.qualified, (kind, t.name, text)
        else:
            on_copy[key[1]] = on_copy.get(key[1], 0) + 1
    assert sum(on_copy.values()) == len(tables) * sum(len(kinds) for _, kinds in SHARED)
    assert len(on_copy) == -(-sum(on_copy.values()) // probepool.POOL) < len(tables)
    assert len(shared) < len(requests)  # one text of one kind on one copy is asked once


def test_a_pool_holds_at_most_pool_requests_per_copy():
    from schemadiff.model import Column, Table

    cols = (Column(name="n", type="integer"),)
    tables = [Table(schema="public", name=f"x{i}", columns=cols) for i in range(100)]
    requests = [("check", t, None, f"n > {i}") for i, t in enumerate(tables)]
    shared, _ = probepool.pooled(requests)
    per_copy: dict = {}
    for _, t, _, _ in shared:
        per_copy[t.name] = per_copy.get(t.name, 0) + 1
    assert max(per_copy.values()) == probepool.POOL and len(per_copy) == 4


@pytest.mark.parametrize("scs", ["on", "off"])
def test_pooled_answers_are_each_tables_own(pg, db, scs):
    tables, _ = _tables(pg, db)
    assert pg.run_psql(db, sql=f"ALTER DATABASE {db} SET standard_conforming_strings = {scs};").returncode == 0
    requests = _requests(tables)
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        alone = _answer(conn, requests, pool=False)
        pooled = _answer(conn, requests, pool=True)
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 5
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relpersistence = 't'").fetchone()[0] == 0
    assert alone, "the batch failed: nothing compared"
    assert pooled == alone
    assert any(v is not None and "p3" in v for v in alone.values())  # the name-bearing ones were answered


def test_without_the_name_guard_the_shared_batch_is_not_the_same(pg, db, monkeypatch):
    """Sharing requests that name other tables' copies leaves those copies out of
    ``pg_temp``: the batch is then not answered as it is alone (here it fails)."""
    tables, _ = _tables(pg, db)
    requests = [(kind, t, None, text) for t in tables for kind in ROW
                for text in ("pg_relation_size('p3') > n", "n > 0 OR (NULL::_p6) IS NULL")]
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        alone = _answer(conn, requests, pool=False)
        guarded = _answer(conn, requests, pool=True)
        monkeypatch.setattr(probepool._Names, "hit", lambda self, string: False)
        unguarded = _answer(conn, requests, pool=True)
    assert alone and guarded == alone
    assert unguarded != alone


def test_chunks_hold_at_most_size_copies_and_keep_each_copy_whole():
    from schemadiff.model import Column, Table

    cols = (Column(name="n", type="integer"),)
    tables = [Table(schema="public", name=f"x{i}", columns=cols) for i in range(10)]
    requests = [("check", t, None, f"n > {j}") for j in range(2) for t in tables]  # a copy's requests apart
    parts = probepool.chunks(requests, 3)
    assert [len({r[1].name for r in part}) for part in parts] == [3, 3, 3, 1]
    assert sorted(map(repr, (r for part in parts for r in part))) == sorted(map(repr, requests))
    for part in parts:  # a copy's requests are all in one part
        names = {r[1].name for r in part}
        assert sum(1 for r in requests if r[1].name in names) == len(part)


def test_a_failed_batch_is_asked_again_in_parts(pg, db, monkeypatch):
    """A whole batch that fails (here: one statement the server rejects, standing for
    "out of shared memory") is asked again in parts of ``CHUNK`` copies; every part that
    succeeds answers as the whole batch would have, and the failing part's requests go
    one by one, as before. The import's output is the same as with no parts at all."""
    from schemadiff.introspect import humane

    tables, schema = _tables(pg, db)
    asks = []
    for t in tables:
        for text, kinds in SHARED + OWN:
            text = text.replace("{t}", t.name if t.name.islower() else f'"{t.name}"')
            for kind in kinds:
                asks.append(((kind, t, None, text), "never the same", (kind, t.qualified, text)))
    bad = tables[3]
    asks.append((("predicate", bad, None, "random() > 0.5"), "x", ("bad",)))  # not immutable: the batch fails
    calls = []
    real = humane._batch

    def counting(conn, requests, standin=None):
        calls.append(probepool.copies(requests))
        return real(conn, requests, standin)

    monkeypatch.setattr(humane, "_batch", counting)
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        monkeypatch.setattr(probepool, "CHUNK", 3)
        humane._verify(conn, asks)
        parted = list(calls)
        calls.clear()
        monkeypatch.setattr(probepool, "CHUNK", 10_000)
        humane._verify(conn, asks)
        whole = list(calls)
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 5
    assert whole == [len(tables)] and parted[0] == len(tables) and max(parted[1:]) <= 3 and len(parted) > 2
    # The answers: every part's, equal to the one-by-one answers the whole failure gave.
    monkeypatch.setattr(humane, "_batch", real)
    originals = {}
    with psycopg.connect(pg.dsn(db), autocommit=True) as conn:
        for CHUNK in (3, 10_000):
            monkeypatch.setattr(probepool, "CHUNK", CHUNK)
            got = {}
            monkeypatch.setattr(humane, "_Answers", _Recording(humane._Answers, got))
            humane._verify(conn, asks)
            originals[CHUNK] = got
    assert originals[3] == originals[10_000] and originals[3]


class _Recording:
    """``_Answers`` that records each answer it gives, by request."""

    def __init__(self, real, into: dict):
        self.real, self.into = real, into

    def __call__(self, answers, probe):
        inner = self.real(answers, probe)
        into = self.into

        class Wrapped:
            def __getattr__(self, kind):
                method = getattr(inner, kind)

                def ask(t, *rest):
                    out = method(t, *rest)
                    into[(kind, t.qualified, rest[-1])] = out
                    return out
                return ask
        return Wrapped()
