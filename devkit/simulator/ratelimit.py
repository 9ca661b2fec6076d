"""A fixed-window request limit that reports itself as Mimecast's X-RateLimit-* headers do."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    limit: int
    remaining: int
    reset_ms: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_ms),
        }


class RateLimiter:
    """`limit` requests per `window` seconds; the window starts with its first request."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._start = -math.inf
        self._used = 0
        self._lock = threading.Lock()

    def hit(self) -> Allowance:
        """Counts one request and says whether it may run."""
        with self._lock:
            now = self._clock()
            if now >= self._start + self.window:
                self._start, self._used = now, 0
            allowed = self._used < self.limit
            if allowed:
                self._used += 1
            reset_ms = max(1, math.ceil((self._start + self.window - now) * 1000))
            return Allowance(allowed, self.limit, self.limit - self._used, reset_ms)
