"""Hostile spec strings, and a spec that carries one in any field.

Shared by the spec-to-SQL attack tests: ``PAYLOADS`` are strings a hostile pull
request would try; ``FIELDS`` are every spec string that reaches SQL; ``spec_files``
writes a complete, otherwise valid spec with one field set to one value.
"""

from __future__ import annotations

import json

PAYLOADS = [
    "x'; DROP TABLE public.canary; --",
    "x\\'; DROP TABLE public.canary; --",
    "x\\\\'; DROP TABLE public.canary; --",
    "\\",
    "'",
    "''",
    '"',
    'x"; DROP TABLE public.canary; --',
    "$$; DROP TABLE public.canary; $$",
    "$q$ DROP TABLE public.canary; $q$",
    "*/ DROP TABLE public.canary; /*",
    "/* DROP TABLE public.canary; */",
    "x)); DROP TABLE public.canary; --",
    "text_pattern_ops); DROP TABLE public.canary; CREATE INDEX ix2 ON public.t (c",
    "x\nDROP TABLE public.canary;\n--",
    "x\r DROP TABLE public.canary; --",
    "x\x00y",
    "x\x1b[2Jy",
    "E'\\x27; DROP TABLE public.canary; --",
    "U&'\\0027'); DROP TABLE public.canary; --",
    "x\u202ey",
    "x\u2028DROP TABLE public.canary;",
    "\u02bc; DROP TABLE public.canary; --",
    "\n::error file=x,line=1::SPOOFED\n::stop-commands::tok",
    "x\\' || (SELECT 1) || '",
    "normal_name",
]

# field -> how the payload is placed: as the value itself, or inside a SQL string
# literal of an expression (written as the spec's SQL, quotes doubled).
FIELDS = [
    "schema", "table", "column", "table_comment", "column_comment", "index_comment", "enum_comment",
    "enum_name", "enum_value", "index_name", "unique_name", "check_name", "fk_name", "pk_name",
    "policy_name", "role", "collation", "opclass", "extension", "extension_schema", "type",
    "default", "default_literal", "check", "check_literal", "index_where_literal", "index_expression_literal",
    "using_literal", "with_check_literal", "generated_literal", "references",
    "function_name", "function_comment", "function_body", "search_path", "trigger_name", "trigger_arg",
    "trigger_when_literal", "view_name", "view_comment", "view_query_literal",
    "matview_name", "matview_comment", "matview_index_name", "view_column_comment", "matview_query_literal",
    "pk_comment", "unique_comment", "check_comment", "fk_comment", "policy_comment", "trigger_comment",
]

# Fields whose payload ends up inside a SQL string literal of an expression.
LITERAL_FIELDS = {f for f in FIELDS if f.endswith("_literal")}


def _lit(text: str) -> str:
    """``text`` as a standard SQL string literal, as a person writes it in a spec."""
    return "'" + text.replace("'", "''") + "'"


def spec_files(field: str | None = None, value: str = "") -> dict[str, str]:
    """{relative path: text} of a spec with ``field`` set to ``value``."""
    v = {f: None for f in FIELDS}
    if field is not None:
        v[field] = value
    schema = v["schema"] or "app"
    table = v["table"] or "t"
    column = v["column"] or "c"
    enum = v["enum_name"] or "mood"
    role = v["role"] or "reader"
    columns = {
        "id": {"type": "bigint", "primary_key": True},
        column: {"type": v["type"] or "text",
                 "comment": v["column_comment"] or "a column",
                 "default": v["default"] or (_lit(v["default_literal"]) if v["default_literal"] is not None
                                             else "'dflt'"),
                 "check": v["check"] or (f"{_q(column)} <> {_lit(v['check_literal'])}"
                                         if v["check_literal"] is not None else f"{_q(column)} <> ''")},
        "tag": {"type": f"{schema}.{enum}" if '"' not in schema + enum and "." not in schema + enum else "text"},
        "n": {"type": "integer"},
        "g": {"type": "text", "generated": f"lower({_q(column)} || {_lit(v['generated_literal'])})"
              if v["generated_literal"] is not None else f"lower({_q(column)})"},
        "parent": {"type": "bigint"},
    }
    if v["collation"] is not None:
        columns[column]["collation"] = v["collation"]
    if v["pk_name"] is not None:
        columns["id"] = {"type": "bigint"}
    index_key = {"column": column}
    if v["opclass"] is not None:
        index_key["opclass"] = v["opclass"]
    table_spec = {
        "table": table,
        "schema": schema,
        "comment": v["table_comment"] or "a table",
        "columns": columns,
        "unique": [{"columns": ["n"], "name": v["unique_name"] or "t_n_key",
                    "comment": v["unique_comment"] or "a unique key"}],
        "checks": [{"expression": "n > 0", "name": v["check_name"] or "t_n_positive",
                    "comment": v["check_comment"] or "a check"}],
        "foreign_keys": [{"columns": ["parent"], "references": v["references"] or f"{_ref(schema, table)}(id)",
                          "name": v["fk_name"] or "t_parent_fkey", "comment": v["fk_comment"] or "a foreign key"}],
        "indexes": {
            v["index_name"] or "t_c_idx": {
                "columns": [index_key],
                "where": f"{_q(column)} <> {_lit(v['index_where_literal'])}"
                if v["index_where_literal"] is not None else None,
                "comment": v["index_comment"] or "an index"},
            "t_expr_idx": {"columns": [{"expression": f"lower({_q(column)} || {_lit(v['index_expression_literal'])})"
                                        if v["index_expression_literal"] is not None else f"lower({_q(column)})"}]},
        },
        "rls": {"enabled": True, "policies": {
            v["policy_name"] or "p_read": {
                "for": "all", "to": [role],
                "using": f"{_q(column)} <> {_lit(v['using_literal'])}" if v["using_literal"] is not None
                else "true",
                "with_check": f"{_q(column)} <> {_lit(v['with_check_literal'])}"
                if v["with_check_literal"] is not None else "true",
                "comment": v["policy_comment"] or "a policy"}}},
    }
    if v["pk_name"] is not None or v["pk_comment"] is not None:
        columns["id"] = {"type": "bigint"}
        table_spec["primary_key"] = {"columns": ["id"], "name": v["pk_name"] or "t_pkey",
                                     "comment": v["pk_comment"] or "a primary key"}
    if table_spec["indexes"][v["index_name"] or "t_c_idx"]["where"] is None:
        del table_spec["indexes"][v["index_name"] or "t_c_idx"]["where"]
    root = {
        "version": 1,
        "schema": schema,
        "schemas": [schema],
        "enums": {enum: {"values": ["happy", v["enum_value"] or "sad"], "comment": v["enum_comment"] or "moods"}},
        "external": {"roles": [role]},
    }
    if v["extension"] is not None or v["extension_schema"] is not None:
        root["extensions"] = [{"name": v["extension"] or "pgcrypto", "schema": v["extension_schema"] or schema}]
    function = v["function_name"] or "touch"
    function_spec = {
        "function": function, "schema": schema, "returns": "trigger", "language": "plpgsql",
        "comment": v["function_comment"] or "a function",
        "security": "definer", "search_path": [schema, v["search_path"] or "public", "pg_temp"],
        # a payload in the body rides in a PL/pgSQL comment: code the spec owns, never SQL structure
        "body": "BEGIN\n  RETURN NEW;" + (f" -- {v['function_body']}" if v["function_body"] is not None else "")
                + "\nEND;\n",
    }
    trigger = {"timing": "before", "events": ["insert", "update"], "function": _ref(schema, function),
               "args": [v["trigger_arg"] or "an arg", "second"], "comment": v["trigger_comment"] or "a trigger"}
    if v["trigger_when_literal"] is not None:
        trigger["when"] = f"new.{_q(column)} IS DISTINCT FROM {_lit(v['trigger_when_literal'])}"
    table_spec["triggers"] = {v["trigger_name"] or "t_touch": trigger}
    view_spec = {
        "view": v["view_name"] or "t_view", "schema": schema, "comment": v["view_comment"] or "a view",
        "security_invoker": True,  # over the RLS table: SD704 refuses a view without it
        "query": f"SELECT {_q(column)} FROM {_q(schema)}.{_q(table)} WHERE {_q(column)} <> "
                 + (_lit(v["view_query_literal"]) if v["view_query_literal"] is not None else "''"),
    }
    view_spec["columns"] = {column: {"comment": v["view_column_comment"] or "a view column"}}
    # reads no table (the harness's table has row level security: SD705); one row, so its unique index holds
    matview_spec = {
        "view": v["matview_name"] or "t_mat", "schema": schema, "materialized": True,
        "comment": v["matview_comment"] or "a materialized view",
        "query": f"SELECT {_lit(v['matview_query_literal'] or 'x')}::text AS {_q(column)}, 1 AS n",
        "columns": {column: {"comment": v["view_column_comment"] or "a view column"}},
        "indexes": {v["matview_index_name"] or "t_mat_idx": {"columns": [column], "unique": True,
                                                               "comment": "an index of a materialized view"}},
    }
    return {"schemadiff.yaml": _yaml(root), "tables/t.yaml": _yaml(table_spec),
            "functions/touch.yaml": _yaml(function_spec), "views/t_view.yaml": _yaml(view_spec),
            "views/t_mat.yaml": _yaml(matview_spec)}


def _q(name: str) -> str:
    """A column name as SQL writes it (always quoted: names are exact)."""
    return '"' + name.replace('"', '""') + '"'


def _ref(schema: str, table: str) -> str:
    return f"{_dotted(schema)}.{_dotted(table)}"


def _dotted(part: str) -> str:
    return '"' + part.replace('"', '""') + '"' if any(ch in part for ch in '."()') else part


def _yaml(data) -> str:
    """JSON is YAML: every string double-quoted, every character escaped as JSON does."""
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
