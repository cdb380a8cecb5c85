"""The safety rules: one small rule per file, each with a stable code.

Codes by hundreds: 1xx additive, 2xx widening (allowed, reported), 3xx
destructive, 4xx breaking, 5xx tightening, 6xx rewrite, 7xx authorization.
Rules judge typed Changes, never SQL text. Importing this package registers
them all; registering a code or name twice fails at import.
"""

from importlib import import_module
from pkgutil import iter_modules

from .base import (
    RULES_DOC, UNJUDGED, Context, Finding, Rule, Verdict, all_rules, doc_link, evaluate, safe_path, verdict_of,
)
from .teach import teaching_lines

for _module in iter_modules(__path__):
    if _module.name.startswith("sd"):
        import_module(f"{__name__}.{_module.name}")

__all__ = ["RULES_DOC", "UNJUDGED", "doc_link", "safe_path", "teaching_lines", "Context", "Finding", "Rule", "Verdict", "all_rules", "evaluate", "verdict_of"]
