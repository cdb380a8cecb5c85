"""Durations for ``lock_timeout`` and ``statement_timeout``: text in, integer
milliseconds out, within bounds — or a one-line refusal.

One function reads every duration schemadiff accepts: a CLI option
(``--lock-timeout 5s``) and the value of a ``SET lock_timeout`` the final guard
finds in a plan. What it returns is an integer number of milliseconds, never the
text it was given, so nothing typed by a user reaches the server as SQL: apply
sends ``f"{ms}ms"`` as a bound parameter, and scripts (``plan --format sql``,
migration files) carry ``shown(ms)``, the same integer as whole seconds or
milliseconds (``5s``, ``250ms``).

Accepted: a bare integer (milliseconds, as PostgreSQL reads it) or a decimal
number with one of the units ``ms``, ``s``, ``min``, ``h``, ``d``: ``250ms``,
``5s``, ``1.5s``, ``2min``, ``1h``. The exact value must be at least 1 ms before
any rounding (PostgreSQL rounds ``0.4ms`` to 0, which means *no* timeout) and,
rounded to the millisecond, at most the bound. Refused: 0, negatives, ``us``,
exponents, hexadecimal, anything else.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

LOCK_TIMEOUT_MAX_MS = 10 * 60 * 1000  # 10 min: a migration waiting longer for a lock should stop and say so
STATEMENT_TIMEOUT_MAX_MS = 24 * 60 * 60 * 1000  # 24 h
MAX_RETRIES = 20  # apply --retries: tries after a lock timeout, per step or phase
MAX_LOCK_WAIT = 3600.0  # apply --lock-wait: seconds to wait for another apply

_UNITS_MS = {"": 1, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"(?P<number>[0-9]{1,12}(?:\.[0-9]{1,9})?)\s*(?P<unit>ms|s|min|h|d)?")


class DurationError(ValueError):
    pass


def shown(ms: int) -> str:
    """``ms`` written back canonically: whole seconds in ``s``, else ``ms`` (5s, 60s, 250ms, 1500ms)."""
    ms = int(ms)
    return f"{ms // 1000}s" if ms and ms % 1000 == 0 else f"{ms}ms"


def parse_ms(text: str | int, *, what: str, maximum: int) -> int:
    """``text`` as integer milliseconds in 1 .. ``maximum``, else DurationError."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise DurationError(f"{what} must be a duration such as 250ms, 5s, 2min or 1h")
    raw = str(text)
    match = _DURATION.fullmatch(raw.strip())
    if not match or (match["unit"] is None and "." in match["number"]):
        raise DurationError(f"{what} {raw[:40]!r} is not a duration: write 250ms, 5s, 2min, 1h, or an integer "
                            "number of milliseconds")
    exact = Decimal(match["number"]) * _UNITS_MS[match["unit"] or ""]
    if exact < 1:
        raise DurationError(f"{what} {raw!r} is less than 1ms (0 would mean no timeout at all)")
    ms = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if ms > maximum:
        raise DurationError(f"{what} {raw!r} is more than the bound of {shown(maximum)}")
    return ms


def lock_timeout_ms(text: str | int) -> int:
    return parse_ms(text, what="lock_timeout", maximum=LOCK_TIMEOUT_MAX_MS)


def statement_timeout_ms(text: str | int) -> int:
    return parse_ms(text, what="statement_timeout", maximum=STATEMENT_TIMEOUT_MAX_MS)


def canonical(ms: int) -> str:
    """The text given to the server (and written into scripts) for ``ms``."""
    return f"{int(ms)}ms"
