from ..changes import SetStorageParameter
from .base import Rule, Verdict, register


@register
class ResetStorageParameterRule(Rule):
    """A storage parameter the spec no longer sets is never RESET: against a database
    it is drift (kept as it is); between two specs, removing it is refused, because
    the database would keep the value the spec no longer shows.

    Bad: deleting ``storage: {fillfactor: 70}`` from a spec to go back to the default.
    Good: keep it, or RESET it in a reviewed migration and then remove it from the spec.
    """

    code, name, category, changes = "SD307", "reset-storage-parameter", "destructive", (SetStorageParameter,)
    safe_path = (
        "keep the parameter in the spec: schemadiff never RESETs one",
        "to go back to PostgreSQL's default, run ALTER TABLE|INDEX … RESET (name) in a reviewed migration, "
        "then remove it from the spec",
    )

    def check(self, change, ctx):
        if change.after is not None:
            return None
        if ctx.from_database:
            return self.finding(change, Verdict.DRIFT, f"{change.key} is set in the database, not in the spec; kept")
        return self.finding(change, Verdict.REFUSE, f"removing {change.key} from the spec would not reset it: "
                                                    "the database keeps it")
