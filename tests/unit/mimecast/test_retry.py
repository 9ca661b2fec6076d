"""The retry policy as a table: which answers are retried, how long the waits are, where it stops."""

from __future__ import annotations

import pytest

from splunk_app.mimecast import MalformedResponse, NetworkError, ProxyError, TlsError
from splunk_app.mimecast.errors import from_response
from splunk_app.mimecast.retry import RetryPolicy, backoff_delay, jitter, retry_delay, should_retry

POLICY = RetryPolicy(max_retries=4, max_elapsed=100.0, base_delay=1.0, max_delay=10.0)


def _fail(code: str, retryable: bool = False) -> dict:
    return {
        "meta": {"status": 200},
        "data": [],
        "fail": [{"errors": [{"code": code, "message": code, "retryable": retryable}]}],
    }


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (500, {}, True),
        (502, {}, True),
        (503, {}, True),
        (504, {}, True),
        (509, {}, True),
        (429, {}, True),
        (400, {}, False),
        (401, _fail("err_xdk_invalid_signature"), False),
        (401, _fail("token_expired", retryable=True), False),
        (403, {}, False),
        (404, {}, False),
        (405, {}, False),
        (409, {}, False),
        (418, _fail("err_xdk_binding_expired"), False),
        (200, _fail("err_developer_key"), False),
        (200, _fail("err_temporarily_unavailable", retryable=True), True),
    ],
)
def test_which_answers_are_retried(status, payload, expected):
    error = from_response("queue", status, payload)
    assert error is not None
    assert should_retry(error, 0, 0.0, 1.0, POLICY) is expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (NetworkError("x", endpoint="e"), True),
        (ProxyError("x", endpoint="e"), False),
        (TlsError("x", endpoint="e"), False),
        (MalformedResponse("x", endpoint="e"), False),
    ],
)
def test_which_failures_without_an_answer_are_retried(error, expected):
    assert should_retry(error, 0, 0.0, 1.0, POLICY) is expected


def test_retries_stop_at_the_count_and_the_total_time():
    error = NetworkError("x", endpoint="e")
    assert should_retry(error, 3, 0.0, 1.0, POLICY)
    assert not should_retry(error, 4, 0.0, 1.0, POLICY)
    assert should_retry(error, 0, 90.0, 10.0, POLICY)
    assert not should_retry(error, 0, 90.0, 10.5, POLICY)


def test_backoff_doubles_up_to_the_cap():
    assert [backoff_delay(n, POLICY) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


@pytest.mark.parametrize(("rand", "expected"), [(0.0, 4.0), (0.5, 6.0), (1.0, 8.0)])
def test_jitter_is_between_half_and_all_of_the_delay(rand, expected):
    assert jitter(8.0, lambda: rand) == expected


def test_a_rate_limit_wait_is_never_shorter_than_the_reset_time():
    error = from_response("queue", 429, {}, retry_after=7.5)
    assert retry_delay(error, 0, POLICY, lambda: 0.0) == 7.5
    assert retry_delay(error, 4, POLICY, lambda: 1.0) == 10.0
