"""What to tell a person when the server rejects a step of ``apply``.

The server's own words first: its message, and its DETAIL and HINT when it
gives them (psycopg's ``exc.diag``), which often name the very columns or rows
at fault. Then whether running ``apply`` again can help: only when the failure
depends on the moment — a lock not obtained in time, a serialization failure or
deadlock, a statement cancelled by its timeout, the connection lost or the
server shutting down. A rejected definition (a type mismatch, a missing
column, a duplicate name, a violating row) fails the same way every time: then
the advice is to fix the spec or the data, never to retry.
"""

from __future__ import annotations

import psycopg

from .oneline import one_line

# SQLSTATEs (and classes) whose failure may not recur: a retry can succeed.
TRANSIENT_STATES = frozenset({"40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03", "53300"})
TRANSIENT_CLASSES = ("08",)  # connection exceptions


def is_transient(exc: BaseException) -> bool:
    state = getattr(exc, "sqlstate", None)
    if state is None:
        # No SQLSTATE: the connection broke before the server answered (OperationalError).
        return isinstance(exc, psycopg.OperationalError)
    return state in TRANSIENT_STATES or state.startswith(TRANSIENT_CLASSES)


def server_message(exc: BaseException) -> str:
    """The server's message, then ``DETAIL: …`` and ``HINT: …`` when given (each on one line)."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if not primary:
        primary = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    parts = [one_line(primary)]
    state = getattr(exc, "sqlstate", None)
    if state:
        parts[0] += f" (SQLSTATE {state})"
    for label, attr in (("DETAIL", "message_detail"), ("HINT", "message_hint")):
        text = getattr(diag, attr, None) if diag is not None else None
        if text:
            parts.append(f"{label}: {one_line(text)}")
    return "\n  ".join(parts)


def advice(exc: BaseException) -> str:
    if is_transient(exc):
        return "This failure depends on the moment (locks, concurrency, the connection): run apply again to continue."
    return ("The server rejects this statement as written: running apply again fails the same way. Fix the spec "
            "(or the data the message names), then plan again.")
