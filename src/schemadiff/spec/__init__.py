"""YAML spec directory -> model, with errors that name file, line and object."""

from .errors import Mark, SpecError, SpecIssue
from .load import LoadedSpec, load_spec

__all__ = ["LoadedSpec", "Mark", "SpecError", "SpecIssue", "load_spec"]
