"""Keeping under Mimecast's rate limit: read X-RateLimit-* from every answer, slow down before it runs out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable

from splunk_app.mimecast.errors import OutOfTime

LOW_WATER = 5


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """A numeric header, or None when it is missing or not a number."""
    value = headers.get(name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def reset_seconds(headers: Mapping[str, str]) -> float | None:
    """X-RateLimit-Reset is in milliseconds until the window resets."""
    reset = header_number(headers, "X-RateLimit-Reset")
    return None if reset is None or reset < 0 else reset / 1000.0


def pacing_delay(remaining: float | None, until_reset: float, low_water: int = LOW_WATER) -> float:
    """How long to wait before the next request: nothing while plenty remain, the few left spread over
    the rest of the window, the whole rest of the window when none remain."""
    if remaining is None or until_reset <= 0 or remaining > low_water:
        return 0.0
    if remaining <= 0:
        return until_reset
    return until_reset / (remaining + 1)


class RateLimiter:
    """Remembers the last answer's allowance and waits (with the injected sleep) before the next request."""

    def __init__(
        self,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        low_water: int = LOW_WATER,
        max_wait: float = float("inf"),
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._low_water = low_water
        self._max_wait = max_wait
        self._remaining: float | None = None
        self._reset_at = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        remaining, reset = header_number(headers, "X-RateLimit-Remaining"), reset_seconds(headers)
        if remaining is None or reset is None:
            return
        self._remaining, self._reset_at = remaining, self._clock() + reset

    def wait(self) -> float:
        """Sleeps as long as pacing asks; returns how long, and counts this request against the allowance.
        OutOfTime, without waiting, when pacing asks for longer than `max_wait`."""
        delay = pacing_delay(self._remaining, self._reset_at - self._clock(), self._low_water)
        if delay > self._max_wait:
            raise OutOfTime(
                f"rate limit: Mimecast asks to wait {delay:.0f} s before the next call, longer than the "
                f"{self._max_wait:.0f} s this add-on waits; the run ends here, the next interval resumes.",
                endpoint="rate_limit",
                retry_after=delay,
            )
        if delay > 0:
            self._sleep(delay)
        if self._remaining is not None:
            window_over = self._clock() >= self._reset_at
            self._remaining = None if window_over else self._remaining - 1
        return delay
