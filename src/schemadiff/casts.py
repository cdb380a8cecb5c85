"""Casts are calls: which types a spec expression may cast to.

``'x'::public.d``, ``CAST(x AS public.d)``, ``public.d 'x'``, ``'{x}'::public.d[]``,
``json_value(… RETURNING public.d)``, ``xmlserialize(… AS public.d)``: each
coerces a value to a type, and that runs the type's input function (or its cast
function) — and, for a domain, its CHECK constraints, which may call any
function. In a CHECK or an index expression it runs once per existing row of the
migration; in a default once (or once per row) when the column is added; in a
policy in every query of every user. So a cast is judged like a call
(``funcpolicy.judge_tree(…, casts=…)``): every type name an expression holds must
be

- a ``pg_catalog`` type that is not a domain (from the snapshot
  ``data/pg_functions.json``, not from the database: a hostile database cannot add
  a name to it), written unqualified or ``pg_catalog.``-qualified; or
- one of ``allowed``: the spec's own enums (``enum_in`` only looks the label up).

Anything else — an external type, a domain, a table's row type, an extension's
type, an unknown name — is refused in every context, as a function the policy
cannot judge is.

``pg_cast``, the casts the server applies: a superuser can ``CREATE CAST (text
AS integer) WITH FUNCTION public.f(text)`` between two built-in types (or drop a
built-in cast and create another), and the owner of an enum a cast from it
(``CREATE CAST (public.mood AS text) WITH FUNCTION …``); then ``'1'::text::integer``
or ``m::text`` — or a cast the server picks on its own, unasked — runs that
function. The loader cannot see a database; apply's guard asks, in one branch of
the catalog query it already runs (``Catalog.foreign_casts``), for casts between
built-in types or enums whose function is outside pg_catalog, and where there is
one refuses every expression of the plan. A cast from or to an extension's own
type (PostGIS's geometry to text) is not asked about: the type is declared
``external``, and its casts are trusted as its input function is (a cast *to* it
is refused above). The plan-time probes are not guarded: they run in transactions
that are rolled back (``introspect/sandbox.py``). A superuser who creates
functions or casts *in* pg_catalog is beyond this check, as beyond the snapshot's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from functools import cache

from .funcpolicy import FunctionProblem, _snapshot
from .model import QualifiedName


@cache
def catalog_types() -> frozenset[str]:
    """pg_catalog's type names that are not domains (arrays ``_int4`` included)."""
    return frozenset(_snapshot()["types"])


def type_names(tree) -> Iterator[tuple[str, ...]]:
    """The name of every type an expression tree (libpg_query JSON) refers to:
    libpg_query writes a TypeName bare (``TypeCast.typeName``,
    ``JsonOutput.typeName``…), recognised by its keys ``names`` and ``typemod``."""
    todo = [tree]
    while todo:
        value = todo.pop()
        if isinstance(value, list):
            todo.extend(value)
        elif isinstance(value, dict):
            if "names" in value and "typemod" in value:
                yield _type_name(value)
            todo.extend(v for v in value.values() if isinstance(v, (dict, list)))


def _type_name(type_dict: dict) -> tuple[str, ...]:
    return tuple(i["String"].get("sval", "") if isinstance(i, dict) and "String" in i else "?"
                 for i in type_dict.get("names") or ())


class AnyType(Collection):
    """Every type counts as allowed: casts are not judged (where only the relations a
    query reads matter: ordering views, importing them)."""

    def __contains__(self, item) -> bool:
        return True

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


class KnownEnums(Collection):
    """apply's guard: the enums an earlier statement of the plan creates, and those
    the database holds (``is_enum(schema, name)``, asked of its catalog)."""

    def __init__(self, created: Collection[tuple[str, str]], is_enum: Callable[[str, str], bool]):
        self.created, self.is_enum = created, is_enum

    def __contains__(self, item) -> bool:
        return isinstance(item, QualifiedName) and (
            (item.schema, item.name) in self.created or self.is_enum(item.schema, item.name))

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


def judge_casts(tree, allowed: Collection[QualifiedName] | None = None,
                types: tuple[dict, ...] | None = None) -> FunctionProblem | None:
    """The first type ``tree`` casts to that is neither a built-in type nor in
    ``allowed`` (the spec's enums; None: none), as a FunctionProblem, or None.

    An unqualified name that names an ``allowed`` type is left to the caller, which
    refuses it with its own hint (the loader: "write ::public.mood"); apply's guard
    refuses every unqualified name that is not pg_catalog's before asking. ``types``: the tree's
    TypeName dicts in ``type_names``' order (``funcpolicy.walk_once``), when the caller has them."""
    if isinstance(allowed, AnyType):
        return None
    allowed = () if allowed is None else allowed
    builtin = catalog_types()
    for names in (type_names(tree) if types is None else map(_type_name, types)):
        if len(names) == 1 and names[0] in builtin:
            continue
        if len(names) == 2 and names[0] == "pg_catalog" and names[1] in builtin:
            continue
        if len(names) == 2 and QualifiedName(names[0], names[1]) in allowed:
            continue
        if len(names) == 1 and isinstance(allowed, (set, frozenset, tuple, list)) and any(
                isinstance(q, QualifiedName) and q.name == names[0] for q in allowed):
            continue
        shown = ".".join(names)
        return FunctionProblem(
            f"the input of type {shown} (a cast to it)",
            "a cast runs the type's input function and, for a domain, its CHECK constraints, which may call any "
            "function; an expression may cast only to a built-in type or to an enum of the spec")
    return None
