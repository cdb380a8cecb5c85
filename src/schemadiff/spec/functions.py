"""Function files and the triggers of table files -> ``model.Function`` and ``model.Trigger``.

A function lives in a YAML file of its own (``functions/NAME.yaml``, any file
with a ``function:`` key), its body a literal block scalar. YAML rather than a
``.sql`` file holding one ``CREATE FUNCTION``: every other field of the spec is
typed data that the loader checks and points at by file and line, and the
JSON Schema describes; a ``.sql`` file would be arbitrary SQL that the loader
must first prove to be exactly one ``CREATE FUNCTION`` of an allowed shape, and
whose options the compiler would have to re-emit anyway. The body is the one
piece of code: it reaches SQL only as one ``quote_literal`` string
(``compile.routines``), and the server compiles it.

A trigger is part of its table (``triggers:`` in the table's file): its
function is a function of the spec, or an external one, taking no arguments.
"""

from __future__ import annotations

from ..expressions import references
from ..identifiers import NameSyntaxError
from ..model import (
    TRIGGER_EVENT_ORDER, Function, FunctionArg, QualifiedName, Table, Trigger, TriggerEvent, TriggerTiming,
    Volatility,
)
from . import format as f
from .context import FileContext
from .names import qualify
from .. import searchpath
from ..normalize import TypeError_, parse_type
from .resolve import ResolveError, Resolver, check_identifier

# Return types the server spells as themselves (pseudo-types besides the column types).
PSEUDO_RETURNS = frozenset({"trigger", "void"})
LANGUAGES = ("sql", "plpgsql")  # trusted, and the only ones the guard accepts


def signature_type(text: str, resolver: Resolver) -> str:
    """The type of an argument or a result as the catalog prints it (``format_type(oid,
    NULL)``). PostgreSQL drops a type modifier in a signature (``varchar(20)`` is stored
    as ``character varying``): written, the spec would differ from the database forever,
    and a rollback's DROP FUNCTION name a function that already existed. So a modifier
    is an error, and so are the spellings the grammar gives one implicitly (``char`` is
    ``character(1)``, ``bit`` is ``bit(1)``, ``interval second`` a field restriction)."""
    try:
        parsed = parse_type(text)
    except TypeError_ as exc:
        raise ResolveError(str(exc)) from None
    if parsed.typmods:
        implicit = parsed.names[-1] in ("bpchar", "bit") and "(" not in text
        if implicit:
            hint = ("write `bpchar` (any length) or `text`" if parsed.names[-1] == "bpchar"
                    else "write `bit varying` or the type without a length")
            raise ResolveError(f"{text.strip()!r} carries a type modifier (it means "
                               f"{'character' if parsed.names[-1] == 'bpchar' else 'bit'}(1)), which a function "
                               "signature cannot hold", hint)
        raise ResolveError(f"{text.strip()!r} carries a type modifier, which a function signature cannot hold",
                           "write the type without its modifier (e.g. `character varying`, `numeric`, `interval`): "
                           "PostgreSQL ignores it in a signature")
    out = resolver.type_text(text)
    base, array = (out[:-2], "[]") if out.endswith("[]") else (out, "")
    # format_type(oid, NULL) spells these bare; the canonical column spelling of ``bpchar``,
    # ``pg_catalog.bpchar`` and ``pg_catalog.bit`` (no modifier written) is not.
    return _CATALOG_SPELLING.get(base, base) + array


_CATALOG_SPELLING = {"bpchar": "character", "character(1)": "character", "bit(1)": "bit"}


def build_function(spec: f.FunctionSpec, ctx: FileContext, resolver: Resolver) -> Function | None:
    schema = spec.schema_ or resolver.default_schema
    where = f"function {schema}.{spec.function}"
    ok = True
    for value, path, what in ((spec.function, ("function",), "function name"), (schema, ("schema",), "schema name")):
        try:
            check_identifier(value, what)
        except ResolveError as exc:
            ctx.error(path, str(exc), where, exc.hint)
            ok = False
    args: list[FunctionArg] = []
    names: set[str] = set()
    for i, raw in enumerate(spec.arguments):
        arg = raw if isinstance(raw, f.ArgumentSpec) else f.ArgumentSpec(type=raw)
        try:
            type_text = signature_type(arg.type, resolver)
        except ResolveError as exc:
            ctx.error(("arguments", i), f"argument {i + 1}: {exc}", where, exc.hint)
            ok = False
            continue
        if arg.name is not None:
            if arg.name in names:
                ctx.error(("arguments", i), f"argument name {arg.name!r} is used twice", where)
                ok = False
            names.add(arg.name)
        args.append(FunctionArg(type_text, arg.name))
    returns = spec.returns.strip()
    if returns.lower() in PSEUDO_RETURNS:
        returns = returns.lower()
    else:
        try:
            returns = signature_type(returns, resolver)
        except ResolveError as exc:
            ctx.error(("returns",), f"returns: {exc}", where, exc.hint)
            ok = False
    if returns == "trigger" and (args or spec.language not in LANGUAGES or spec.language == "sql"):
        if args:
            ctx.error(("arguments",), "a trigger function takes no declared arguments", where,
                      "a trigger passes its `args` in TG_ARGV")
            ok = False
        if spec.language == "sql":
            ctx.error(("language",), "a trigger function cannot be written in SQL", where, "use `language: plpgsql`")
            ok = False
    if spec.security == "definer" and not spec.search_path:
        ctx.error(("security",), "a SECURITY DEFINER function needs its own `search_path`", where,
                  "add `search_path: [pg_catalog, public, pg_temp]` (the schemas it uses, in order, then pg_temp "
                  "last), so a caller's search_path or temporary tables cannot redirect what it runs with the "
                  "owner's rights")
        ok = False
    if spec.search_path is not None:
        found = searchpath.problem(spec.search_path, spec.security == "definer")
        if found is not None:
            ctx.error(("search_path",), found[0], where, found[1])
            ok = False
    if not spec.body.strip():
        ctx.error(("body",), "the body is empty", where)
        ok = False
    if not ok:
        return None
    return Function(schema=schema, name=spec.function, args=tuple(args), returns=returns, language=spec.language,
                    body=spec.body, volatility=Volatility(spec.volatility), strict=spec.strict,
                    security_definer=spec.security == "definer",
                    search_path=tuple(spec.search_path) if spec.search_path is not None else None,
                    comment=spec.comment)


def build_triggers(table: Table, spec: f.TableSpec, ctx: FileContext, resolver: Resolver,
                   functions: dict[QualifiedName, list[Function]]) -> tuple[Trigger, ...]:
    out: list[Trigger] = []
    columns = [c.name for c in table.columns]
    for name, t in spec.triggers.items():
        path = ("triggers", name)
        where = f"trigger {name} on {table.qualified}"
        ok = True
        try:
            check_identifier(name, "trigger name")
        except ResolveError as exc:
            ctx.error(path, str(exc), where, exc.hint, key=True)
            ok = False
        events = tuple(e for e in TRIGGER_EVENT_ORDER if e.value in t.events)
        if len(set(t.events)) != len(t.events):
            ctx.error(path + ("events",), "an event is listed twice", where)
            ok = False
        row = t.for_each == "row"
        if t.timing == "instead of":
            ctx.error(path + ("timing",), "INSTEAD OF triggers are for views, not tables", where)
            ok = False
        if TriggerEvent.TRUNCATE in events and row:
            ctx.error(path + ("events",), "a TRUNCATE trigger fires FOR EACH STATEMENT only", where,
                      "add `for_each: statement`")
            ok = False
        if t.update_of and TriggerEvent.UPDATE not in events:
            ctx.error(path + ("update_of",), "`update_of` needs the `update` event", where)
            ok = False
        for i, col in enumerate(t.update_of):
            if col not in columns:
                ctx.error(path + ("update_of", i), f"no column {col!r} in this table", where)
                ok = False
        when = None
        if t.when is not None:
            when = _when(t.when, row, events, columns, resolver, ctx, path, where)
            ok = ok and when is not None
        try:
            target = qualify(t.function, resolver.default_schema)
        except NameSyntaxError as exc:
            ctx.error(path + ("function",), str(exc), where)
            continue
        candidates = functions.get(target, [])
        if candidates:
            fn = next((fn for fn in candidates if not fn.args), None)
            if fn is None or fn.returns != "trigger":
                ctx.error(path + ("function",), f"{target} is not a trigger function of the spec (one taking no "
                          "arguments and returning trigger)", where)
                ok = False
        elif target not in resolver.external_functions:
            ctx.error(path + ("function",), f"no function {target} in the spec", where,
                      "add a function file (`function:`), or list an existing one under `external: functions:`")
            ok = False
        if t.comment == "":
            ctx.error(path + ("comment",), "an empty comment; leave the key out instead", where)
            ok = False
        if ok:
            out.append(Trigger(name=name, timing=TriggerTiming(t.timing), events=events, function=target,
                               for_each_row=row, columns=tuple(t.update_of), when=when, args=tuple(t.args),
                               enabled=t.enabled, comment=t.comment))
    return tuple(sorted(out, key=lambda tr: tr.name))


def _when(text: str, row: bool, events, columns, resolver: Resolver, ctx: FileContext, path, where) -> str | None:
    # A WHEN clause is an expression run for every row written: judged like a policy's.
    try:
        parsed = resolver.expression(text, what="when", context="policy")
    except ResolveError as exc:
        ctx.error(path + ("when",), str(exc), where, exc.hint)
        return None
    refs = references(parsed)
    problem = None
    if refs.subqueries:
        problem = "a WHEN condition cannot hold a subquery"
    for ref in refs.columns:
        if problem:
            break
        if len(ref) != 2 or ref[0] not in ("old", "new"):
            problem = f"{'.'.join(ref)}: a WHEN condition names columns as OLD.column or NEW.column"
        elif not row:
            problem = "a FOR EACH STATEMENT trigger cannot use OLD or NEW in WHEN"
        elif ref[1] not in columns and ref[1] != "*":
            problem = f"no column {ref[1]!r} in this table"
        elif ref[0] == "old" and TriggerEvent.INSERT in events:
            problem = "an INSERT trigger has no OLD row"
        elif ref[0] == "new" and TriggerEvent.DELETE in events:
            problem = "a DELETE trigger has no NEW row"
    if problem:
        ctx.error(path + ("when",), f"when: {problem}", where)
        return None
    return text.strip()
