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
from .model import QualifiedName
from .spec.context import FileContext
from .spec.errors import Mark
from .spec.load import LoadedSpec
from .spec.yamlread import YList, YMap

_SECTION = {  # constraint change -> the table file's section that declares it
    "primary_key": "primary_key", "unique": "unique", "check": "checks", "foreign_key": "foreign_keys",
}


def table_of(change: c.Change) -> QualifiedName | None:
    table = getattr(change, "table", None)
    if isinstance(change, (c.AddTable, c.DropTable)):
        return table.qualified
    if isinstance(change, c.SetComment) and change.kind in ("table", "column"):
        return change.object
    return table if isinstance(table, QualifiedName) else None


def _column_of(change: c.Change) -> str | None:
    if isinstance(change, c.SetComment):
        return change.column
    col = getattr(change, "column", None)
    return col.name if hasattr(col, "name") else col


def _member_of(change: c.Change) -> tuple[str, str] | None:
    """(section, name) of the index, constraint or policy a change is about."""
    for attr in ("index", "policy", "primary_key", "unique", "check", "foreign_key", "after"):
        obj = getattr(change, attr, None)
        if obj is not None and hasattr(obj, "name"):
            kind = type(obj).__name__
            section = {"Index": "indexes", "Policy": "policies", "PrimaryKey": "primary_key",
                       "UniqueConstraint": "unique", "CheckConstraint": "checks",
                       "ForeignKey": "foreign_keys"}.get(kind, attr)
            return section, obj.name
    if isinstance(change, c.ValidateConstraint):
        return "constraint", change.name
    return None


def subject(change: c.Change) -> str:
    """The object a change is about, as a waiver names it."""
    if isinstance(change, c.AddSchema):
        return change.name
    if isinstance(change, (c.AddExtension, c.DropExtension)):
        return change.extension.name
    if isinstance(change, (c.AddEnum, c.DropEnum)):
        return f"{change.enum.schema}.{change.enum.name}"
    if isinstance(change, (c.AddEnumValue, c.RemoveEnumValue, c.ReorderEnumValues)):
        return str(change.enum)
    if isinstance(change, c.SetComment) and change.kind in ("index", "type"):
        return str(change.object)
    table = table_of(change)
    if table is None:
        return change.target()
    column = _column_of(change)
    if column:
        return f"{table}.{column}"
    member = _member_of(change)
    return f"{table}.{member[1]}" if member else str(table)


def names_match(waived: str, name: str, default_schema: str) -> bool:
    """A waiver's object against a subject; the schema may be left out."""
    return waived == name or f"{default_schema}.{waived}" == name


def _find_name(node, name: str) -> Mark | None:
    """The first mapping key, or ``name:`` value, equal to ``name`` anywhere below ``node``."""
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
    member = _member_of(change)
    if member is None:
        return ctx.mark("table")
    section, name = member
    if section == "indexes" and _has(ctx, "indexes", name):
        return ctx.mark("indexes", name, key=True)
    if section == "policies" and _has(ctx, "rls", "policies", name):
        return ctx.mark("rls", "policies", name, key=True)
    found = _find_name(ctx.data, name)
    if found:
        return found
    # A generated constraint name (lead_email_check, lead_email_key): the column it was made from.
    prefix = f"{table.name}_"
    if name.startswith(prefix) and _has(ctx, "columns"):
        for col in ctx.data["columns"]:
            if name[len(prefix):].startswith(f"{col}_"):
                return ctx.mark("columns", col, key=True)
    for key in (section, "rls" if section == "policies" else None):
        if key and _has(ctx, key):
            return ctx.mark(key, key=True)
    return ctx.mark("table")


def locate(change: c.Change, head: LoadedSpec, base: LoadedSpec | None = None) -> Mark | None:
    """The spec line a change points at, or None when no file holds it."""
    table = table_of(change)
    if isinstance(change, c.SetComment) and change.kind == "index":
        table = next((t.qualified for t in head.schema.tables if change.object.schema == t.schema
                      and any(i.name == change.object.name for i in t.indexes)), None)
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
