"""Changes + findings -> an ordered plan of steps in phases.

Phases, in order:
1. ``enum-values``: ``ALTER TYPE … ADD VALUE``, committed before anything uses them;
2. ``transactional``: everything else that is quick, in one transaction (new
   schemas, extensions, enums and tables — empty, so their indexes and
   constraints are built the simple way — new columns, widenings, constraints
   on new columns added ``NOT VALID``, comments);
3. ``concurrent``: ``CREATE INDEX CONCURRENTLY`` on existing tables, one
   statement at a time, outside any transaction;
4. ``validate``: ``VALIDATE CONSTRAINT`` and ``ADD CONSTRAINT … USING INDEX``,
   one transaction each; last, the foreign keys that reference a key this plan
   gives an existing table (it exists only once the concurrent phase is done).
Every step keeps the change and the findings that produced it. A refused
change never becomes a step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import changes as c
from .diff import diff
from .fingerprint import digest, encode, fingerprint, fingerprint_and_state
from .model import QualifiedName, Schema
from .rules import Context, Finding, Verdict, evaluate, verdict_of
from .phases import CONCURRENT, ENUM_VALUES, PHASES, TRANSACTIONAL, VALIDATE
from .rules.catalog_facts import CatalogFacts
from .rules.names import names_taken

PLAN_FORMAT = "schemadiff.plan/v1"


@dataclass(frozen=True)
class Step:
    phase: str
    sql: str
    change: c.Change
    findings: tuple[Finding, ...]
    detail: str | None = None  # which part of the change this statement is, when it has several


@dataclass
class Plan:
    changes: list[c.Change]
    findings: dict[int, list[Finding]]  # index in changes -> findings
    steps: list[Step] = field(default_factory=list)
    # Database mode: the state the plan was made against. What a saved plan is checked
    # against before it runs is hashed from it when first asked for (a plan shown as
    # text never is): ``fingerprint``, ``state``, ``database_fingerprint`` below.
    against: Schema | None = field(default=None, repr=False, compare=False)
    _hashes: tuple[str, dict[str, str]] | None = field(default=None, init=False, repr=False, compare=False)

    def _state_hashes(self) -> tuple[str, dict[str, str]]:
        if self._hashes is None:
            self._hashes = fingerprint_and_state(self.against) if self.against is not None else ("", {})
        return self._hashes

    @property
    def database_fingerprint(self) -> str:
        """The database state alone (``fingerprint(against)``)."""
        return self._state_hashes()[0]

    @property
    def state(self) -> dict[str, str]:
        """Object -> hash, for "what moved"."""
        return self._state_hashes()[1]

    @property
    def fingerprint(self) -> str:
        """A hash of the database state and of the steps (``plan_fingerprint``); "" for a spec pair."""
        return "" if self.against is None else plan_fingerprint(self.database_fingerprint, self.steps)

    def verdict(self, i: int) -> Verdict:
        return verdict_of(self.findings[i])

    def by_verdict(self, verdict: Verdict) -> list[int]:
        return [i for i in range(len(self.changes)) if self.verdict(i) is verdict]

    @property
    def refused(self) -> list[int]:
        return self.by_verdict(Verdict.REFUSE)

    @property
    def pending(self) -> bool:
        return bool(self.steps)

    def summary(self) -> dict[str, int]:
        return {
            "add": len(self.by_verdict(Verdict.ADD)),
            "widen": len(self.by_verdict(Verdict.WIDEN)),
            "refused": len(self.refused),
            "drift": len(self.by_verdict(Verdict.DRIFT)),
            "unmanaged": len(self.by_verdict(Verdict.UNMANAGED)),
            "steps": len(self.steps),
        }


def _hash(data) -> str:
    return digest(encode(data))


def plan_fingerprint(database_fingerprint: str, steps: list[Step]) -> str:
    """The fingerprint of a plan: the database state and every step, in order."""
    return _hash({"database": database_fingerprint, "steps": [[s.phase, s.sql] for s in steps]})


def make_context(current: Schema, desired: Schema, changes: list[c.Change], mode: str, is_volatile,
                 taken: dict[tuple[str, str], str] | None = None, catalog: CatalogFacts | None = None,
                 relations: dict | None = None) -> Context:
    ctx = Context(mode=mode, current=current, desired=desired, is_volatile=is_volatile,
                  taken={**names_taken(current), **(taken or {})}, catalog=catalog or CatalogFacts(),
                  relations=relations or {})
    for ch in changes:
        if isinstance(ch, c.AddTable):
            ctx.new_tables.add(ch.table.qualified)
        elif isinstance(ch, c.AddColumn):
            ctx.new_columns.add((ch.table, ch.column.name))
    return ctx


# Changes to an existing table's columns that a new function or view of the same plan may read.
_READ_BY_NEW = (c.AddColumn, c.AlterColumnType)


def build_plan(current: Schema, desired: Schema, *, mode: str = "database", is_volatile=lambda e: False,
               steps_when_refused: bool = False, taken: dict[tuple[str, str], str] | None = None,
               catalog: CatalogFacts | None = None, relations: dict | None = None,
               changes: list | None = None) -> Plan:
    """Judge the changes and, unless one is refused, order the statements of the
    allowed ones. ``steps_when_refused`` orders them even then — for ``check``,
    whose policy may waive a refusal and which still inspects the statements; such
    a plan is never executable (``refused`` stays non-empty). ``taken``: the names
    the live catalog holds in the relation namespace of the plan's schemas
    (``Introspection.names``); those of ``current`` are always known. ``catalog``: what
    the live catalog says of the touched objects (``introspect.column_facts``). ``changes``:
    ``diff(current, desired)`` when the caller has it already (it is the same list)."""
    changes = diff(current, desired) if changes is None else changes
    ctx = make_context(current, desired, changes, mode, is_volatile, taken, catalog, relations)
    plan = Plan(changes=changes, findings={i: evaluate(ch, ctx) for i, ch in enumerate(changes)},
                against=current if mode == "database" else None)  # a spec pair has no state to check
    if plan.refused and not steps_when_refused:
        return plan  # nothing of a refused plan is executable
    allowed = [i for i in range(len(changes)) if plan.verdict(i) in (Verdict.ADD, Verdict.WIDEN)]
    if not allowed:
        return plan  # no step (the fingerprint is that of no step): the compiler, and sqlglot, stay unloaded
    from .compile import ddl, fnorder, sequences
    from .compile.changes import compile_change
    from .compile.schema import has_key, needs_index, table_extras, table_order

    by_phase: dict[str, list[Step]] = {p: [] for p in PHASES}

    def add(phase: str, sql: str, i: int, detail: str | None = None) -> None:
        by_phase[phase].append(Step(phase, sql, changes[i], tuple(plan.findings[i]), detail))

    # New objects first, in dependency order (the way `schemadiff sql` orders them).
    new_tables = {changes[i].table.qualified: i for i in allowed if isinstance(changes[i], c.AddTable)}
    for i in allowed:
        if isinstance(changes[i], (c.AddSchema, c.AddExtension)):
            for phase, sql in compile_change(changes[i]):
                add(phase, sql, i)
    for i in allowed:
        if isinstance(changes[i], (c.AddEnum, c.AddSequence)):  # sequences before the defaults that call them
            for phase, sql in compile_change(changes[i]):
                add(phase, sql, i)
    created: set[QualifiedName] = set()
    deferred = []
    after_indexes = []  # foreign keys that reference a new table's unique index, not its key
    tables = [changes[i].table for i in new_tables.values()]
    by_name = {t.qualified: t for t in tables}
    existing = {t.qualified: t for t in current.tables}
    # A key this plan gives an existing table (a new unique index, built CONCURRENTLY, or
    # a unique constraint attached after it) exists only once the concurrent phase is
    # done: the foreign keys that reference it come after, in the validate phase.
    late: list[tuple[str, str, int, str | None]] = []
    new_functions = {changes[i].function.signature: i for i in allowed if isinstance(changes[i], c.AddFunction)}
    placed = fnorder.place([changes[i].function for i in new_functions.values()], tables,
                           [changes[i].view for i in allowed if isinstance(changes[i], c.AddView)])

    def add_functions(where: str) -> None:  # compile.fnorder: before the tables and views that call them
        for fn in placed[where]:
            for phase, sql in compile_change(changes[new_functions[fn.signature]]):
                add(phase, sql, new_functions[fn.signature])

    add_functions(fnorder.BEFORE_TABLES)
    for t in table_order(tuple(tables)):
        i = new_tables[t.qualified]
        inline = []
        for fk in t.foreign_keys:
            if fk.ref_table in existing and not has_key(existing[fk.ref_table], fk.ref_columns, indexes=True):
                late.append((VALIDATE, ddl.add_foreign_key(t, fk).sql, i, f"foreign key {fk.name}"))
                if fk.comment is not None:
                    late.append((VALIDATE, ddl.comment_on_member(t, "constraint", fk.name, fk.comment).sql, i,
                                 f"comment on constraint {fk.name}"))
            elif needs_index(fk, by_name.get(fk.ref_table)):
                after_indexes.append((t, fk, i))
            elif fk.ref_table in new_tables and fk.ref_table not in created and fk.ref_table != t.qualified:
                deferred.append((t, fk, i))
            else:
                inline.append(fk)
        add(TRANSACTIONAL, ddl.create_table(t, inline).sql, i)
        created.add(t.qualified)
    for t, fk, i in deferred:
        add(TRANSACTIONAL, ddl.add_foreign_key(t, fk).sql, i, f"foreign key {fk.name}")
    # The columns an existing table gains or widens, before the new functions and views that may
    # read them (PostgreSQL checks a LANGUAGE sql body and a view's query as it creates them). None
    # of them needs a new function: a default calling one on an existing table is refused (SD601, SD607).
    for i in allowed:
        if isinstance(changes[i], _READ_BY_NEW):
            for phase, sql in compile_change(changes[i]):
                add(phase, sql, i)
    add_functions(fnorder.BEFORE_VIEWS)
    new_views = {changes[i].view.qualified: i for i in allowed if isinstance(changes[i], c.AddView)}
    ordered_views = []
    if new_views:  # spec.views brings the spec format's models (pydantic): imported only when needed
        from .spec.views import view_order

        ordered_views = view_order(tuple(changes[i].view for i in new_views.values()))
    for v in ordered_views:  # each after the views it reads
        for phase, sql in compile_change(changes[new_views[v.qualified]]):
            add(phase, sql, new_views[v.qualified])
    add_functions(fnorder.AFTER_VIEWS)  # before the indexes, policies and triggers that call them
    # A foreign key added after the indexes (or last) takes its comment with it.
    later = {(t.qualified, fk.name) for t, fk, _ in after_indexes}
    later |= {(t.qualified, fk.name) for t in tables for fk in t.foreign_keys
              if fk.ref_table in existing and not has_key(existing[fk.ref_table], fk.ref_columns, indexes=True)}
    for t in sorted(tables, key=lambda t: t.qualified):
        for _, detail, stmt in table_extras(t):
            if detail.startswith("comment on constraint ") and (t.qualified, detail[22:]) in later:
                continue
            add(TRANSACTIONAL, stmt.sql, new_tables[t.qualified], detail)
    for t, fk, i in after_indexes:
        add(TRANSACTIONAL, ddl.add_foreign_key(t, fk).sql, i, f"foreign key {fk.name}")
        if fk.comment is not None:
            add(TRANSACTIONAL, ddl.comment_on_member(t, "constraint", fk.name, fk.comment).sql, i,
                f"comment on constraint {fk.name}")
    for i in allowed:  # a new sequence's owner exists once the new tables do
        if isinstance(changes[i], c.AddSequence) and changes[i].sequence.owned_by is not None:
            add(TRANSACTIONAL, sequences.owned_by(changes[i].sequence).sql, i, "owned by")

    # Then changes to existing objects, in diff order.
    for i in allowed:
        if isinstance(changes[i], (c.AddSchema, c.AddExtension, c.AddEnum, c.AddSequence, c.AddTable, c.AddFunction,
                                   c.AddView) + _READ_BY_NEW):
            continue
        ch = changes[i]
        if (isinstance(ch, c.AddForeignKey) and ch.foreign_key.ref_table in existing
                and not has_key(existing[ch.foreign_key.ref_table], ch.foreign_key.ref_columns, indexes=True)):
            late += [(VALIDATE, sql, i, None) for _, sql in compile_change(ch)]  # NOT VALID, then VALIDATE
            continue
        for phase, sql in compile_change(changes[i]):
            add(phase, sql, i)
    for phase, sql, i, detail in late:
        add(phase, sql, i, detail)
    plan.steps = [s for phase in PHASES for s in by_phase[phase]]
    return plan


__all__ = ["CONCURRENT", "ENUM_VALUES", "PLAN_FORMAT", "PHASES", "TRANSACTIONAL", "VALIDATE", "Plan", "Step",
           "build_plan", "fingerprint"]
