from ..changes import DropColumn
from .base import Rule, Verdict, register


@register
class RequiredColumnNotInSpec(Rule):
    """A column the database holds NOT NULL without a default (not identity, not
    generated; a NULL default such as ``NULL::character varying`` is none), in a
    table the spec manages, that the spec does not list: every
    writer that follows the spec leaves it out, and every such INSERT fails. Drift
    that breaks writers is not drift.

    Bad: a spec without ``legacy_code`` while the table has ``legacy_code text NOT NULL``.
    Good: keep the column in the spec until the database no longer requires it: give it a
    default or drop its NOT NULL first (a reviewed migration), deploy, then remove it from the spec.
    """

    code, name, category, changes = "SD410", "required-column-not-in-spec", "breaking", (DropColumn,)
    safe_path = (
        "keep the column in the spec for now",
        "in a reviewed migration, give it a default or DROP NOT NULL; deploy",
        "then remove it from the spec (it becomes drift, kept)",
    )

    def check(self, change, ctx):
        col = change.column
        if not ctx.from_database or col.nullable or not _null_default(col.default) or col.identity is not None \
                or col.generated is not None:
            return None
        return self.finding(change, Verdict.REFUSE,
                            f"column {col.name} is NOT NULL "
                            f"{'without a default' if col.default is None else 'with the default ' + col.default} "
                            "in the database but not in the spec: "
                            "every insert that follows the spec fails; keep it in the spec, give it a default or "
                            "drop its NOT NULL first (a reviewed migration), deploy, then remove it from the spec")


def _null_default(default: str | None) -> bool:
    """No default, or one that is NULL (``NULL::character varying``, which PostgreSQL
    stores as written): either way an insert that leaves the column out writes NULL."""
    if default is None:
        return True
    from ..expressions import ExpressionError, is_null_constant, parse_expression
    try:
        return is_null_constant(parse_expression(default))
    except ExpressionError:
        return False
