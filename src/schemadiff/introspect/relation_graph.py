"""``queries/relation_graph.sql`` -> {relation: RelationFacts}, for plan's rules."""

from __future__ import annotations

from importlib import resources

from psycopg.rows import dict_row

from ..model import QualifiedName
from ..relgraph import RelationFacts

_KINDS = {"v": "view", "m": "materialized view", "r": "table", "p": "table"}
_TRUE = ("true", "on", "1", "yes")


def relation_graph(conn) -> dict[QualifiedName, RelationFacts]:
    sql = resources.files("schemadiff.introspect").joinpath("queries/relation_graph.sql").read_text()
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql).fetchall()
    out = {}
    for r in rows:
        options = dict(item.partition("=")[::2] for item in r["options"] or ())
        out[QualifiedName(r["schema"], r["name"])] = RelationFacts(
            kind=_KINDS[r["relkind"]], rls=bool(r["rls"]),
            invoker=options.get("security_invoker", "false").lower() in _TRUE,
            reads=frozenset(QualifiedName(s, n) for s, n in r["reads"] or ()))
    return out
