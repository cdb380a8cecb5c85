"""Errors in a spec, each pointing at a file, a line, a column and an object."""

from __future__ import annotations

from dataclasses import dataclass

from ..oneline import one_line


@dataclass(frozen=True)
class Mark:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class SpecIssue:
    mark: Mark | None
    message: str
    where: str = ""  # the object path, e.g. "table public.lead, column email"
    hint: str = ""

    def render(self) -> str:
        # Messages quote spec text (names, expressions): each part stays on its line.
        place = f"{one_line(str(self.mark))}: " if self.mark else ""
        where = f" [{one_line(self.where)}]" if self.where else ""
        text = f"{place}error: {one_line(self.message)}{where}"
        if self.hint:
            text += f"\n    hint: {one_line(self.hint)}"
        return text

    def sort_key(self):
        if self.mark is None:
            return ("", 0, 0, self.message)
        return (self.mark.file, self.mark.line, self.mark.column, self.message)


class SpecError(Exception):
    """One or more problems in a spec; nothing is generated from it."""

    def __init__(self, issues: list[SpecIssue]):
        self.issues = sorted(issues, key=SpecIssue.sort_key)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(issue.render() for issue in self.issues)


def fail(mark: Mark | None, message: str, where: str = "", hint: str = "") -> SpecError:
    return SpecError([SpecIssue(mark, message, where, hint)])
