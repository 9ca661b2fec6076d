"""The client over a scripted transport: answers the simulator never gives."""

from __future__ import annotations

import json

import pytest

from splunk_app.mimecast import (
    ApiError,
    Client,
    HmacCredentials,
    MalformedResponse,
    OAuth2Credentials,
    Proxy,
    ProxyError,
)
from splunk_app.mimecast import client as client_module
from splunk_app.mimecast.retry import RetryPolicy
from splunk_app.mimecast.transport import HttpResponse

from .fakes import FakeTime

HMAC = HmacCredentials(app_id="app", app_key="app-key", access_key="access", secret_key="c2VjcmV0")


class ScriptedTransport:
    """Answers each POST with the next scripted (status, payload, headers)."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, bytes, dict]] = []
        self.budgets: list[float | None] = []

    def post(self, endpoint, url, body, headers, seconds=None):
        self.sent.append((url, body, dict(headers)))
        self.budgets.append(seconds)
        status, payload, headers = self.answers.pop(0)
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return HttpResponse(status, headers, raw)


def ok(data, pagination=None):
    meta = {"status": 200}
    if pagination is not None:
        meta["pagination"] = pagination
    return 200, {"meta": meta, "data": data, "fail": []}, {}


def client_with(*answers, credentials=HMAC, **options):
    fake = FakeTime()
    transport = ScriptedTransport(*answers)
    client = Client(
        "https://eu-api.mimecast.com",
        credentials,
        sleep=fake.sleep,
        clock=fake.clock,
        rand=lambda: 1.0,
        transport=transport,
        **options,
    )
    return client, transport, fake


def test_a_page_that_points_to_itself_stops_the_loop():
    client, _, _ = client_with(ok([{"a": 1}], {"next": "t1"}), ok([{"a": 2}], {"next": "t1"}))
    pages = client.pages("queue")
    assert next(pages).records == [{"a": 1}]
    with pytest.raises(MalformedResponse, match="points back to a page already read"):
        next(pages)


@pytest.mark.parametrize(
    ("name", "payload", "words"),
    [
        ("queue", {"meta": {}, "fail": []}, "no data"),
        ("campaigns", {"data": [{"notCampaigns": []}], "fail": []}, "data[0].campaigns"),
        ("queue", {"data": [1, 2], "fail": []}, "not JSON objects"),
        ("safe_score_summary", {"data": ["x"], "fail": []}, "data[0] that is not an object"),
        ("queue", [1, 2], "not an object"),
    ],
)
def test_wrong_shapes_are_malformed(name, payload, words):
    client, _, _ = client_with((200, payload, {}))
    with pytest.raises(MalformedResponse, match=words.replace("[", r"\[").replace("]", r"\]")):
        list(client.records(name))


def test_shapes_are_read_per_endpoint():
    client, _, _ = client_with(
        ok([{"campaigns": [{"id": "c1"}, {"id": "c2"}]}]), ok([]), ok([{"scoreCounts": {"a": 1}}])
    )
    assert [c["id"] for c in client.records("campaigns")] == ["c1", "c2"]
    assert list(client.records("training_details")) == []
    assert list(client.records("safe_score_summary")) == [{"scoreCounts": {"a": 1}}]


def test_retries_stop_at_the_total_time_budget():
    error = (503, {"fail": []}, {})
    client, transport, fake = client_with(*[error] * 10, retry=RetryPolicy(max_retries=9, max_elapsed=10.0))
    with pytest.raises(ApiError, match="HTTP 503"):
        client.post("queue")
    assert fake.sleeps == [1.0, 2.0, 4.0], "the next wait (8 s) would pass 10 s in all"
    assert len(transport.sent) == 4


def test_token_lifetime_defaults_to_1799_seconds():
    oauth = OAuth2Credentials("id", "secret")
    client, transport, fake = client_with(
        (200, {"access_token": "tok-1"}, {}),
        ok([]),
        ok([]),
        (200, {"access_token": "tok-2", "expires_in": "60"}, {}),
        ok([]),
        credentials=oauth,
    )
    client.post("queue")
    fake.now += 1768.9
    client.post("queue")
    fake.now += 0.2
    client.post("queue")
    bearer = [headers.get("Authorization") for _, _, headers in transport.sent]
    assert bearer == [None, "Bearer tok-1", "Bearer tok-1", None, "Bearer tok-2"]
    assert transport.sent[0][1] == b"client_id=id&client_secret=secret&grant_type=client_credentials"


def test_requests_carry_the_json_envelope_and_headers():
    client, transport, _ = client_with(ok([]))
    path = "/api/awareness-training/queue/get-queue"
    client.post(path, data=[{"x": 1}], meta={"pagination": {"pageSize": 2}})
    url, body, headers = transport.sent[0]
    assert url == "https://eu-api.mimecast.com/api/awareness-training/queue/get-queue"
    assert body == b'{"meta":{"pagination":{"pageSize":2}},"data":[{"x":1}]}'
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"].startswith("MC access:")


def test_an_unknown_endpoint_name_is_refused():
    client, _, _ = client_with()
    with pytest.raises(ValueError, match="unknown Mimecast endpoint"):
        client.post("get_everything")


def test_a_proxy_url_without_scheme_is_a_proxy_error():
    with pytest.raises(ProxyError, match="http://host:port"):
        Client("https://eu-api.mimecast.com", HMAC, proxy=Proxy(url="proxy.example:3128"))


RESET_100_S = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "100000"}
RATE_LIMITED = (
    429,
    {"fail": [{"errors": [{"code": "err_rate_limit_exceeded", "message": "slow"}]}]},
    RESET_100_S,
)


def test_under_beating_a_long_wait_beats_at_least_every_beat_seconds_and_each_request_beats_first():
    """A 429 asking for 100 s (back-off), then a pacing wait of 100 s before the next call: the caller's
    beat (a lease's renewal) never goes BEAT_SECONDS of the client's clock without a call."""
    client, transport, fake = client_with(
        RATE_LIMITED, ok([{"a": 1}]), (200, {"meta": {}, "data": [], "fail": []}, RESET_100_S), ok([])
    )
    beats: list[float] = []
    with client.beating(lambda: beats.append(fake.now)):
        assert client.post("queue") == {"meta": {"status": 200}, "data": [{"a": 1}], "fail": []}
        client.post("queue")
        client.post("queue")
    assert fake.now - 1000.0 >= 200  # two waits of 100 s
    gaps = [later - earlier for earlier, later in zip([1000.0, *beats], [*beats, fake.now])]
    assert max(gaps) <= client_module.BEAT_SECONDS
    assert len(beats) >= 20 + len(transport.sent)


def test_a_beat_that_raises_stops_the_call_before_its_next_request():
    client, transport, fake = client_with(RATE_LIMITED, ok([{"a": 1}]))
    calls = []

    def beat() -> None:
        calls.append(fake.now)
        if fake.now - 1000.0 >= 30:
            raise RuntimeError("lease lost")

    with client.beating(beat), pytest.raises(RuntimeError, match="lease lost"):
        client.post("queue")
    assert len(transport.sent) == 1 and 30 <= fake.now - 1000.0 <= 30 + client_module.BEAT_SECONDS


def test_without_beating_a_wait_is_one_sleep():
    client, _, fake = client_with(RATE_LIMITED, ok([{"a": 1}]))
    client.post("queue")
    assert fake.sleeps == [100.0]
