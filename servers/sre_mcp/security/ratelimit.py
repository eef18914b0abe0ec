"""Per-tool rate limits: one token bucket per tool, so a runaway loop is stopped
without starving the other tools. Limits are calls per minute from
`config.rate_limits` ({"tool": n, "*": default}); the burst is one minute's worth.

Buckets exist only for tools the server offers; every name it does not know shares one
bucket, so a stream of invented tool names costs no memory and is limited as one."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from sre_mcp.errors import Refusal

DEFAULT_PER_MINUTE = 600.0
UNKNOWN_TOOLS = "<unknown tools>"


class TokenBucket:
    def __init__(self, per_minute: float, clock: Callable[[], float]):
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, per_minute)
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock()

    def take(self) -> float:
        """0 when a call may go now, else the seconds until one may."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate if self.rate > 0 else float("inf")


class RateLimitPolicy:
    def __init__(self, limits: dict[str, float] | None, clock: Callable[[], float] = time.monotonic,
                 known: Callable[[str], bool] | None = None):
        limits = dict(limits or {})
        self.default = float(limits.pop("*", DEFAULT_PER_MINUTE))
        self.limits = {k: float(v) for k, v in limits.items()}
        self.clock = clock
        self.known = known
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def per_minute(self, tool: str) -> float:
        return self.limits.get(tool, self.default)

    def check(self, tool: str, arguments: dict[str, Any]) -> None:
        key = tool if self.known is None or self.known(tool) else UNKNOWN_TOOLS
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(self.per_minute(key), self.clock)
            wait = bucket.take()
        if wait:
            limit = self.per_minute(key)
            raise Refusal(
                f"rate limit exceeded for {key}: at most {limit:g} calls per minute",
                hint=f"retry in {wait:.1f}s; if a loop is repeating the same call, stop and summarise what you have",
                notes={"rate_limited": True},
            )
