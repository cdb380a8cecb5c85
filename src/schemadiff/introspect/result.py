"""What a catalog read gives: the model and what it says beside it, or the problems."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Schema
from ..oneline import one_line


class IntrospectError(Exception):
    """The database holds something the model cannot express faithfully."""

    def __init__(self, problems: list[str]):
        # Each problem names what the database chose (a constraint, a column): hostile input,
        # printed one line each wherever it is printed (``oneline``).
        self.problems = [one_line(p) for p in problems]
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class OutOfScope:
    kind: str
    schema: str
    name: str
    reason: str = ""  # why an object of an imported kind is left out (introspect.importable)

    def __str__(self) -> str:
        return f"{self.kind} {self.schema}.{self.name}" + (f" ({self.reason})" if self.reason else "")


@dataclass
class Introspection:
    schema: Schema
    out_of_scope: list[OutOfScope] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # faithful but worth saying (NOT VALID, INVALID)
    # Properties the spec language does not hold (SET STATISTICS, CLUSTER ON, a tablespace…):
    # kept by the database, never changed by plan, listed by import so none is dropped quietly.
    unheld: list[str] = field(default_factory=list)
    # What import cannot write so that the spec means the same (a collation outside
    # pg_catalog): plan reads it as it is; import stops and names each.
    unwritable: list[str] = field(default_factory=list)
    queries: int = 0
    # Every name taken in the relation namespace (and by a type) of the schemas read,
    # whoever owns it: (schema, name) -> what holds it, e.g. 'index public.x on public.t'.
    names: dict[tuple[str, str], str] = field(default_factory=dict)
