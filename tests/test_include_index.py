"""An index with INCLUDE columns applies, on a new table and on an existing one:
the parser gives an INCLUDE column the default sort order and nulls order (which
the final guard refused as clauses schemadiff never writes, so every such plan
stopped at apply). An INCLUDE column with an order is still refused."""

from __future__ import annotations

import psycopg

from schemadiff.apply import LiveCatalog
from schemadiff.compile.changes import CONCURRENT
from schemadiff.guard import check_statements

from .conftest import run_cli, write_spec

ROOT = "version: 1\n"
TABLE = "table: line_item\ncolumns:\n  id: {type: bigint, primary_key: true}\n  qty: integer\n  note: text\n"
COVER = "indexes:\n  line_item_cover: {columns: [id], include: [qty, note]}\n"


def _includes(dsn: str) -> list[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                            "WHERE indnkeyatts < indnatts ORDER BY 1").fetchall()


def test_a_new_table_with_an_include_index_applies(pg, db, tmp_path):
    spec = write_spec(tmp_path / "spec", {"schemadiff.yaml": ROOT, "tables/line_item.yaml": TABLE + COVER})
    applied = run_cli("apply", str(spec), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    assert _includes(pg.dsn(db)) == [
        ("line_item_cover", "CREATE INDEX line_item_cover ON public.line_item USING btree (id) INCLUDE (qty, note)")]
    again = run_cli("plan", str(spec), "--db", pg.dsn(db), "--detailed-exitcode")
    assert again.code == 0, again


def test_an_include_index_on_an_existing_table_applies(pg, db, tmp_path):
    before = write_spec(tmp_path / "before", {"schemadiff.yaml": ROOT, "tables/line_item.yaml": TABLE})
    assert run_cli("apply", str(before), "--db", pg.dsn(db), "--yes").code == 0
    after = write_spec(tmp_path / "after", {"schemadiff.yaml": ROOT, "tables/line_item.yaml": TABLE + COVER})
    applied = run_cli("apply", str(after), "--db", pg.dsn(db), "--yes")
    assert applied.code == 0, applied
    assert [name for name, _ in _includes(pg.dsn(db))] == ["line_item_cover"]


def test_an_include_column_with_an_order_is_refused(pg, db):
    with psycopg.connect(pg.dsn(db)) as conn:
        conn.execute("CREATE TABLE line_item (id bigint, qty integer)")
        catalog = LiveCatalog(conn)
        plain = "CREATE INDEX CONCURRENTLY line_item_cover ON public.line_item (id) INCLUDE (qty)"
        assert check_statements([plain], catalog, phase=CONCURRENT) == []
        for order in ("DESC", "ASC", "NULLS FIRST"):
            problems = check_statements([plain.replace("(qty)", f"(qty {order})")], catalog, phase=CONCURRENT)
            assert [p.reason for p in problems] == ["an INCLUDE column with an order"], (order, problems)
