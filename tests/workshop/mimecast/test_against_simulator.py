"""The client against the simulated tenant, fault by fault: every record exactly once, or the right
error with the right words. Tenant and client share one fake clock, so waits take no real time."""

from __future__ import annotations

import logging
import socket

import pytest
from unit.mimecast.fakes import FakeTime

from devkit.simulator import Faults, SimulatedTenant
from splunk_app.mimecast import (
    ApiError,
    BadCredentials,
    Client,
    HmacCredentials,
    InsecureUrl,
    KeysExpired,
    MalformedResponse,
    MissingPermission,
    NetworkError,
    OAuth2Credentials,
    Proxy,
    ProxyError,
    RateLimited,
    TlsError,
)
from splunk_app.mimecast.errors import PlainHttp, Refused
from splunk_app.mimecast.records import email_of, grade_of, parse_time, training_module

USERS = 1200
DETAILS = "get-safe-score-details"
AUTHS = ["oauth2", "hmac"]


@pytest.fixture
def fake():
    return FakeTime()


@pytest.fixture
def tenant(fake):
    with SimulatedTenant(users=USERS, seed=5, clock=fake.clock) as running:
        yield running


def client_for(tenant, fake, auth="oauth2", **options):
    creds = tenant.oauth2 if auth == "oauth2" else tenant.hmac
    return Client(tenant.base_url, creds, sleep=fake.sleep, clock=fake.clock, rand=lambda: 0.5, **options)


def token_requests(auth):
    return 1 if auth == "oauth2" else 0


def emails(client, page_size=500):
    return [record["emailAddress"] for record in client.records("safe_score_details", page_size=page_size)]


def expected(tenant):
    return [user["emailAddress"] for user in tenant.expected_users()]


@pytest.mark.parametrize("auth", AUTHS)
def test_clean_pull_uses_the_minimum_of_requests(tenant, fake, auth):
    client = client_for(tenant, fake, auth)
    assert emails(client) == expected(tenant)
    assert client.requests_made == 3 + token_requests(auth)
    assert fake.sleeps == []


def test_page_size_is_capped_at_500_and_pages_are_lazy(tenant, fake):
    client = client_for(tenant, fake, "hmac")
    pages = client.pages("safe_score_details", page_size=10_000)
    first = next(pages)
    assert client.requests_made == 1
    assert len(first.records) == 500 and first.number == 1 and first.total_count == USERS
    assert tenant.requests[-1].body["meta"]["pagination"] == {"pageSize": 500}
    rest = list(pages)
    assert [page.number for page in rest] == [2, 3] and rest[-1].next_token is None
    last = tenant.requests[-1].body["meta"]["pagination"]
    assert last == {"pageSize": 500, "pageToken": rest[0].next_token}


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_mid_pull_are_retried_and_nothing_is_lost(tenant, fake, auth, status):
    tenant.faults = Faults(server_errors=2, server_error_status=status, after=1)
    client = client_for(tenant, fake, auth)
    assert emails(client) == expected(tenant)
    assert client.requests_made == 3 + 2 + token_requests(auth)
    assert fake.sleeps == [1.5 * 0.5, 1.5 * 1.0]


@pytest.mark.parametrize("auth", AUTHS)
def test_endless_server_errors_stop_after_the_retry_budget(tenant, fake, auth):
    tenant.faults = Faults(server_errors=100)
    client = client_for(tenant, fake, auth)
    with pytest.raises(ApiError) as caught:
        emails(client)
    err = caught.value
    assert err.status == 500 and err.retryable and err.code == "err_internal_server_error"
    assert str(err).startswith("safe_score_details: Mimecast answered HTTP 500")
    assert "server error" in str(err)
    assert client.requests_made == 6 + token_requests(auth)
    assert len(fake.sleeps) == 5


@pytest.mark.parametrize("auth", AUTHS)
def test_a_short_429_storm_is_waited_out(tenant, fake, auth):
    tenant.faults = Faults(rate_limit_storm=3, storm_reset_ms=2500, after=1)
    client = client_for(tenant, fake, auth)
    assert emails(client) == expected(tenant)
    assert len(fake.sleeps) == 3
    assert all(wait >= 2.5 for wait in fake.sleeps), "each wait is at least X-RateLimit-Reset"


def test_a_long_429_storm_raises_rate_limited_without_spinning(tenant, fake):
    tenant.faults = Faults(rate_limit_storm=100, storm_reset_ms=200)
    client = client_for(tenant, fake, "hmac")
    with pytest.raises(RateLimited) as caught:
        emails(client)
    assert caught.value.retry_after == pytest.approx(0.2)
    assert "rate limit" in str(caught.value) and caught.value.status == 429
    assert client.requests_made == 6
    assert len(fake.sleeps) == 5 and all(wait >= 0.2 for wait in fake.sleeps)


def test_pacing_keeps_under_the_tenants_rate_limit(fake):
    with SimulatedTenant(users=USERS, seed=5, clock=fake.clock, rate_limit=4, rate_window=1.0) as tenant:
        client = client_for(tenant, fake, "oauth2")
        assert emails(client, page_size=100) == expected(tenant)
        assert {served.status for served in tenant.requests} == {200}, "never hit the limit"
        assert client.requests_made == 13
        assert sum(fake.sleeps) >= 2.0, "13 requests at 4 per second need at least 3 windows"


def test_slow_answers_time_out_and_are_retried(tenant, fake):
    tenant.faults = Faults(slow_requests=1, slow_seconds=0.6, after=1)
    client = client_for(tenant, fake, "hmac", timeout=(2.0, 0.2))
    assert emails(client) == expected(tenant)
    assert client.requests_made == 4 and len(fake.sleeps) == 1


@pytest.mark.parametrize("auth", AUTHS)
def test_cut_answers_are_retried_and_nothing_is_doubled(tenant, fake, auth):
    tenant.faults = Faults(cut_responses=2, after=1)
    client = client_for(tenant, fake, auth)
    assert emails(client) == expected(tenant)
    assert client.requests_made == 3 + 2 + token_requests(auth)


def test_malformed_json_is_malformed_response(tenant, fake):
    tenant.faults = Faults(malformed_json=1, after=1)
    client = client_for(tenant, fake, "hmac")
    pulled = []
    with pytest.raises(MalformedResponse) as caught:
        pulled.extend(emails(client))
    assert "safe_score_details" in str(caught.value) and "not JSON" in str(caught.value)
    assert "Base URL" in str(caught.value)
    assert client.requests_made == 2, "not retried"


def test_missing_pagination_is_one_page(fake):
    faults = Faults(missing_pagination=True)
    with SimulatedTenant(users=300, seed=5, clock=fake.clock, faults=faults) as tenant:
        client = client_for(tenant, fake, "hmac")
        pages = list(client.pages("safe_score_details"))
        assert len(pages) == 1 and pages[0].next_token is None and pages[0].total_count is None
        assert [r["emailAddress"] for r in pages[0].records] == expected(tenant)
        assert client.requests_made == 1


def test_odd_data_is_read_by_the_record_helpers(tenant, fake):
    tenant.faults = Faults(odd_dates=True, empty_grades=True, mixed_case_emails=True, odd_spellings=True)
    client = client_for(tenant, fake, "hmac")
    users = list(client.records("safe_score_details"))
    assert [email_of(u) for u in users] == [e.lower() for e in expected(tenant)]
    assert any(u["emailAddress"] != u["emailAddress"].lower() for u in users), "the fault is on"
    grades = [grade_of(u[key]) for u in users for key in ("risk", "humanError", "knowledge")]
    assert None in grades and set(grades) <= {None, "A", "B", "C", "D", "F"}
    modules = [
        m
        for u in client.records("performance_details", data=[{"includeUserDetails": True}])
        for m in u["userDetails"]
    ]
    viewed = [m["timeViewed"] for m in modules if m.get("timeViewed")]
    assert any(v.startswith("1970-01-01") for v in viewed)
    assert all(parse_time(v) is None for v in viewed if v.startswith("1970-01-01"))
    assert any(parse_time(v) is not None for v in viewed)
    one_user = [{"emailAddress": users[0]["emailAddress"]}]
    training = next(iter(client.records("training_details", data=one_user)))
    canonical = [training_module(m) for m in training["training"]]
    assert canonical and all({"watchedDate", "onWatchList", "myAnswer"} <= set(m) for m in canonical)


def test_an_expired_token_is_refetched_once_and_the_call_resent(tenant, fake):
    tenant.faults = Faults(token_expiry=1, after=1)
    client = client_for(tenant, fake, "oauth2")
    assert emails(client) == expected(tenant)
    paths = [served.path for served in tenant.requests]
    assert paths.count("/oauth/token") == 2
    assert client.requests_made == 3 + 1 + 2
    assert fake.sleeps == []


def test_a_token_that_expires_again_at_once_is_bad_credentials(tenant, fake):
    tenant.faults = Faults(token_expiry=2)
    client = client_for(tenant, fake, "oauth2")
    with pytest.raises(BadCredentials) as caught:
        emails(client)
    assert caught.value.code == "token_expired" and caught.value.status == 401
    assert client.requests_made == 4


@pytest.mark.parametrize("auth", AUTHS)
def test_wrong_app_id_answered_with_http_200_is_bad_credentials(tenant, fake, auth):
    tenant.faults = Faults(developer_key_fail=1)
    with pytest.raises(BadCredentials) as caught:
        emails(client_for(tenant, fake, auth))
    assert caught.value.status == 200 and caught.value.code == "err_developer_key"
    assert "Application ID" in str(caught.value)


def test_a_bad_signature_is_bad_credentials_and_not_retried(tenant, fake):
    keys = tenant.hmac
    wrong = HmacCredentials(
        app_id=keys.app_id,
        app_key=keys.app_key,
        access_key=keys.access_key,
        secret_key="d3Jvbmctc2VjcmV0LWtleQ==",
    )
    client = Client(tenant.base_url, wrong, sleep=fake.sleep, clock=fake.clock)
    with pytest.raises(BadCredentials) as caught:
        emails(client)
    assert caught.value.status == 401 and caught.value.code == "err_xdk_invalid_signature"
    assert "Access key and Secret key" in str(caught.value)
    assert client.requests_made == 1


def test_a_wrong_client_secret_is_bad_credentials(tenant, fake):
    wrong = OAuth2Credentials(client_id=tenant.oauth2.client_id, client_secret="not-the-secret")
    client = Client(tenant.base_url, wrong, sleep=fake.sleep, clock=fake.clock)
    with pytest.raises(BadCredentials) as caught:
        emails(client)
    assert caught.value.endpoint == "oauth_token" and caught.value.code == "invalid_client"
    assert "Client ID and Client secret" in str(caught.value)
    assert client.requests_made == 1


@pytest.mark.parametrize(
    ("faults", "kind", "status", "words"),
    [
        ({"missing_permission": 1}, MissingPermission, 403, "Awareness Training | Dashboard | Read"),
        ({"binding_expired": 1}, KeysExpired, 418, "new access and secret keys"),
    ],
)
@pytest.mark.parametrize("auth", AUTHS)
def test_final_refusals(tenant, fake, auth, faults, kind, status, words):
    tenant.faults = Faults(**faults)
    client = client_for(tenant, fake, auth)
    with pytest.raises(kind) as caught:
        emails(client)
    assert caught.value.status == status and words in str(caught.value)
    assert client.requests_made == 1 + token_requests(auth)


def test_a_validation_error_is_not_retried(tenant, fake):
    client = client_for(tenant, fake, "hmac")
    with pytest.raises(ApiError) as caught:
        client.post("watchlist_details", data=[{"attributeIds": ["a", "b", "c", "d"]}])
    assert caught.value.status == 400 and caught.value.code == "err_validation_failed"
    assert client.requests_made == 1


@pytest.mark.parametrize("url", ["http://example.com", "ftp://127.0.0.1", "http://10.0.0.1:8080", "nohost"])
def test_insecure_urls_are_refused(url):
    with pytest.raises(InsecureUrl) as caught:
        Client(url, OAuth2Credentials("id", "secret"))
    assert "https://" in str(caught.value)


def test_https_and_local_http_are_accepted():
    for url in ("https://us-api.mimecast.com/", "http://127.0.0.1:8080", "http://localhost:1"):
        assert not Client(url, OAuth2Credentials("id", "secret")).base_url.endswith("/")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_calls_go_through_the_proxy(tenant, fake):
    proxy = Proxy(url=tenant.base_url, username="proxy-user", password="proxy-pass-123")
    client = Client(
        f"http://localhost:{_closed_port()}", tenant.hmac, proxy=proxy, sleep=fake.sleep, clock=fake.clock
    )
    assert emails(client) == expected(tenant)
    assert "proxy-pass-123" not in repr(proxy)


def test_a_dead_proxy_is_a_proxy_error_without_its_password(tenant, fake):
    proxy = Proxy(url=f"http://127.0.0.1:{_closed_port()}", username="proxy-user", password="proxy-pass-123")
    client = Client(
        "https://us-api.mimecast.com", tenant.oauth2, proxy=proxy, sleep=fake.sleep, clock=fake.clock
    )
    with pytest.raises(ProxyError) as caught:
        client.post("safe_score_summary")
    assert "proxy" in str(caught.value)
    assert client.requests_made == 1, "a proxy refusal is not retried"
    for text in (str(caught.value), repr(caught.value), str(caught.value.__cause__)):
        assert "proxy-pass-123" not in text


def test_https_to_a_plain_http_port_is_named_so_not_a_certificate_problem(tenant, fake):
    url = tenant.base_url.replace("http://", "https://")
    client = Client(url, tenant.hmac, sleep=fake.sleep, clock=fake.clock)
    with pytest.raises(PlainHttp) as caught:
        client.post("safe_score_summary")
    assert f"{url.split('://')[1]} answered in plain HTTP, not TLS" in str(caught.value)
    assert not isinstance(caught.value, TlsError) and "certificate" not in str(caught.value)
    assert client.requests_made == 1


def test_no_answer_is_a_network_error_after_retries(fake):
    client = Client(
        f"http://127.0.0.1:{_closed_port()}",
        OAuth2Credentials("id", "secret"),
        sleep=fake.sleep,
        clock=fake.clock,
        rand=lambda: 1.0,
    )
    with pytest.raises(NetworkError) as caught:
        client.post("safe_score_summary")
    assert type(caught.value) is Refused and "cannot reach 127.0.0.1" in str(caught.value)
    assert client.requests_made == 6 and fake.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]


@pytest.mark.parametrize("auth", AUTHS)
def test_no_secret_in_logs_errors_or_reprs(tenant, fake, auth, caplog):
    caplog.set_level(logging.DEBUG)
    creds = tenant.oauth2 if auth == "oauth2" else tenant.hmac
    secrets = list(creds.secrets())
    tenant.faults = Faults(server_errors=1, token_expiry=1, missing_permission=1, path=DETAILS)
    client = client_for(tenant, fake, auth)
    with pytest.raises(MissingPermission) as caught:
        emails(client)
    token = getattr(client._auth, "_token", None)
    if token:
        secrets.append(token)
    texts = [caplog.text, str(caught.value), repr(caught.value), caught.value.body, repr(client), repr(creds)]
    assert caplog.text, "the retries were logged"
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_token_endpoint_errors_are_retried_by_the_token_call_alone(tenant, fake):
    tenant.faults = Faults(server_errors=2, path="/oauth/token")
    client = client_for(tenant, fake, "oauth2")
    assert emails(client) == expected(tenant)
    assert [served.status for served in tenant.requests][:3] == [500, 500, 200]
    assert client.requests_made == 3 + 3
