"""Model -> SQL. The only package that builds SQL text."""

from .schema import compile_schema, render_script
from .statements import Statement

__all__ = ["Statement", "compile_schema", "render_script"]
