"""The format of a policy file (``schemadiff-policy.yaml``), as pydantic models.

Apart from ``policy.py`` so that a ``check`` without a policy file imports no pydantic.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class WaiverSpec(_Strict):
    rule: StrictStr = Field(description="The rule or policy waived: its code (SD302) or name (drop-column).")
    object: StrictStr = Field(description="The object: schema.table, schema.table.column, schema.table.index, "
                                          "schema.table.constraint, schema.table.policy, schema.type; "
                                          "the schema may be left out for the spec's default schema.")
    reason: StrictStr = Field(min_length=1, description="Why this is acceptable; shown in every report.")
    expires: StrictStr = Field(description="The last day the waiver holds, YYYY-MM-DD (quoted).")

    @field_validator("expires")
    @classmethod
    def _date(cls, value: str) -> str:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("expected a date YYYY-MM-DD") from None
        return value


class PolicySpec(_Strict):
    version: Literal[1]
    severity: dict[StrictStr, Literal["error", "warning", "off"]] = Field(default_factory=dict)
    forbid: list[Literal["changes-to-existing-tables", "new-triggers", "rls-changes",
                         "index-without-concurrently"]] = Field(default_factory=list)
    waivers: list[WaiverSpec] = Field(default_factory=list)
