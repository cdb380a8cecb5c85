from .. import storage as st
from ..changes import SetStorageParameter
from .base import Rule, Verdict, register


@register
class ExclusiveStorageParameterRule(Rule):
    """A storage parameter that PostgreSQL changes only under ACCESS EXCLUSIVE (gin's
    fastupdate and gin_pending_list_limit, brin's autosummarize, a table's
    user_catalog_table), or that only a rebuild applies (brin's pages_per_range, gist's
    buffering), is refused on an existing table or index: the lock queues every
    read behind it, and a structural value would make the catalog say what the index
    is not.

    Bad: ``storage: {fastupdate: false}`` added to an existing gin index.
    Good: decide it when the index is created (a new index with it is additive).
    """

    code, name, category, changes = "SD603", "exclusive-storage-parameter", "rewrite", (SetStorageParameter,)
    safe_path = (
        "decide the parameter when the table or index is created",
        "on an existing index: create a new index with the value under a new name (CREATE INDEX CONCURRENTLY "
        "is additive), then drop the old one in a reviewed migration",
        "or run ALTER … SET (…) in a reviewed migration at a quiet time, with a short lock_timeout",
    )

    def check(self, change, ctx):
        p = st.param(change.kind, change.key)
        if change.after is None or (p is not None and p.online):
            return None
        if p is None:
            return self.finding(change, Verdict.REFUSE, f"{change.key} is not a storage parameter of a "
                                                        f"{change.kind} relation")
        if p.rebuild:
            return self.finding(change, Verdict.REFUSE, f"{change.key} is part of the index's structure: only a "
                                                        "rebuild applies it, and ALTER INDEX takes ACCESS EXCLUSIVE")
        return self.finding(change, Verdict.REFUSE, f"changing {change.key} takes ACCESS EXCLUSIVE on the "
                                                    f"{'table' if change.index is None else 'index'}")
