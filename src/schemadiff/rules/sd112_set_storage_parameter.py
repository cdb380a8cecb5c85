from .. import storage as st
from ..changes import SetStorageParameter
from .base import Rule, Verdict, register


@register
class SetStorageParameterRule(Rule):
    """Setting or changing a storage parameter that PostgreSQL changes under SHARE
    UPDATE EXCLUSIVE (a table's fillfactor, autovacuum and vacuum settings,
    toast_tuple_target, parallel_workers; a btree, hash, gist or spgist index's
    fillfactor, btree's deduplicate_items) is allowed: ``ALTER TABLE|INDEX … SET (…)``
    changes the catalog only, reads and writes go on, and the value applies to later
    writes, vacuums and plans (existing pages are not repacked).

    Bad: tuning autovacuum by hand on the server, where the spec does not say it.
    Good: ``storage: {autovacuum_vacuum_scale_factor: 0.02}`` -> ``ALTER TABLE … SET (…)``.
    """

    code, name, category, changes = "SD112", "set-storage-parameter", "additive", (SetStorageParameter,)

    def check(self, change, ctx):
        p = st.param(change.kind, change.key)
        if change.after is None or p is None or not p.online:
            return None  # removed: SD307; under ACCESS EXCLUSIVE: SD603
        return self.finding(change, Verdict.ADD, "catalog only, SHARE UPDATE EXCLUSIVE: reads and writes go on; "
                                                 "applies to later writes")
