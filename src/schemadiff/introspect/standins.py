"""Stand-ins for the spec's functions in plan's rolled-back probes.

``exprcheck`` gives each new expression to the server on a temporary copy of its
table. An expression may call a function of the spec (``speccalls``), which the
database may not hold yet (the plan creates it), or holds with a body that must
never run at plan time: PostgreSQL folds the constant parts of an index
expression or predicate and of a generated column as it takes them, and that
would call the real function. So, inside the probe transaction (always rolled
back), each spec function gets a stand-in in ``pg_temp`` with the same
argument types, result type and volatility, whose body is ``SELECT
NULL::rettype`` and nothing else; and each probe statement calls the stand-in
instead (its call rewritten in the parse tree, then deparsed by pglast). The
real body never runs, and the server still type-checks the call: argument
types, the result's type in its place.

A stand-in is named ``pg_temp.schemadiff_standin_N`` (N: the function's place
in the spec's sorted list), so no spec name, however hostile, reaches it as text
but through ``quote_ident``-quoted types, and two spec functions of one name in
two schemas do not collide.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..identifiers import quote_literal
from ..model import Function, Volatility

_VOLATILITY = {Volatility.IMMUTABLE: "IMMUTABLE", Volatility.STABLE: "STABLE", Volatility.VOLATILE: "VOLATILE"}
PREFIX = "schemadiff_standin_"


def callable_functions(functions: Sequence[Function]) -> list[Function]:
    """The spec's functions an expression can call (not trigger functions)."""
    return [fn for fn in functions if fn.returns not in ("trigger",)]


def create_statements(functions: Sequence[Function]) -> list[str]:
    """``CREATE FUNCTION pg_temp.schemadiff_standin_N(types) RETURNS type …`` for each
    function of ``callable_functions(functions)``, in that order. The types are the
    catalog's own text (``format_type``), already validated by the loader."""
    out = []
    for n, fn in enumerate(callable_functions(functions)):
        args = ", ".join(a.type for a in fn.args)
        body = quote_literal(f"SELECT NULL::{fn.returns}")
        out.append(f"CREATE FUNCTION pg_temp.{PREFIX}{n}({args}) RETURNS {fn.returns} LANGUAGE sql "
                   f"{_VOLATILITY[Volatility(fn.volatility)]} AS {body}")
    return out


def install(conn, functions: Sequence[Function], wanted: set[int]) -> set[int]:
    """Create the stand-ins numbered ``wanted`` in the open transaction of ``conn``
    (which the caller rolls back), each in a savepoint of its own; the numbers of
    those the server took (one whose types the plan has yet to create cannot be made:
    calls of it stay as they are, and are judged as any call of a missing function)."""
    import psycopg

    made: set[int] = set()
    for n, statement in enumerate(create_statements(functions)):
        if n not in wanted:
            continue
        try:
            with conn.transaction():
                conn.execute(statement)
            made.add(n)
        except psycopg.Error:
            pass
    return made


def wanted(statements: Sequence[str], functions: Sequence[Function]) -> set[int]:
    """The numbers of the stand-ins ``statements`` call (through ``redirect``)."""
    found: set[int] = set()
    for statement in statements:
        redirect(statement, functions, found=found)
    return found


def redirect(statement: str, functions: Sequence[Function], only: set[int] | None = None,
             found: set[int] | None = None) -> str:
    """``statement`` with each call of a spec function (schema, name, argument count)
    made a call of its stand-in (of those numbered ``only``, when given); unchanged when
    it calls none (or cannot be read). ``found`` collects the numbers called."""
    targets = {(fn.schema, fn.name, len(fn.args)): n for n, fn in enumerate(callable_functions(functions))
               if only is None or n in only}
    if not targets:
        return statement
    from pglast import ast, parse_sql
    from pglast.stream import RawStream
    from pglast.visitors import Visitor

    changed = False

    class _Calls(Visitor):
        def visit_FuncCall(self, ancestors, node):  # noqa: N802 (pglast's naming)
            nonlocal changed
            parts = tuple(getattr(p, "sval", None) for p in node.funcname or ())
            if len(parts) != 2:
                return
            n = targets.get((parts[0], parts[1], len(node.args or ())))
            if n is not None:
                node.funcname = (ast.String(sval="pg_temp"), ast.String(sval=f"{PREFIX}{n}"))
                changed = True
                if found is not None:
                    found.add(n)

    try:
        stmts = parse_sql(statement)
        _Calls()(stmts)
        return RawStream()(stmts) if changed else statement
    except Exception:  # noqa: BLE001 — a statement pglast cannot redo is probed as it is
        return statement


def restore(message: str, functions: Sequence[Function]) -> str:
    """A server message about a probe, each stand-in named as the spec's function."""
    if PREFIX not in message:
        return message
    for n, fn in reversed(list(enumerate(callable_functions(functions)))):  # _10 before _1
        message = message.replace(f"pg_temp.{PREFIX}{n}", f"{fn.schema}.{fn.name}")
        message = message.replace(f"{PREFIX}{n}", f"{fn.schema}.{fn.name}")
    return message


class NotProbed(Exception):
    """A probe statement that must not reach the server (``folds_outside``): the caller
    takes it as a probe the server rejected."""


def folds_outside(statement: str) -> bool:
    """Whether ``statement`` is one the server computes constants of as it takes it (an
    index, a stored generated column) and calls a function or operator named in a schema
    other than ``pg_catalog`` that is no stand-in: a database's function the spec
    language cannot hold (a default argument, SETOF, another language), or one whose
    stand-in could not be made. Folding would run its body (with whatever effect it has)
    at plan or import time. Unqualified names are pg_catalog's (the probes' search_path
    is ``pg_catalog, pg_temp``, and PostgreSQL never looks for a function in pg_temp
    unless it is named). Unreadable: True.

    Only an index or a stored generated column folds: a statement whose tree (libpg_query's
    JSON, parsed in C) holds neither node is answered False without pglast's Python nodes.
    The marker is a node's key or an enum's value in that JSON; a string constant that
    spells one is quoted differently (``"sval":"IndexStmt"``) and at worst sends the
    statement to the full walk, which gives the answer it always gave."""
    from pglast.parser import parse_sql_json

    try:
        tree = parse_sql_json(statement)
    except Exception:  # noqa: BLE001 — a statement pglast cannot read is not run either
        return True
    if '"IndexStmt":' not in tree and '"contype":"CONSTR_GENERATED"' not in tree:
        return False
    return _folds_outside_walk(statement)


def _folds_outside_walk(statement: str) -> bool:
    """``folds_outside`` by a walk of pglast's nodes (the definition)."""
    from pglast import parse_sql
    from pglast.enums import ConstrType
    from pglast.visitors import Visitor

    folds = False
    outside = False

    def foreign(names) -> bool:
        parts = [getattr(p, "sval", None) for p in names or ()]
        if len(parts) < 2:
            return False
        return not (parts[-2] == "pg_catalog" or (parts[-2] == "pg_temp" and str(parts[-1]).startswith(PREFIX)))

    class _Walk(Visitor):
        def visit_IndexStmt(self, ancestors, node):  # noqa: N802 (pglast's naming)
            nonlocal folds
            folds = True

        def visit_Constraint(self, ancestors, node):  # noqa: N802
            nonlocal folds
            if node.contype == ConstrType.CONSTR_GENERATED:
                folds = True

        def visit_FuncCall(self, ancestors, node):  # noqa: N802
            nonlocal outside
            outside = outside or foreign(node.funcname)

        def visit_A_Expr(self, ancestors, node):  # noqa: N802
            nonlocal outside
            outside = outside or foreign(node.name)

    try:
        _Walk()(parse_sql(statement))
    except Exception:  # noqa: BLE001 — a statement pglast cannot read is not run either
        return True
    return folds and outside


class Session:
    """Stand-ins for the probes of one rolled-back transaction that read the server's
    spelling back (``converge``): ``statement`` redirects a probe's calls, creating
    the stand-ins it needs first (outside the probe's savepoint, so they outlive a
    failed probe), and ``text`` names each stand-in in the server's answer as the
    spec's function, quoted as the server quotes it (``public.level()``)."""

    def __init__(self, conn, functions: Sequence[Function]):
        self.conn, self.functions = conn, list(functions)
        self.made: set[int] = set()
        self.tried: set[int] = set()

    def statement(self, sql: str) -> str:
        """``sql`` with its calls redirected to stand-ins; ``NotProbed`` when the server
        would fold a call the stand-ins do not cover (``folds_outside``)."""
        if self.functions:
            calls = wanted([sql], self.functions) - self.tried
            if calls:
                self.made |= install(self.conn, self.functions, calls)
                self.tried |= calls
            if self.made:
                sql = redirect(sql, self.functions, self.made)
        if folds_outside(sql):
            raise NotProbed(sql)
        return sql

    def text(self, text: str | None) -> str | None:
        if text is None or PREFIX not in text:
            return text
        from ..identifiers import quote_qualified

        for n, fn in reversed(list(enumerate(callable_functions(self.functions)))):  # _10 before _1
            text = text.replace(f"pg_temp.{PREFIX}{n}(", quote_qualified(fn.schema, fn.name) + "(")
        return text
