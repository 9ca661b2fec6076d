"""Pacing under X-RateLimit-*: no wait while plenty remain, spread the last few, wait out an empty window."""

from __future__ import annotations

import pytest

from splunk_app.mimecast.ratelimit import RateLimiter, pacing_delay, reset_seconds

from .fakes import FakeTime


@pytest.mark.parametrize(
    ("remaining", "until_reset", "expected"),
    [
        (None, 3.0, 0.0),
        (800, 3.758, 0.0),
        (6, 3.0, 0.0),
        (5, 3.0, 0.5),
        (1, 3.0, 1.5),
        (0, 3.758, 3.758),
        (0, 0.0, 0.0),
        (0, -1.0, 0.0),
    ],
)
def test_pacing_delay(remaining, until_reset, expected):
    assert pacing_delay(remaining, until_reset) == pytest.approx(expected)


def test_reset_header_is_milliseconds():
    assert reset_seconds({"X-RateLimit-Reset": "3758"}) == pytest.approx(3.758)
    assert reset_seconds({"X-RateLimit-Reset": "soon"}) is None
    assert reset_seconds({}) is None


def test_limiter_waits_out_the_window_when_nothing_remains():
    fake = FakeTime()
    limiter = RateLimiter(fake.clock, fake.sleep)
    assert limiter.wait() == 0.0
    limiter.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2000"})
    fake.now += 0.5
    assert limiter.wait() == pytest.approx(1.5)
    assert fake.sleeps == [pytest.approx(1.5)]
    assert limiter.wait() == 0.0, "after the window ends the allowance is unknown until the next answer"


def test_limiter_spreads_the_last_requests_and_counts_them_down():
    fake = FakeTime()
    limiter = RateLimiter(fake.clock, fake.sleep)
    limiter.observe({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "4000"})
    first = limiter.wait()
    second = limiter.wait()
    assert first == pytest.approx(1.0)
    assert second == pytest.approx(1.0)
    assert 0 < sum(fake.sleeps) < 4.0


def test_limiter_ignores_answers_without_the_headers():
    fake = FakeTime()
    limiter = RateLimiter(fake.clock, fake.sleep)
    limiter.observe({"X-RateLimit-Remaining": "0"})
    assert limiter.wait() == 0.0
    assert fake.sleeps == []
