"""Import's verification batch on fewer temporary copies.

``converge._batch`` answers each request on a temporary copy of its table (its columns'
names and types, named after it), one copy per table: an import of 1,000 tables made
1,000 copies, most of the server's time in the batch. A request whose answer cannot
depend on which copy it runs on may run on the copy of another table of the same schema
and columns; up to ``POOL`` requests share one copy (each constraint or policy added to
a table costs more when the table holds many: a bounded pool stays linear).

The answer cannot depend on the copy when, in the expression's parse tree,

* the kind is one whose answer is read back by a name of its own (``probe_N``): a
  CHECK, a policy's USING, an index's predicate or expression (a default or a generated
  column is read back by its column's name, so it never shares a copy);
* there is no subquery (no ``SubLink``): the server's text then names no relation; a
  column is printed without its table's name (``pg_get_expr`` with one relation);
* every column reference is one bare name of a column of the table (no ``t.col``, no
  ``*``): it is resolved to that column, which both copies have, with the same type;
* no string in the tree (a name, a type's name, a constant that may be read as a
  ``regclass`` or ``regtype``: ``'t'::regclass``, ``pg_relation_size('t')``) holds, in
  any letter case, the first ``_PREFIX`` characters of the name of any table of the
  batch, nor ``schemadiff_`` (a copy's numbered name). Pooling changes which copies
  exist in ``pg_temp`` (a table whose requests all went to another's copy has none),
  and only a name can reach them: their relations, row types and array types
  (``_t``, perhaps cut at 63 bytes) all hold that prefix of their table's name.

Anything else runs on its own table's copy, as before. The answers are the batch's,
keyed again by each request's own table, so ``_Answers`` finds them where it did.
"""

from __future__ import annotations

from ..expressions import ExpressionError, parse_expression
from ..model import Table

POOLED_KINDS = frozenset({"check", "policy", "predicate", "element"})
POOL = 32  # requests per shared copy
CHUNK = 400  # copies per savepoint when a whole batch failed (``chunks``)


# Keys whose values are enum labels of libpg_query's JSON, never a name (``AEXPR_OP``).
_LABELS = frozenset({"kind", "boolop", "op", "nulltesttype", "booltesttype", "funcformat", "subLinkType",
                     "xmloption", "limitOption", "defaction", "contype", "subtype"})
_PREFIX = 15  # characters: at most 60 bytes, inside an array type's name cut at 63


def _strings(value, out: list[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in _LABELS or not isinstance(v, str):
                _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)
    elif isinstance(value, str):
        out.append(value)


class _Names:
    """Does a string hold a forbidden name (lowered prefixes)? Memoized per string."""

    def __init__(self, names):
        self.forbidden = {n.lower()[:_PREFIX] for n in names} | {"schemadiff_"}
        self.lengths = sorted({len(f) for f in self.forbidden})
        self.seen: dict[str, bool] = {}

    def hit(self, string: str) -> bool:
        found = self.seen.get(string)
        if found is None:
            s = string.lower()
            found = self.seen[string] = any(s[i:i + n] in self.forbidden
                                            for n in self.lengths for i in range(len(s) - n + 1))
        return found


def _plain(value, columns: frozenset[str]) -> bool:
    """No subquery, and each column reference one bare name of ``columns``."""
    if isinstance(value, dict):
        for key, v in value.items():
            if key == "SubLink":
                return False
            if key == "ColumnRef":
                fields = v.get("fields") or []
                if len(fields) != 1 or "String" not in fields[0] or fields[0]["String"].get("sval") not in columns:
                    return False
                continue
            if not _plain(v, columns):
                return False
        return True
    if isinstance(value, list):
        return all(_plain(v, columns) for v in value)
    return True


def _shareable(text: str, columns: frozenset[str], names: _Names) -> bool:
    try:
        tree = parse_expression(text).tree
    except ExpressionError:
        return False
    if not _plain(tree, columns):
        return False
    found: list[str] = []
    _strings(tree, found)
    return not any(names.hit(s) for s in found)


def pooled(requests: list[tuple]) -> tuple[list[tuple], dict[tuple, tuple]]:
    """``requests`` ((kind, table, column, text), as ``_batch`` takes them) with each
    that may share a copy moved to a representative table of its schema and columns,
    and {the batch's key for it: the keys of the requests it answers}."""
    names = _Names({table.name for _, table, _, _ in requests})
    out: list[tuple] = []
    back: dict[tuple, list[tuple]] = {}
    open_pool: dict[tuple, tuple[Table, int]] = {}  # (schema, columns) -> (representative, requests on it)
    for kind, table, column, text in requests:
        own = (kind, table.qualified, column, text)
        target = table
        if kind in POOLED_KINDS:
            columns = tuple((c.name, c.type) for c in table.columns)
            if _shareable(text, frozenset(name for name, _ in columns), names):
                group = (table.schema, columns)
                rep, used = open_pool.get(group, (None, 0))
                if rep is None or used >= POOL:
                    rep, used = table, 0
                open_pool[group] = (rep, used + 1)
                target = rep
        key = (kind, target.qualified, column, text)
        if key not in back:
            back[key] = []
            out.append((kind, target, column, text))
        back[key].append(own)
    return out, {k: tuple(v) for k, v in back.items()}


def answers_for(batch: dict[tuple, str | None], back: dict[tuple, tuple]) -> dict[tuple, str | None]:
    """The batch's answers keyed by the requests' own tables (none when the batch failed)."""
    out: dict[tuple, str | None] = {}
    for key, answer in batch.items():
        for own in back.get(key, ()):
            out[own] = answer
    return out


def copies(requests: list[tuple]) -> int:
    """How many temporary copies ``_batch`` makes for ``requests``."""
    return len({table.qualified for _, table, _, _ in requests})


def chunks(requests: list[tuple], size: int | None = None) -> list[list[tuple]]:
    """``requests`` cut into parts of at most ``size`` copies each (all of a copy's
    requests in one part, in their order). A batch makes every copy in one savepoint,
    and the server holds a lock for each until the savepoint is rolled back: a batch of
    thousands of copies runs out of lock slots ("out of shared memory") and fails whole.
    Parts, each in its own rolled-back savepoint, never hold more than ``size``."""
    size = size or CHUNK
    parts: list[list[tuple]] = []
    where: dict = {}
    for request in requests:
        key = request[1].qualified
        if key not in where:
            if not parts or len({r[1].qualified for r in parts[-1]}) >= size:
                parts.append([])
            where[key] = len(parts) - 1
        parts[where[key]].append(request)
    return parts
