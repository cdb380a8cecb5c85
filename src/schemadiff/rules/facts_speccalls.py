"""Whether a change would run the spec's own code over existing rows (SD607);
the additive rules (SD106, SD107, SD109) step aside for it."""

from __future__ import annotations

from ..changes import AddCheck, AddColumn, AddIndex
from ..speccalls import called_in_text


def spec_code_run(change, ctx) -> str | None:
    """What in ``change`` (on an existing table) calls a spec function, and which
    function(s); None when nothing does."""
    if not isinstance(change, (AddColumn, AddCheck, AddIndex)) or change.table in ctx.new_tables:
        return None
    functions = list(ctx.desired.functions) + list(ctx.current.functions)
    if not functions:
        return None
    if isinstance(change, AddColumn):
        texts = [("the default of column " + change.column.name, change.column.default),
                 ("the generated column " + change.column.name, change.column.generated)]
    elif isinstance(change, AddCheck):
        texts = [(f"check {change.check.name}", change.check.expression)]
    else:
        ix = change.index
        texts = [(f"the predicate of index {ix.name}", ix.where)]
        texts += [(f"expression {n + 1} of index {ix.name}", e.expression) for n, e in enumerate(ix.elements)]
    for what, text in texts:
        calls = called_in_text(text, functions)
        if calls:
            return f"{what} calls the spec's function {', '.join(f'{s}.{n}()' for s, n in calls)}"
    return None
