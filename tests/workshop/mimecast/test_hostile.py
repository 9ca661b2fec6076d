"""The client against a hostile Mimecast (devkit/hostile.py): every answer ends in a bounded time and memory,
as a clear error or as records handed on, and no error repeats a secret, a token or a forged line."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator

import pytest

from devkit.hostile import BEHAVIOURS, FORGED_LINE, HostileMimecast
from splunk_app.mimecast import (
    ApiError,
    BadCredentials,
    Client,
    HmacCredentials,
    Limits,
    MalformedResponse,
    MimecastError,
    NetworkError,
    OAuth2Credentials,
    OutOfTime,
    RateLimited,
    TooLarge,
)
from splunk_app.mimecast.retry import RetryPolicy

# What each answer must end as: an error of this class, or (None) pages handed on whole.
EXPECTED: dict[str, type[MimecastError] | None] = {
    "huge_page": TooLarge,
    "oversized": TooLarge,
    "gzip_bomb": TooLarge,
    "deep_json": TooLarge,
    "wrong_types": MalformedResponse,
    "lone_surrogates": None,
    "non_finite": None,
    "looping_tokens": MalformedResponse,
    "endless_tokens": MalformedResponse,
    "hour_reset": OutOfTime,
    "hour_429": RateLimited,
    "slow_drip": NetworkError,
    "slow_headers": NetworkError,
    "redirect": ApiError,
    "echo_credentials": BadCredentials,
    "newline_errors": ApiError,
}
SECONDS = 20.0
PEAK_BYTES = 160 * 1024 * 1024


def test_every_behaviour_has_an_expected_outcome() -> None:
    assert set(EXPECTED) == set(BEHAVIOURS)


def credentials(server: HostileMimecast, auth: str) -> OAuth2Credentials | HmacCredentials:
    return server.tenant.oauth2 if auth == "oauth2" else server.tenant.hmac


def secrets(server: HostileMimecast) -> list[str]:
    keys = server.keys
    return [keys.client_secret, keys.app_key, keys.access_key, keys.secret_key]


@pytest.fixture(params=sorted(EXPECTED))
def hostile(request: pytest.FixtureRequest) -> Iterator[HostileMimecast]:
    with HostileMimecast(request.param) as server:
        yield server


@pytest.mark.parametrize("auth", ["oauth2", "hmac"])
def test_a_hostile_answer_ends_bounded_and_clean(hostile: HostileMimecast, auth: str) -> None:
    sleeps: list[float] = []
    client = Client(
        hostile.base_url,
        credentials(hostile, auth),
        timeout=(2.0, 2.0),
        sleep=sleeps.append,
        limits=Limits(request_seconds=1.5),
        retry=RetryPolicy(max_retries=1, base_delay=0.01, max_delay=0.01),
        max_pages=40,
    )
    pages = 0
    started = time.monotonic()
    tracemalloc.start()
    try:
        try:
            for _page in client.pages("safe_score_details", page_size=5):
                pages += 1
            raised: MimecastError | None = None
        except MimecastError as err:
            raised = err
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started

    expected = EXPECTED[hostile.behaviour]
    if expected is None:
        assert raised is None, repr(raised)
        assert pages >= 1
    else:
        assert isinstance(raised, expected), repr(raised)
    assert elapsed < SECONDS
    assert peak < PEAK_BYTES, f"{peak / 2**20:.0f} MiB"
    assert all(wait <= RetryPolicy().max_rate_wait for wait in sleeps), sleeps
    if raised is not None:
        said = " ".join((str(raised), raised.body, repr(raised)))
        for secret in (*secrets(hostile), *client._secrets()):  # the keys and every token received
            assert secret not in said
        assert "\n" not in str(raised) and "\r" not in str(raised) and "\x1b" not in str(raised)
        assert FORGED_LINE not in str(raised) or "\\n" in str(raised)


def test_an_echoed_bearer_token_is_masked() -> None:
    with HostileMimecast("echo_credentials") as server:
        client = Client(server.base_url, server.tenant.oauth2, retry=RetryPolicy(max_retries=0))
        with pytest.raises(BadCredentials) as caught:
            client.post("safe_score_summary")
    issued = [token for token in client._auth.secrets() if token not in secrets(server)]
    assert issued, "the client received a token first"
    assert all(token not in str(caught.value) for token in issued)
    assert "Bearer ********" in str(caught.value)


def test_a_redirect_with_a_json_body_is_not_success() -> None:
    with HostileMimecast("redirect") as server:
        client = Client(server.base_url, server.tenant.hmac, retry=RetryPolicy(max_retries=0))
        with pytest.raises(ApiError, match="HTTP 302") as caught:
            client.post("safe_score_summary")
    assert caught.value.status == 302
