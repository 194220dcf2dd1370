"""Slack's pace: a per-channel token bucket, backoff for errors, and Retry-After read safely.

chat.postMessage allows about one message per second per channel (short bursts tolerated), so
each channel gets its own bucket on the sender's injected clock; a 429 pauses that channel's
bucket for its Retry-After instead of the whole drain. A Retry-After header is Slack's to send but
the network's to garble: 'inf' or '1e12' would overflow the clock arithmetic and stall an
incident's alerts for ever, so it is clamped to MAX_RETRY_AFTER.
"""

from __future__ import annotations

import random
from typing import Callable

MAX_RETRY_AFTER = 900.0  # seconds: Slack asks for seconds to a minute; more is a broken header


class TokenBucket:
    """A token bucket on an injected clock; `pause_until` honours a 429's Retry-After."""

    def __init__(self, *, rate: float, burst: int, now: float):
        self.rate, self.burst = rate, max(1, burst)
        self.tokens, self.updated, self.paused_until = float(self.burst), now, now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill(now)
        if now < self.paused_until:
            return self.paused_until - now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def pause_until(self, moment: float) -> None:
        self.paused_until = max(self.paused_until, moment)
        self.tokens = min(self.tokens, 0.0)

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)


def backoff_seconds(attempts: int, *, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Doubling per attempt from `base`, jittered into [half, full], capped."""
    full = min(cap, base * 2 ** max(0, attempts - 1))
    return full * (0.5 + 0.5 * rng())


def retry_after_seconds(headers, *, default: float) -> float:
    """A 429's Retry-After in seconds, within [0, MAX_RETRY_AFTER]; `default` when absent or unreadable."""
    headers = headers or {}
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        return default
    if seconds != seconds:  # NaN
        return default
    return min(max(0.0, seconds), MAX_RETRY_AFTER)
