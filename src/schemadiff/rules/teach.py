"""A refusal that teaches: the rule's safe path and where it is explained, as lines.

One rendering for every human report (``plan``'s text, ``check``'s text); the
machine reports (GitHub, SARIF, JSON) carry the same steps as data.
"""

from __future__ import annotations

from ..oneline import one_line
from .base import doc_link, safe_path


def teaching_lines(code: str, name: str, indent: str = "      ") -> list[str]:
    """``safe path:`` and its numbered steps, then ``see docs/rules.md#…``; [] for a
    code without a safe path (a repository policy, SD000)."""
    steps = safe_path(code)
    if not steps:
        return []
    return ([f"{indent}safe path:"] + [f"{indent}  {n}. {one_line(step)}" for n, step in enumerate(steps, 1)]
            + [f"{indent}see {doc_link(code, name)}"])


def safe_path_text(code: str) -> str:
    """The safe path on one line: ``1. …; 2. …``; "" when the code has none."""
    return "; ".join(f"{n}. {step}" for n, step in enumerate(safe_path(code), 1))
