"""Where a change stands in the spec: the object it names and the file line.

``subject(change)`` names the one object a change is about, the way a waiver
names it (``public.lead``, ``public.lead.email``, ``public.lead.lead_email_key``,
``public.status``). ``locate(change, head, base)`` finds the line of that
object in the head spec (where the pull request put it), or, for an object the
head no longer has, the nearest line that still exists (the table's
``columns:`` key for a removed column; the base's file for a removed table).
"""

from __future__ import annotations

from . import changes as c
from .identifiers import NameSyntaxError, split_dotted
from .model import QualifiedName
from .spec.context import FileContext
from .spec.errors import Mark
from .spec.load import LoadedSpec

# YMap/YList (spec.yamlread, and PyYAML with it) are imported where a file's data is read: only a
# finding reads it (a load served whole by the cache has parsed no YAML).

IndexTables = dict[QualifiedName, QualifiedName]  # index (schema, name) -> its table


def index_tables(*schemas) -> IndexTables:
    """Which table each index belongs to (an index comment names only the index)."""
    return {QualifiedName(t.schema, i.name): t.qualified for s in schemas if s is not None
            for t in s.tables for i in t.indexes}


def table_of(change: c.Change, indexes: IndexTables | None = None) -> QualifiedName | None:
    table = getattr(change, "table", None)
    if isinstance(change, (c.AddTable, c.DropTable)):
        return table.qualified
    if isinstance(change, c.SetComment):
        if change.kind in ("table", "column") + c.TABLE_MEMBER_KINDS:
            return change.object
        if change.kind == "index" and indexes:
            return indexes.get(change.object)
        return None
    return table if isinstance(table, QualifiedName) else None


def _column_of(change: c.Change) -> str | None:
    if isinstance(change, c.SetComment):
        return change.column if change.kind == "column" else None
    col = getattr(change, "column", None)
    return col.name if hasattr(col, "name") else col


def _member_of(change: c.Change) -> tuple[str, str] | None:
    """(section, name) of the index, constraint or policy a change is about."""
    if isinstance(change, c.SetComment) and change.kind == "index":
        return "indexes", change.object.name
    if isinstance(change, c.SetComment) and change.kind in c.TABLE_MEMBER_KINDS:
        return {"policy": "policies", "trigger": "triggers"}.get(change.kind, "constraint"), change.column
    for attr in ("index", "policy", "trigger", "primary_key", "unique", "check", "foreign_key", "after"):
        obj = getattr(change, attr, None)
        if obj is not None and hasattr(obj, "name"):
            kind = type(obj).__name__
            section = {"Index": "indexes", "Policy": "policies", "Trigger": "triggers", "PrimaryKey": "primary_key",
                       "UniqueConstraint": "unique", "CheckConstraint": "checks",
                       "ForeignKey": "foreign_keys"}.get(kind, attr)
            return section, obj.name
    if isinstance(change, c.ValidateConstraint):
        return "constraint", change.name
    return None


def _function_of(change: c.Change):
    if isinstance(change, (c.AddFunction, c.DropFunction, c.SetFunctionComment)):
        return change.function
    if isinstance(change, c.ReplaceFunction):
        return change.after
    return None


def subject_parts(change: c.Change, indexes: IndexTables | None = None) -> tuple[str, ...]:
    """The object a change is about, as identifier parts: (schema, table, column)."""
    if isinstance(change, c.AddSchema):
        return (change.name,)
    if isinstance(change, (c.AddExtension, c.DropExtension)):
        return (change.extension.name,)
    if isinstance(change, (c.AddEnum, c.DropEnum, c.AddEnumValue, c.RemoveEnumValue, c.ReorderEnumValues)):
        return (change.enum.schema, change.enum.name)
    fn = _function_of(change)
    if fn is not None:
        return (fn.schema, fn.name)
    view = getattr(change, "view", None) or (change.after if isinstance(change, c.ReplaceView) else None)
    if view is not None:
        return (view.schema, view.name)
    table = table_of(change, indexes)
    if table is None:
        obj = getattr(change, "object", None)
        return (obj.schema, obj.name) if isinstance(obj, QualifiedName) else (change.target(),)
    column = _column_of(change)
    if column:
        return (table.schema, table.name, column)
    member = _member_of(change)
    return (table.schema, table.name, member[1]) if member else (table.schema, table.name)


def show_parts(parts: tuple[str, ...]) -> str:
    """``public.lead.email``; a part holding a dot, a quote or outer spaces in double quotes."""
    def one(part: str) -> str:
        if "." in part or '"' in part or part != part.strip() or not part:
            return '"' + part.replace('"', '""') + '"'
        return part
    return ".".join(one(p) for p in parts)


def subject(change: c.Change, indexes: IndexTables | None = None) -> str:
    """The object a change is about, as a waiver names it."""
    return show_parts(subject_parts(change, indexes))


def names_match(waived: str, parts: tuple[str, ...], default_schema: str) -> bool:
    """A waiver's object (its schema may be left out, parts may be quoted) against a subject."""
    try:
        wanted = tuple(split_dotted(waived.strip()))
    except NameSyntaxError:
        return False
    return parts == wanted or parts == (default_schema, *wanted)


def _find_name(node, name: str) -> Mark | None:
    """The first mapping key, or ``name:`` value, equal to ``name`` anywhere below ``node``."""
    from .spec.yamlread import YList, YMap

    if isinstance(node, YMap):
        if name in node:
            return node.key_marks[name]
        if node.get("name") == name:
            return node.value_marks["name"]
        for value in node.values():
            found = _find_name(value, name)
            if found:
                return found
    elif isinstance(node, YList):
        for i, item in enumerate(node):
            if item == name:
                return node.item_marks[i]
            found = _find_name(item, name)
            if found:
                return found
    return None


def _has(ctx: FileContext, *path) -> bool:
    from .spec.yamlread import YMap

    node = ctx.data
    for element in path:
        if isinstance(node, YMap) and element in node:
            node = node[element]
        else:
            return False
    return True


def _in_table_file(ctx: FileContext, change: c.Change, table: QualifiedName) -> Mark:
    column = _column_of(change)
    if isinstance(change, (c.AddTable, c.DropTable)):
        return ctx.mark("table")
    if isinstance(change, c.SetComment) and change.kind == "table":
        return ctx.mark("comment", key=True) if _has(ctx, "comment") else ctx.mark("table")
    if column is not None:
        if isinstance(change, c.SetComment) and _has(ctx, "columns", column, "comment"):
            return ctx.mark("columns", column, "comment", key=True)
        if _has(ctx, "columns", column):
            return ctx.mark("columns", column, key=True)
        return ctx.mark("columns", key=True) if _has(ctx, "columns") else ctx.mark("table")
    if isinstance(change, (c.EnableRls, c.DisableRls)):
        return ctx.mark("rls", "enabled", key=True) if _has(ctx, "rls", "enabled") else ctx.mark("table")
    if isinstance(change, c.ForceRls):
        return ctx.mark("rls", "forced", key=True) if _has(ctx, "rls", "forced") else ctx.mark("table")
    if isinstance(change, c.SetStorageParameter):
        return _storage_key(ctx, change)
    member = _member_of(change)
    if member is None:
        return ctx.mark("table")
    section, name = member
    if section == "indexes" and _has(ctx, "indexes", name):
        return ctx.mark("indexes", name, key=True)
    if section == "policies" and _has(ctx, "rls", "policies", name):
        return ctx.mark("rls", "policies", name, key=True)
    if section == "triggers" and _has(ctx, "triggers", name):
        return ctx.mark("triggers", name, key=True)
    found = _find_name(ctx.data, name)
    if found:
        return found
    # A generated constraint name (lead_email_check, lead_email_key): the column it was made from.
    prefix = f"{table.name}_"
    if name.startswith(prefix) and _has(ctx, "columns"):
        rest = name[len(prefix):]
        made_from = [col for col in ctx.data["columns"] if rest.startswith(f"{col}_")]
        if made_from:  # the longest: email_status_check is email_status's, not email's
            return ctx.mark("columns", max(made_from, key=len), key=True)
    for key in (section, "rls" if section == "policies" else None):
        if key and _has(ctx, key):
            return ctx.mark(key, key=True)
    return ctx.mark("table")


def _storage_key(ctx: FileContext, change: c.SetStorageParameter) -> Mark:
    """The line of the key under the table's, its index's, or its key's ``storage:``."""
    from .spec.yamlread import YMap

    key = change.key
    if change.index is None:
        return ctx.mark("storage", key, key=True) if _has(ctx, "storage", key) else ctx.mark("table")
    if _has(ctx, "indexes", change.index):
        return ctx.mark("indexes", change.index, *(("storage", key) if _has(ctx, "indexes", change.index, "storage",
                                                                         key) else ()), key=True)
    uniques = ctx.data.get("unique") if isinstance(ctx.data.get("unique"), list) else []
    held = [(i, u) for i, u in enumerate(uniques)
            if isinstance(u, YMap) and isinstance(u.get("storage"), YMap) and key in u["storage"]]
    for i, u in held:
        if u.get("name") == change.index:
            return u["storage"].key_marks[key]
    pk = ctx.data.get("primary_key")
    if isinstance(pk, YMap) and isinstance(pk.get("storage"), YMap) and key in pk["storage"] \
            and pk.get("name") in (None, change.index):
        return pk["storage"].key_marks[key]
    if held:
        return held[0][1]["storage"].key_marks[key]
    return ctx.mark("table")


def locate(change: c.Change, head: LoadedSpec, base: LoadedSpec | None = None) -> Mark | None:
    """The spec line a change points at, or None when no file holds it."""
    fn = _function_of(change)
    if fn is not None:
        for spec in (head, base):
            if spec is not None and fn.signature in spec.function_contexts:
                ctx = spec.function_contexts[fn.signature]
                return ctx.mark("function", key=True)
        return None
    view = getattr(change, "view", None) or (change.after if isinstance(change, c.ReplaceView) else None) or (
        change.object if isinstance(change, c.SetComment) and change.kind == "view" else None)
    if view is not None:
        q = view if isinstance(view, QualifiedName) else view.qualified
        for spec in (head, base):
            if spec is not None and q in spec.view_contexts:
                return spec.view_contexts[q].mark("view", key=True)
        return None
    indexes = None
    if isinstance(change, c.SetComment) and change.kind == "index":
        indexes = index_tables(head.schema, base.schema if base else None)
    table = table_of(change, indexes)
    if table is not None:
        for spec in (head, base):
            if spec is not None and table in spec.contexts:
                return _in_table_file(spec.contexts[table], change, table)
        return None
    for spec in (head, base):
        if spec is None or spec.root is None:
            continue
        root = spec.root
        if isinstance(change, c.AddSchema):
            if _has(root, "schemas"):
                return root.mark("schemas", key=True)
            # created because a table lives there: the first such table's `table:` line
            first = next((q for q in sorted(spec.contexts) if q.schema == change.name), None)
            if first is not None:
                return spec.contexts[first].mark("table")
        if isinstance(change, (c.AddExtension, c.DropExtension)) and _has(root, "extensions"):
            return _find_name(root.data["extensions"], change.extension.name) or root.mark("extensions", key=True)
        enum = getattr(change, "enum", None) or (change.object if isinstance(change, c.SetComment) else None)
        if enum is not None and _has(root, "enums", enum.name):
            return root.mark("enums", enum.name, key=True)
        if enum is not None and _has(root, "enums"):
            return root.mark("enums", key=True)
    return head.root.mark() if head.root is not None else None
