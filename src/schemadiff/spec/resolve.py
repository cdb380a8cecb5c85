"""What a spec's names and expressions refer to: enums, external objects,
built-in types, columns and functions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache

from ..expressions import ExpressionError, ParsedExpression, parse_expression, references
from ..funcpolicy import FunctionProblem, Walked, judge_tree, walk_once
from ..identifiers import MAX_IDENTIFIER_BYTES, NameSyntaxError, identifier_bytes
from ..model import QualifiedName
from ..normalize import TypeError_, canonical_builtin_type, qualified_type_text
from .names import qualify

# Roles a policy may name without declaring them.
BUILTIN_ROLES = frozenset({"public"})


@lru_cache(maxsize=65536)
def _judged(parsed: ParsedExpression, context: str, external: frozenset,
            enums: frozenset = frozenset(), functions: tuple = ()) -> FunctionProblem | None:
    """The function policy's verdict, once per expression, context, externals,
    enums (the types a cast may name) and spec functions (the same default or
    check recurs in table after table)."""
    return judge_tree(parsed.tree, context, external, casts=enums, functions=functions, walked=_walked(parsed))


@lru_cache(maxsize=65536)
def _walked(parsed: ParsedExpression) -> Walked:
    """The expression's tree walked once, for every context it is judged in and for its casts."""
    return walk_once(parsed.tree)


@lru_cache(maxsize=65536)
def _unqualified_casts(parsed: ParsedExpression) -> tuple[str, ...]:
    """``_unqualified_type_names`` of the expression, once per text: ``parsed`` is equal (and
    hashes equal) only for the same text, whose tree it is; the tree is read, never changed."""
    out = []
    for node in _walked(parsed).types:  # as _unqualified_type_names finds them, in its order
        names = node.get("names")
        if isinstance(names, list) and len(names) == 1 and isinstance(names[0], dict) and "String" in names[0]:
            out.append(names[0]["String"].get("sval", ""))
    return tuple(out)


@lru_cache(maxsize=65536)
def _type_name(text: str, default_schema: str) -> tuple[str, str, QualifiedName | None]:
    """A spec type's text without its spaces, its name without ``[]``, and that name qualified
    (None when it is not a name), once per text and default schema: all the three depend on."""
    raw = text.strip()
    base = raw
    while base.endswith("[]"):
        base = base[:-2].rstrip()
    try:
        as_name = qualify(base, default_schema)
    except NameSyntaxError:
        as_name = None
    return raw, base, as_name


def _unqualified_type_names(tree) -> list[str]:
    """The type names of an expression's casts written without a schema."""
    out, todo = [], [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            names = node.get("names") if "typemod" in node else None
            if isinstance(names, list) and len(names) == 1 and isinstance(names[0], dict) and "String" in names[0]:
                out.append(names[0]["String"].get("sval", ""))
            todo.extend(v for v in node.values() if isinstance(v, (dict, list)))
    return out


class ResolveError(ValueError):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


def check_identifier(name: str, what: str) -> None:
    if identifier_bytes(name) > MAX_IDENTIFIER_BYTES:
        raise ResolveError(
            f"{what} {name!r} is {identifier_bytes(name)} bytes long; PostgreSQL allows {MAX_IDENTIFIER_BYTES} "
            "and would silently truncate it",
            hint="choose a shorter name")
    if "\x00" in name:
        raise ResolveError(f"{what} {name!r} holds a NUL character")


@dataclass
class Resolver:
    default_schema: str
    enums: dict[QualifiedName, object] = field(default_factory=dict)
    external_types: set[QualifiedName] = field(default_factory=set)
    external_functions: set[QualifiedName] = field(default_factory=set)
    external_roles: set[str] = field(default_factory=set)
    # The spec's own functions (``speccalls.Callee``), which an expression may call by
    # their schema-qualified name under their declared volatility.
    spec_functions: tuple = ()
    # type text -> (name, enum), kept while ``enums`` keeps its size (``_enum_types``)
    _by_type: dict | None = field(default=None, init=False, repr=False, compare=False)

    def enum_typed(self, type_text: str):
        """(name, enum) of the enum whose type text (``qualified_type_text``) is ``type_text``;
        None for any other type."""
        return self._enum_types().get(type_text)

    def enum_type_texts(self) -> frozenset:
        """The type texts of the spec's enums."""
        return frozenset(self._enum_types())

    def _enum_types(self) -> dict:
        # Kept while ``enums`` is the same size: enums are only added (declared before any table
        # is built), never replaced.
        known = self._by_type
        if known is None or len(known) != len(self.enums):
            known = self._by_type = {qualified_type_text(q.schema, q.name, False): (q, e)
                                     for q, e in self.enums.items()}
        return known

    # -- types -------------------------------------------------------------
    def type_text(self, text: str) -> str:
        """The canonical (format_type) text of a spec type."""
        raw, base, as_name = _type_name(text, self.default_schema)
        array = base != raw
        if as_name is not None and (as_name in self.enums or as_name in self.external_types):
            return qualified_type_text(as_name.schema, as_name.name, array)
        try:
            builtin, parsed = canonical_builtin_type(raw)
        except TypeError_ as exc:
            raise ResolveError(str(exc)) from None
        if builtin is not None:
            return builtin
        names = parsed.names
        candidate = None
        if len(names) == 1:
            candidate = QualifiedName(self.default_schema, names[0])
        elif len(names) == 2:
            candidate = QualifiedName(names[0], names[1])
        if candidate is not None and candidate in self.enums:
            if parsed.typmods:
                raise ResolveError(f"{text!r}: the enum {candidate} takes no modifier")
            return qualified_type_text(candidate.schema, candidate.name, parsed.array)
        if candidate is not None and candidate in self.external_types:
            # ``extensions.vector(384)``: the modifier is kept as format_type() prints
            # it for a type whose typmodout writes ``(n[,m])`` (pgvector, PostGIS's
            # numeric forms); the server itself checks that the type takes one.
            return qualified_type_text(candidate.schema, candidate.name, parsed.array, parsed.typmods)
        known = [n.name for n in self.enums] + [n.name for n in self.external_types]
        close = difflib.get_close_matches(base, known, n=1, cutoff=0.6)
        hint = (f"did you mean {close[0]!r}?" if close else
                "declare an enum under `enums:` in schemadiff.yaml, or list a type an extension "
                "provides under `external: types:`")
        raise ResolveError(f"unknown type {text!r}", hint)

    # -- expressions -------------------------------------------------------
    def expression(self, text: str, *, what: str, context: str) -> ParsedExpression:
        """``text`` parsed as one expression, calling only what ``context`` (a
        ``funcpolicy`` context) allows."""
        try:
            parsed = parse_expression(text)
        except ExpressionError as exc:
            message = str(exc)
            hint = ""
            if text.rstrip().endswith(("--",)) or "--" in text:
                hint = "remove the SQL comment: a spec expression holds exactly one expression"
            raise ResolveError(f"{what}: {message}", hint) from None
        problem = _judged(parsed, context, frozenset(self.external_functions), frozenset(self.enums),
                          self.spec_functions)
        if problem is not None:
            raise ResolveError(f"{what}: {problem}",
                               hint="see \"Which functions an expression may call\" in docs/spec.md")
        for name in _unqualified_casts(parsed):  # apply's guard would refuse it, the server not find it
            q = QualifiedName(self.default_schema, name)
            if q in self.enums or q in self.external_types:
                raise ResolveError(f"{what}: the type {name} must name its schema here ({q}): migrations run with "
                                   "search_path = pg_catalog", hint=f"write ::{q}")
        return parsed

    def check_columns(self, parsed: ParsedExpression, columns: list[str], table: str, *, what: str,
                      allow_subqueries: bool = False) -> list[str]:
        """The table columns an expression uses; unknown ones are errors."""
        refs = references(parsed)
        if refs.subqueries and not allow_subqueries:
            raise ResolveError(f"{what}: subqueries are not allowed here")
        used: list[str] = []
        for ref in refs.columns:
            if "*" in ref:
                raise ResolveError(f"{what}: '*' is not allowed here")
            if len(ref) == 2 and ref[0] == table:
                ref = (ref[1],)
            if len(ref) != 1:
                raise ResolveError(f"{what}: {'.'.join(ref)} is not a column of this table")
            name = ref[0]
            if name in columns:
                if name not in used:
                    used.append(name)
                continue
            exact = [c for c in columns if c.lower() == name]
            if exact:
                raise ResolveError(
                    f"{what}: no column {name!r} (SQL folds unquoted names to lower case)",
                    hint=f'write "{exact[0]}" with double quotes in the SQL expression')
            close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
            raise ResolveError(f"{what}: no column {name!r} in this table",
                               hint=f"did you mean {close[0]!r}?" if close else "")
        return used

    # -- roles -------------------------------------------------------------
    def role(self, name: str) -> str:
        if name in BUILTIN_ROLES or name in self.external_roles:
            return name
        if name.lower() in ("current_user", "current_role", "session_user"):
            raise ResolveError(f"policy role {name!r} would be stored as whichever role runs the migration",
                               hint="name the role itself")
        raise ResolveError(f"role {name!r} is not declared",
                           hint=f"list it under `external: roles: [{name}]` in schemadiff.yaml (roles are never created by a spec)")
