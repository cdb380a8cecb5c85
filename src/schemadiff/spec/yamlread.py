"""Strict YAML reading that remembers where every key and value came from.

PyYAML implements YAML 1.1, whose implicit typing silently changes meaning:
``no`` and ``off`` become ``False`` (an enum label ``no`` would vanish into a
boolean), ``012`` is octal, ``1_000`` is an integer, ``1:30`` is 90 and
``2024-01-01`` is a date. Duplicate keys are silently merged. Here the document
is composed into nodes with PyYAML, and the nodes are turned into Python values
by our own rules, which follow YAML 1.2's core schema and make every 1.1-only
reading an error that says how to write what was meant.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from .errors import Mark, SpecError, SpecIssue

_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_YAML11_BOOL = re.compile(r"^(yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$")
_STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "timestamp", "value"))
_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+)([eE][-+]?[0-9]+)?$")
_OCTAL_LIKE = re.compile(r"^[-+]?0[0-9]+$")
_BASE_PREFIX = re.compile(r"^[-+]?0[xXoObB][0-9a-fA-F_]+$")
_UNDERSCORE_NUM = re.compile(r"^[-+]?[0-9][0-9_]*_[0-9_]*(\.[0-9_]*)?$")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
_SPECIAL_FLOAT = re.compile(r"^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$")

_MAX_NODES = 200_000
# A spec file nests a few levels (table, columns, column, its keys; rls, policies, policy, roles):
# deeper is a mistake or an attack on the recursive readers (PyYAML's composer, ours).
MAX_DEPTH = 64


class _Marks:
    """Marks of keys, values or items, made on first look (most are never looked at).

    Read like the dict (by key) or list (by index) it stands for:
    ``marks[k]``, ``marks.get(k)``, ``k in marks``, ``len(marks)``."""

    __slots__ = ("file", "positions", "offset")

    def __init__(self, file: str, positions, offset: int = 0):
        self.file = file
        # key -> (key line, key column, value line, value column) for a mapping,
        # index -> (line, column) for a list; 0-based. ``offset`` picks the pair.
        self.positions = positions
        self.offset = offset

    def __getitem__(self, key) -> Mark:
        p = self.positions[key]
        return Mark(self.file, p[self.offset] + 1, p[self.offset + 1] + 1)

    def get(self, key, default=None):
        try:
            return self[key]
        except (KeyError, IndexError, TypeError):
            return default

    def __contains__(self, key) -> bool:
        return key in self.positions

    def __len__(self) -> int:
        return len(self.positions)

    def __iter__(self):
        return iter(self.positions)


# A loaded spec keeps every file's values (to point findings at lines): the
# two classes below hold positions as small tuples in slots and make Mark
# objects only when one is asked for.

class YMap(dict):
    """A mapping that knows where it, each key and each value stand
    (``mark``, ``key_marks[key]``, ``value_marks[key]``)."""

    __slots__ = ("_file", "_line", "_column", "_positions")

    @property
    def mark(self) -> Mark:
        return Mark(self._file, self._line + 1, self._column + 1)

    @property
    def key_marks(self) -> _Marks:
        return _Marks(self._file, self._positions, 0)

    @property
    def value_marks(self) -> _Marks:
        return _Marks(self._file, self._positions, 2)


class YList(list):
    """A list that knows where it and each item stand (``mark``, ``item_marks[i]``)."""

    __slots__ = ("_file", "_line", "_column", "_positions")

    @property
    def mark(self) -> Mark:
        return Mark(self._file, self._line + 1, self._column + 1)

    @property
    def item_marks(self) -> _Marks:
        return _Marks(self._file, self._positions, 0)


def _mark(file: str, node: yaml.Node) -> Mark:
    return Mark(file, node.start_mark.line + 1, node.start_mark.column + 1)


_ScalarNode, _SequenceNode, _MappingNode = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
_MERGE = "tag:yaml.org,2002:merge"


class PartialYAML(SpecError):
    """The file parsed, but values in it are errors (a YAML 1.1 boolean, a duplicate key…):
    ``issues`` lists them all and ``data`` holds the document with each such value read as
    its text (a duplicate key: the first), so that the rest of the file can still be checked
    and every error reported in one run."""

    def __init__(self, issues: list[SpecIssue], data):
        super().__init__(issues)
        self.data = data


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.count = 0
        self.depth = 0
        self.issues: list[SpecIssue] = []  # errors of values, collected (PartialYAML)

    def soft(self, node: yaml.Node, message: str, hint: str = "", value=None):
        """An error in one value: noted, and the value read as ``value`` (its text) to go on."""
        self.issues.append(SpecIssue(_mark(self.file, node), message, hint=hint))
        return node.value if value is None else value

    def build(self, node: yaml.Node):
        self.count += 1
        if self.count > _MAX_NODES:
            self.too_large(node)
        kind = type(node)
        if kind is _ScalarNode:
            if node.tag == _STR:  # the common case, as in scalar()
                return node.value
            return self.scalar(node)
        if kind is _SequenceNode:
            self.check_tag(node, "tag:yaml.org,2002:seq")
            out = YList()
            out._file, out._line, out._column = self.file, node.start_mark.line, node.start_mark.column
            items = node.value
            out._positions = [(item.start_mark.line, item.start_mark.column) for item in items]
            build = self.build
            self.deeper(node)
            for item in items:
                if type(item) is _ScalarNode and item.tag == _STR:  # build()'s first case, without the call
                    self.count += 1
                    if self.count > _MAX_NODES:
                        self.too_large(item)
                    out.append(item.value)
                else:
                    out.append(build(item))
            self.depth -= 1
            return out
        if kind is _MappingNode:
            self.deeper(node)
            self.check_tag(node, "tag:yaml.org,2002:map")
            out = YMap()
            out._file, out._line, out._column = self.file, node.start_mark.line, node.start_mark.column
            positions: dict = {}
            out._positions = positions
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:
                    raise SpecError([SpecIssue(_mark(self.file, key_node), "YAML merge keys (<<) are not supported in a spec",
                                               hint="write the keys out; a spec is read by people and by diff tools")])
                if type(key_node) is not _ScalarNode:
                    raise SpecError([SpecIssue(_mark(self.file, key_node), "a key must be a plain name, not a list or mapping")])
                key = key_node.value if key_node.tag == _STR else self.scalar(key_node)
                if not isinstance(key, str):
                    key = self.soft(key_node, f"the key {key_node.value!r} is read as {type(key).__name__}, not as a name",
                                    hint=f'quote it: "{key_node.value}"')
                if key in out:
                    first = out.key_marks[key]
                    self.soft(key_node, f"duplicate key {key!r} (first at line {first.line})",
                              hint="YAML would silently keep only the last one; remove or rename one of them")
                    continue
                if type(value_node) is _ScalarNode and value_node.tag == _STR:  # build()'s first case
                    self.count += 1
                    if self.count > _MAX_NODES:
                        self.too_large(value_node)
                    out[key] = value_node.value
                else:
                    out[key] = self.build(value_node)
                key_mark, value_mark = key_node.start_mark, value_node.start_mark
                positions[key] = (key_mark.line, key_mark.column, value_mark.line, value_mark.column)
            self.depth -= 1
            return out
        raise SpecError([SpecIssue(_mark(self.file, node), "unsupported YAML node")])

    def too_large(self, node: yaml.Node):
        raise SpecError([SpecIssue(_mark(self.file, node), "the document is too large (aliases expanding without bound?)")])

    def deeper(self, node: yaml.Node) -> None:
        """One level down; an error past MAX_DEPTH (aliases can nest what the text does not)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _too_deep(_mark(self.file, node))

    def check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            raise SpecError([SpecIssue(_mark(self.file, node), f"YAML tag {node.tag!r} is not allowed in a spec")])

    def scalar(self, node: yaml.ScalarNode):
        text = node.value
        if node.tag == _STR:
            # A quoted or block scalar, an explicit !!str, or a plain scalar
            # PyYAML's resolver left as text: a string in every case.
            return text
        # A plain scalar has style None (PyYAML) or '' (libyaml).
        if node.style or node.tag not in _PLAIN_TAGS:
            raise SpecError([SpecIssue(_mark(self.file, node), f"YAML tag {node.tag!r} is not allowed in a spec",
                                       hint="remove the tag; quote the value for text")])
        # A plain scalar PyYAML would type: resolve it by YAML 1.2 core rules
        # and refuse every reading that only YAML 1.1 gives.
        if _NULL.match(text):
            return None
        if text in _BOOL:
            return _BOOL[text]
        if _YAML11_BOOL.match(text):
            return self.soft(node, f"{text!r} is ambiguous: YAML 1.1 reads it as a boolean",
                             hint=f'quote it ("{text}") for the text, or write true/false for a boolean')
        if _INT.match(text):
            try:
                return int(text)
            except ValueError:  # more digits than Python converts (4,300): never a traceback
                return self.soft(node, f"a number of {len(text)} digits is not a value a spec accepts",
                                 hint="quote it for the text")
        if _OCTAL_LIKE.match(text) or _BASE_PREFIX.match(text):
            return self.soft(node, f"{text!r} is ambiguous: YAML 1.1 reads a leading 0 as octal or a base prefix",
                             hint=f'quote it ("{text}") for the text, or write the number without a leading zero')
        if _UNDERSCORE_NUM.match(text):
            return self.soft(node, f"{text!r} is ambiguous: YAML 1.1 reads it as the number {text.replace('_', '')}",
                             hint=f'quote it ("{text}") for the text, or write the number without underscores')
        if _SEXAGESIMAL.match(text):
            return self.soft(node, f"{text!r} is ambiguous: YAML 1.1 reads it as a base-60 number",
                             hint=f'quote it ("{text}")')
        if _SPECIAL_FLOAT.match(text):
            return self.soft(node, f"{text!r} is not a value a spec accepts", hint=f'quote it ("{text}")')
        if _DATE.match(text):
            return self.soft(node, f"{text!r} is ambiguous: YAML reads it as a date",
                             hint=f'quote it ("{text}"); for a SQL date default write "\'{text}\'::date"')
        if _FLOAT.match(text):
            return float(text)
        return text


# libyaml's composer (C) when PyYAML was built with it: the same nodes, tags
# and marks as the pure-Python one, several times faster. On any YAML error
# the document is composed again by the pure-Python composer, so error
# messages and their positions are exactly PyYAML's.
_RESOLVER = yaml.resolver.Resolver()


@lru_cache(maxsize=65536)
def _resolve(kind, value, implicit) -> str:
    """PyYAML's implicit tag of a node (SafeLoader's resolver, which has no
    path resolvers: the tag depends on these three arguments alone), cached:
    keys and most values repeat in every file."""
    return _RESOLVER.resolve(kind, value, implicit)


if hasattr(yaml, "CSafeLoader"):
    class _FastLoader(yaml.CSafeLoader):
        def __init__(self, stream):
            super().__init__(stream)
            # The cached function itself, found on the instance before the class's method: libyaml's
            # composer calls it for every node, with no Python frame of ours in between.
            self.resolve = _resolve
            if not self.yaml_path_resolvers:
                # With no path resolvers (SafeLoader has none) PyYAML's descend_resolver and
                # ascend_resolver return at once; the composer calls both for every node and
                # ignores what they return: C functions that do nothing cost no Python frame.
                self.descend_resolver = _NOTHING.get  # (parent, index)
                self.ascend_resolver = _NOTHING.clear  # ()

    _NOTHING: dict = {}

    _FAST_LOADER = _FastLoader
else:
    _FAST_LOADER = None


def _compose(text: str, loader) -> list[yaml.Node]:
    return list(yaml.compose_all(text, Loader=loader))


# libyaml accepts a few things PyYAML's own reader refuses (a tab after
# ``key:``, for one); text holding a tab, an unusual line break or a character
# PyYAML calls non-printable is left to PyYAML's own composer, so that what
# was refused stays refused.
_PYYAML_ONLY = re.compile("[\t\x85\u2028\u2029]|" + yaml.reader.Reader.NON_PRINTABLE.pattern)


class TooDeep(yaml.MarkedYAMLError):
    """Collections nested deeper than MAX_DEPTH (found before the recursive composer runs)."""


def _too_deep(mark: Mark) -> SpecError:
    return SpecError([SpecIssue(mark, f"the YAML nests deeper than {MAX_DEPTH} levels",
                                hint="a spec or policy file needs a handful of levels; is this the right file?")])


def _check_depth(text: str) -> None:
    """TooDeep at the first collection past MAX_DEPTH. PyYAML's parser is a
    state machine (its composer is the recursive part): this scan is safe on
    any input; a YAML error is left for the composer to report."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise TooDeep(problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except TooDeep:
        raise
    except yaml.YAMLError:
        return


def compose_nodes(text: str) -> list[yaml.Node]:
    """The YAML documents of ``text`` as nodes; errors are PyYAML's pure-Python composer's."""
    if _FAST_LOADER is not None and not _PYYAML_ONLY.search(text):
        try:
            return _compose(text, _FAST_LOADER)  # libyaml refuses more than 1,000 levels itself
        except yaml.YAMLError:
            pass  # say it the way PyYAML's own composer says it
    _check_depth(text)  # PyYAML's composer recurses: a few hundred levels would end in RecursionError
    return _compose(text, yaml.SafeLoader)


def read_yaml(path: Path, display: str):
    """Read one YAML document from ``path``; errors name ``display``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError([SpecIssue(Mark(display, 1, 1), f"cannot read the file: {exc.strerror}")]) from None
    return parse_yaml(raw, display)


_QUOTED_CAST = re.compile(r"""(?:'[^'\n]*'|"[^"\n]*")::[A-Za-z_][\w.]*(?:\[\])?""")


def _comment_start(line: str) -> int | None:
    """The column of a `` #`` that starts a YAML comment on ``line`` (outside quotes), or None."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"" and (i == 0 or line[i - 1] in " \t:{[,"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
    return None


def _slip(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, int, str] | None:
    """(line, column, hint), 1-based, for the common slips behind a YAML syntax error: a quoted
    string with a cast after it (``default: '{}'::jsonb`` unquoted), and a `` #`` inside a
    ``{...}`` or ``[...]`` value, which YAML takes for a comment that swallows the rest of the
    line (the error then shows on a later line: this points at the ``#``)."""
    lines = text.splitlines()
    problem = exc.problem_mark
    if problem is None:
        return None
    first = exc.context_mark.line if exc.context_mark is not None else problem.line
    for n in range(max(0, min(first, problem.line)), min(problem.line + 1, len(lines))):
        m = _QUOTED_CAST.search(lines[n])
        if m:
            value = m.group(0)
            return (n + 1, m.start() + 1,
                    f"a quoted string followed by ::type is not one YAML value: quote the whole expression, "
                    f"e.g. \"{value}\" (the SQL quotes stay inside)")
    flow = exc.context is not None and "flow" in exc.context
    if flow and exc.context_mark is not None:
        for n in range(exc.context_mark.line, min(problem.line + 1, len(lines))):
            col = _comment_start(lines[n])
            if col is not None:
                return (n + 1, col + 1,
                        "` #` starts a YAML comment, which swallowed the rest of this line (and the closing "
                        "bracket): quote the value that holds the #, e.g. check: \"note <> '#1'\"")
    return None


def parse_yaml(raw: bytes, display: str):
    """One YAML document from a file's bytes (already read); errors name ``display``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError([SpecIssue(Mark(display, 1, 1), f"the file is not UTF-8 ({exc.reason} at byte {exc.start})")]) from None
    try:
        nodes = compose_nodes(text)
    except TooDeep as exc:
        raise _too_deep(Mark(display, exc.problem_mark.line + 1, exc.problem_mark.column + 1)) from None
    except RecursionError:  # not expected after the depth checks; never a traceback all the same
        raise _too_deep(Mark(display, 1, 1)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(display, mark.line + 1, mark.column + 1) if mark else Mark(display, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if "but found '['" in problem or "but got '['" in problem or "got '['" in problem:
            hint = 'inside {...} quote a value holding [ or ,: type: "text[]"'
        slip = _slip(text, exc)
        if slip is not None:
            where, hint = Mark(display, slip[0], slip[1]), slip[2]
        raise SpecError([SpecIssue(where, f"invalid YAML: {problem}", hint=hint)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([SpecIssue(Mark(display, 1, 1), f"invalid YAML: {exc}")]) from None
    if len(nodes) > 1:
        raise SpecError([SpecIssue(_mark(display, nodes[1]), "a spec file holds one YAML document, found several")])
    if not nodes or nodes[0] is None:
        return None
    builder = _Builder(display)
    try:
        data = builder.build(nodes[0])
    except RecursionError:
        raise _too_deep(Mark(display, 1, 1)) from None
    if builder.issues:
        raise PartialYAML(builder.issues, data)
    return data
