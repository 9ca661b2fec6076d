"""The client's bounds without a network: the base URL rule, the proxy URL, the rate-limit wait cap, the run's
deadline, paging loops, and how Mimecast's own words are quoted."""

from __future__ import annotations

import json

import pytest
import requests

from splunk_app.mimecast import Client, InsecureUrl, MalformedResponse, OutOfTime, Proxy, RateLimited
from splunk_app.mimecast.errors import MAX_DEPTH, TooLarge, from_response, parse_body
from splunk_app.mimecast.ratelimit import RateLimiter
from splunk_app.mimecast.transport import check_base_url

from .fakes import FakeTime
from .test_client import HMAC, client_with, ok


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://api.services.mimecast.com", "https://api.services.mimecast.com"),
        ("https://EU-API.mimecast.com/", "https://eu-api.mimecast.com"),
        ("https://eu-api.mimecast.com:8443", "https://eu-api.mimecast.com:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://[2001:db8::1]", "https://[2001:db8::1]"),
    ],
)
def test_a_plain_origin_is_kept(given: str, kept: str) -> None:
    assert check_base_url(given) == kept


@pytest.mark.parametrize(
    "given",
    [
        "http://HOST\\@127.0.0.1",  # requests would connect to HOST, in clear text
        "http://evil.example\\@127.0.0.1:80",
        "https://user:pass@eu-api.mimecast.com",
        "https://eu-api.mimecast.com@evil.example",
        "https://eu-api.mimecast.com/api",
        "https://eu-api.mimecast.com?x=1",
        "https://eu-api.mimecast.com#frag",
        "https://eu-api.mimecast.com ",
        " https://eu-api.mimecast.com",
        "https://eu-api.mimecast.com\n",
        "https://eu-api.mimecast.com\x00",
        "https://eu-api.mimecast.com:0",
        "https://eu-api.mimecast.com:99999",
        "https://eu api.mimecast.com",
        "http://eu-api.mimecast.com",
        "http://127.0.0.2:80",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "ftp://eu-api.mimecast.com",
        "https://",
        "eu-api.mimecast.com",
        "",
    ],
)
def test_anything_else_is_refused(given: str) -> None:
    with pytest.raises(InsecureUrl) as caught:
        check_base_url(given)
    assert "\n" not in str(caught.value) and "\x00" not in str(caught.value)


def test_a_refused_url_never_reaches_the_network() -> None:
    with pytest.raises(InsecureUrl):
        Client("http://HOST\\@127.0.0.1", HMAC)


def test_an_ipv6_proxy_with_credentials_gives_a_url_requests_can_use() -> None:
    url = Proxy("http://[2001:db8::3]:3128", "proxy user", "p@ss:word").requests_url()
    assert url == "http://proxy%20user:p%40ss%3Aword@[2001:db8::3]:3128"
    prepared = requests.Request("GET", "https://eu-api.mimecast.com").prepare()
    assert requests.utils.select_proxy(prepared.url, {"https": url}) == url
    assert requests.utils.urlparse(url).hostname == "2001:db8::3"


def test_a_pacing_wait_over_the_cap_ends_the_run_without_waiting() -> None:
    fake = FakeTime()
    limiter = RateLimiter(fake.clock, fake.sleep, max_wait=120.0)
    limiter.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3600000"})
    with pytest.raises(OutOfTime, match="3600 s"):
        limiter.wait()
    assert fake.sleeps == []


def test_a_429_asking_for_an_hour_is_not_slept() -> None:
    hour = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3600000"}
    refused = (429, {"fail": [{"errors": [{"code": "err_rate_limit_exceeded", "message": "slow"}]}]}, hour)
    client, transport, fake = client_with(refused, ok([]))
    with pytest.raises(RateLimited):
        client.post("queue")
    assert fake.sleeps == [] and len(transport.sent) == 1


def test_the_run_ends_when_its_time_is_up_and_each_request_gets_only_what_is_left() -> None:
    client, transport, fake = client_with(ok([]), ok([]), run_seconds=100.0)
    fake.now += 60
    client.post("queue")
    assert transport.budgets == [pytest.approx(40.0)]
    fake.now += 41
    with pytest.raises(OutOfTime, match="100 s"):
        client.post("queue")
    assert len(transport.sent) == 1


def test_a_retry_that_would_outlast_the_run_is_not_waited_for() -> None:
    busy = (503, {"fail": []}, {})
    client, _, fake = client_with(busy, ok([]), run_seconds=0.5)
    with pytest.raises(OutOfTime):
        client.post("queue")
    assert fake.sleeps == []


def test_paging_stops_at_a_token_seen_before_after_handing_on_the_pages_read() -> None:
    client, _, _ = client_with(
        ok([{"a": 1}], {"next": "A"}), ok([{"a": 2}], {"next": "B"}), ok([{"a": 3}], {"next": "A"})
    )
    pages = client.pages("queue")
    assert [next(pages).records, next(pages).records] == [[{"a": 1}], [{"a": 2}]]
    with pytest.raises(MalformedResponse, match="already read"):
        next(pages)


def test_paging_stops_after_the_most_pages_one_call_may_have() -> None:
    answers = [ok([{"n": n}], {"next": f"t{n}"}) for n in range(5)]
    client, transport, _ = client_with(*answers, max_pages=3)
    with pytest.raises(MalformedResponse, match="after 3"):
        list(client.pages("queue"))
    assert len(transport.sent) == 3


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_an_error_even_with_a_success_body(status: int) -> None:
    error = from_response("queue", status, {"meta": {"status": 200}, "data": [], "fail": []})
    assert error is not None and error.status == status and "redirect" in str(error)


def test_mimecasts_words_are_quoted_on_one_line_short_and_without_secrets() -> None:
    said = "bad Bearer abc.def.ghi for secret-value\r\nFAKE LINE \x1b[31m" + "x" * 1000
    payload = {"fail": [{"errors": [{"code": "err\nforged", "message": said}]}]}
    error = from_response("queue", 400, payload, secrets=("secret-value",))
    text = str(error)
    assert "abc.def.ghi" not in text and "secret-value" not in text
    assert not any(ord(c) < 32 for c in text)
    assert "\\r\\n" in text and len(text) < 600


def test_json_nested_deeper_than_the_limit_is_refused_clearly() -> None:
    deep = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
    with pytest.raises(TooLarge, match="levels deep"):
        parse_body("queue", 200, deep, "", None)
    very_deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(TooLarge, match="levels deep"):
        parse_body("queue", 200, very_deep, "", None)
    fine = json.dumps({"data": [{"a": [[{"b": 1}]]}]}).encode()
    assert parse_body("queue", 200, fine, "", None)["data"][0]["a"] == [[{"b": 1}]]


def test_a_fail_code_is_kept_on_one_line_too() -> None:
    payload = {"fail": [{"errors": [{"code": "err_validation\nforged=1", "message": "bad"}]}]}
    error = from_response("queue", 400, payload)
    assert error is not None and error.code == "err_validation\\nforged=1"
    token = {"fail": [{"errors": [{"code": "token_expired", "message": "Access Token Expired"}]}]}
    assert from_response("queue", 401, token).code == "token_expired"
