"""Where things are in a spec file: marks for paths, and collected issues."""

from __future__ import annotations

import zlib
from typing import Any

from .errors import Mark, SpecIssue

# yamlread (and PyYAML with it) is imported where a file's data is read: a load served whole by
# the cache (spec/loadcache.py) makes contexts from bytes and reads none unless a finding asks.


class FileContext:
    """One spec file's data (as read, with marks) and the issues found in it.

    Made ``from_bytes``, it keeps only the file's bytes (compressed) and reads its data,
    with every mark, on first use: most files of a spec never have a finding, and the
    marks of every value of 10,000 files are hundreds of MB. The data is the same bytes
    read by the same reader, so a mark found later is the mark the load would have seen.
    """

    __slots__ = ("file", "_data", "_raw", "issues", "warnings")

    def __init__(self, file: str, data: Any, issues: list[SpecIssue], warnings: list[SpecIssue]):
        self.file = file
        self._data = data
        self._raw = None
        self.issues = issues
        self.warnings = warnings

    @classmethod
    def from_bytes(cls, file: str, raw: bytes, issues: list[SpecIssue], warnings: list[SpecIssue]) -> FileContext:
        """The context of a file that read without an error, from its bytes (read again when asked)."""
        ctx = cls(file, None, issues, warnings)
        ctx._raw = zlib.compress(raw, 1)
        return ctx

    @classmethod
    def from_compressed(cls, file: str, compressed: bytes, issues: list[SpecIssue],
                        warnings: list[SpecIssue]) -> FileContext:
        """``from_bytes`` of bytes another ``from_bytes`` compressed already (a child process's)."""
        ctx = cls(file, None, issues, warnings)
        ctx._raw = compressed
        return ctx

    @property
    def data(self) -> Any:
        if self._raw is not None:
            from .yamlread import PartialYAML, parse_yaml

            try:
                self._data = parse_yaml(zlib.decompress(self._raw), self.file)
            except PartialYAML as exc:  # not expected: only files that read cleanly are made lazy
                self._data = exc.data
            self._raw = None
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data, self._raw = value, None

    def mark(self, *path: Any, key: bool = False) -> Mark:
        """The mark of the value (or with ``key=True`` of the key) at ``path``;
        the deepest mark that exists when the path runs out."""
        from .yamlread import YList, YMap

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
