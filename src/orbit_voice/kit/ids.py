"""Prefixed, URL-safe identifiers (``call_0Uq3m9Xk2Lb7f...``).

The first 11 characters encode a strictly increasing nanosecond timestamp and the last 11 are
random, so ids created in the same clock tick still sort in creation order: keyset pages
(newest first by ``created_at``, then ``id``) keep insertion order even when a test clock
gives many rows the same ``created_at``.
"""

from __future__ import annotations

import secrets
import string
import threading
import time

# Digits, then upper, then lower case: ASCII order, so string order is numeric order.
_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
_TIME_WIDTH = 11
_lock = threading.Lock()
_last_ns = 0


def random_token(length: int = 22) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _time_part() -> str:
    global _last_ns
    with _lock:
        now = max(time.time_ns(), _last_ns + 1)
        _last_ns = now
    digits = []
    for _ in range(_TIME_WIDTH):
        now, rem = divmod(now, 62)
        digits.append(_ALPHABET[rem])
    return "".join(reversed(digits))


def new_id(prefix: str) -> str:
    return f"{prefix}_{_time_part()}{random_token(11)}"
