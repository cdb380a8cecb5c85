"""One SQL statement and what it is for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Statement:
    sql: str  # without the trailing semicolon
    kind: str  # create_extension, create_schema, create_enum, create_table, add_foreign_key,
    #            create_index, enable_rls, force_rls, create_policy, comment
    object: str  # what it creates, for messages: "table public.lead"
