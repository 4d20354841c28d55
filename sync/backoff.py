"""Retry delays: exponential backoff with full jitter.

Full jitter (a uniform draw in [0, min(cap, base * 2^attempt)]) spreads a
reconnect storm of tablets coming back into coverage at once, instead of
having them retry in lockstep.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# First retry waits up to 1 s: long enough for a flapping link, short for a user.
BASE_DELAY_S = 1.0
# Never wait more than 5 minutes between tries: a tablet back in coverage
# should sync within minutes, and the server can take 50 tablets at once.
MAX_DELAY_S = 300.0
# 2^9 s already exceeds the cap; clamping the exponent avoids huge floats.
_MAX_EXPONENT = 30


def full_jitter(
    attempt: int,
    *,
    base: float = BASE_DELAY_S,
    cap: float = MAX_DELAY_S,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number `attempt` (0 for the first retry)."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    ceiling: float = min(cap, base * 2.0 ** min(attempt, _MAX_EXPONENT))
    return rand() * ceiling
