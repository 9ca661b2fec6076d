"""When to try a failed call again and how long to wait first: small pure functions a table can test."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from splunk_app.mimecast.errors import MimecastError


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying one logical call: how many retries, how long in all, how long per back-off, and
    the longest wait Mimecast's rate limit may ask for (past it the run ends and the next one resumes)."""

    max_retries: int = 5
    max_elapsed: float = 300.0
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_rate_wait: float = 120.0


def should_retry(
    error: MimecastError, retries_done: int, elapsed: float, delay: float, policy: RetryPolicy
) -> bool:
    """Retry only what may work later, and only within the policy's count and total time."""
    return (
        error.retryable
        and retries_done < policy.max_retries
        and elapsed + delay <= policy.max_elapsed
        and delay <= policy.max_rate_wait
    )


def backoff_delay(retry_number: int, policy: RetryPolicy) -> float:
    """Exponential: base, 2 x base, 4 x base ... capped at max_delay (retry_number counts from 0)."""
    return min(policy.max_delay, policy.base_delay * (2**retry_number))


def jitter(delay: float, rand: Callable[[], float] = random.random) -> float:
    """Between half and all of `delay`, so that many clients do not retry in step."""
    return delay * (0.5 + rand() / 2)


def retry_delay(
    error: MimecastError, retry_number: int, policy: RetryPolicy, rand: Callable[[], float] = random.random
) -> float:
    """The wait before the next try: the back-off, but never shorter than what Mimecast asked for."""
    return max(jitter(backoff_delay(retry_number, policy), rand), error.retry_after or 0.0)
