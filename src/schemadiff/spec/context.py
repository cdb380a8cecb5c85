"""Where things are in a spec file: marks for paths, and collected issues."""

from __future__ import annotations

from typing import Any

from .errors import Mark, SpecIssue
from .yamlread import YList, YMap


class FileContext:
    """One spec file's data (as read, with marks) and the issues found in it."""

    def __init__(self, file: str, data: Any, issues: list[SpecIssue], warnings: list[SpecIssue]):
        self.file = file
        self.data = data
        self.issues = issues
        self.warnings = warnings

    def mark(self, *path: Any, key: bool = False) -> Mark:
        """The mark of the value (or with ``key=True`` of the key) at ``path``;
        the deepest mark that exists when the path runs out."""
        node = self.data
        best = getattr(node, "mark", None) or Mark(self.file, 1, 1)
        for i, element in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, YMap) and element in node:
                best = node.key_marks[element] if (key and last) else node.value_marks[element]
                node = node[element]
            elif isinstance(node, YList) and isinstance(element, int) and 0 <= element < len(node):
                best = node.item_marks[element]
                node = node[element]
            else:
                break
        return best

    def error(self, path: tuple, message: str, where: str = "", hint: str = "", key: bool = False) -> None:
        self.issues.append(SpecIssue(self.mark(*path, key=key), message, where, hint))

    def warn(self, path: tuple, message: str, where: str = "", hint: str = "") -> None:
        self.warnings.append(SpecIssue(self.mark(*path), message, where, hint))
