import json

from pglast.parser import ParseError, parse_sql_json

from ..changes import AddView
from ..model import QualifiedName
from .base import Rule, Verdict, register


def _reads(query: str) -> set[QualifiedName]:
    """The schema-qualified relations a view's query names (the loader demands the schema)."""
    try:
        todo = [json.loads(parse_sql_json(query))]
    except ParseError:
        return set()
    out = set()
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            rv = node.get("RangeVar")
            if isinstance(rv, dict) and rv.get("schemaname") and rv.get("relname"):
                out.add(QualifiedName(rv["schemaname"], rv["relname"]))
            todo.extend(v for v in node.values() if isinstance(v, (dict, list)))
    return out


def rls_tables_read(view, ctx) -> list[str]:
    """The tables with row level security (in the spec or the database) a view
    without security_invoker reads with its owner's rights, each as its path
    (``public.v2 -> public.v1 -> public.care``); [] for an invoker's view.

    It follows the views it names (a view of the spec first, else of the database)
    that are not security_invoker themselves: such a view reads with its owner's
    rights too. A security_invoker view reads as the current user even inside
    another view (observed on PostgreSQL 15 and 18), so the walk stops there."""
    if view.security_invoker and not view.materialized:
        return []
    graph = getattr(ctx, "relations", None) or {}  # database mode: what pg_depend records
    guarded = {t.qualified for schema in (ctx.desired, ctx.current) for t in schema.tables if t.rls_enabled}
    guarded |= {q for q, facts in graph.items() if facts.rls}
    # each view: (what it reads, security_invoker, materialized); the spec's first, then the
    # database's as schemadiff reads it, then as pg_depend records it (views it does not read)
    nodes = {q: (frozenset(f.reads), f.invoker, f.kind == "materialized view") for q, f in graph.items()
             if f.kind != "table"}
    for v in (*ctx.current.views, *ctx.desired.views):
        nodes[v.qualified] = (None, v.security_invoker, v.materialized, v)
    hits: set[str] = set()
    todo = [(view, (view.qualified,))]
    # each view is walked once, by the first path that reaches it: views that share views
    # (a diamond of n levels has 2**n paths) must not make the walk count paths
    walked = {view.qualified}
    while todo:
        here, path = todo.pop()
        for read in sorted(here if isinstance(here, frozenset) else _reads(here.query)):
            if read in path:  # a cycle: the server refuses it, the spec may not
                continue
            if read in guarded:
                hits.add(" -> ".join(f"{q.schema}.{q.name}" for q in (*path, read)) if len(path) > 1
                         else f"{read.schema}.{read.name}")
            inner = nodes.get(read)
            if inner is None:
                continue
            reads, invoker, materialized = inner[:3]
            # REFRESH runs a materialized view's query as its owner, security_invoker views inside it included
            if not materialized and (view.materialized or not invoker) and read not in walked:
                walked.add(read)
                todo.append((inner[3] if reads is None else reads, (*path, read)))
    return sorted(hits)


@register
class ViewBypassesRls(Rule):
    """A view reads its tables with its owner's rights unless it is
    ``security_invoker`` (PostgreSQL 15 and later). A new view over a table with
    row level security, without it, checks the table's policies as the view's
    owner (usually the table's owner, whom they do not bind): every reader granted
    the view sees every row the policies hide from them.

    Judged for the tables a new view names itself (in FROM, a join or a subquery),
    with row level security enabled in the spec or in the database (in any schema),
    and for those it reads through other views (of the spec or the database) without
    ``security_invoker``, which read with their owner's rights too — a database view
    schemadiff does not read (out of scope, or in a schema the spec does not name) by
    what ``pg_depend`` records it reads; the message
    names the path (``public.v2 -> public.v1 -> public.care``). A view with
    ``security_invoker`` reads as the current user even inside another view, so
    the path stops there.

    Bad: ``query: SELECT c.id FROM public.care c`` over ``care`` with ``rls: {enabled: true}``, or
    ``query: SELECT v.id FROM public.v1 v`` where the view ``v1`` (no security_invoker) reads ``care``.
    Good: the same view with ``security_invoker: true``.
    """

    code, name, category, changes = "SD704", "view-bypasses-rls", "authorization", (AddView,)
    safe_path = (
        "add `security_invoker: true` to the view (PostgreSQL 15 and later): it then reads the table with each "
        "reader's rights, and the table's policies apply to every reader",
        "on PostgreSQL 14 or older there is no such view: let readers read the table itself, where its "
        "policies apply",
    )

    def check(self, change, ctx):
        if change.view.materialized:
            return None  # SD705
        hit = rls_tables_read(change.view, ctx)
        if not hit:
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"it reads {', '.join(hit)}, which row level security guards, with its owner's rights: "
                            "every reader of the view would see the rows the policies hide")
