from ..changes import ValidateConstraint
from .base import Rule, Verdict, register


@register
class ValidateConstraintRule(Rule):
    """A constraint the database holds ``NOT VALID`` is validated with
    ``VALIDATE CONSTRAINT`` in its own transaction (SHARE UPDATE EXCLUSIVE: reads
    and writes go on). It fails, changing nothing, if a row breaks it.

    Bad: (nothing refused)
    Good: finishing the second half of a ``NOT VALID`` + ``VALIDATE`` recipe.
    """

    code, name, category, changes = "SD110", "validate-constraint", "additive", (ValidateConstraint,)

    def check(self, change, ctx):
        return self.finding(change, Verdict.ADD, "validation blocks no reads or writes")
