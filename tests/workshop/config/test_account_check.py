"""The account check on save, against the simulated tenant: every outcome an administrator can meet,
each answered in words that name what to fix and never a secret."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from devkit.loopback import Server
from devkit.proxy import forward_proxy, not_a_gateway
from devkit.simulator import Faults, SimulatedTenant
from splunk_app.account_check import check_account, explain, submitted_fields
from splunk_app.inputs.catalogue import CATALOGUE
from splunk_app.mimecast import HmacCredentials, OAuth2Credentials, Proxy
from splunk_app.mimecast.errors import ApiError, BadCredentials, MimecastError, RateLimited, TlsError


@pytest.fixture(scope="module")
def tenant() -> Iterator[SimulatedTenant]:
    with SimulatedTenant(users=20, seed=3) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults(tenant: SimulatedTenant) -> None:
    tenant.faults = Faults()


def oauth2_fields(tenant: SimulatedTenant, **changes: str) -> dict[str, str]:
    return {
        "auth_type": "oauth2",
        "base_url": tenant.base_url,
        "client_id": tenant.keys.client_id,
        "client_secret": tenant.keys.client_secret,
        **changes,
    }


def hmac_fields(tenant: SimulatedTenant, **changes: str) -> dict[str, str]:
    keys = tenant.keys
    return {
        "auth_type": "hmac",
        "base_url": tenant.base_url,
        "app_id": keys.app_id,
        "app_key": keys.app_key,
        "access_key": keys.access_key,
        "secret_key": keys.secret_key,
        **changes,
    }


def secrets_of(tenant: SimulatedTenant) -> list[str]:
    keys = tenant.keys
    return [keys.client_secret, keys.app_key, keys.access_key, keys.secret_key]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("fields", [oauth2_fields, hmac_fields], ids=["oauth2", "hmac"])
def test_a_working_account_says_what_it_can_pull_and_that_it_may_manage_groups(
    tenant: SimulatedTenant, fields
) -> None:
    members_before = {group: tenant.group_members(group) for group in ("High Risk Users",)}
    tenant.clear_requests()
    result = check_account(fields(tenant))
    assert result.ok, result.message
    titles = [data_set.title for data_set in CATALOGUE.values()]
    campaigns = CATALOGUE["mimecast_at_campaign"].title
    if fields is oauth2_fields:
        assert list(result.pulls) == [title for title in titles if title != campaigns]
        assert [title for title, _ in result.refused] == [campaigns]
        assert "API 1.0" in result.message and "OAuth 2.0 accounts cannot pull it" in result.message
    else:
        assert list(result.pulls) == titles and result.refused == ()
    assert result.manages_groups is True and "may manage groups" in result.message
    api_calls = [r.path for r in tenant.requests if r.path.startswith("/api/")]
    assert len(api_calls) == len(result.pulls) + 1  # one small page per data set, one group call
    assert all(
        call.body["meta"]["pagination"]["pageSize"] == 1
        for call in tenant.requests
        if call.path.startswith("/api/awareness")
        and "summary" not in call.path
        and "training-details" not in call.path
    )
    assert {group: tenant.group_members(group) for group in members_before} == members_before


def test_an_account_without_the_group_permission_is_saved_and_says_so(tenant: SimulatedTenant) -> None:
    tenant.faults = Faults(missing_permission=1, path="remove-group-member")
    result = check_account(hmac_fields(tenant))
    assert result.ok and result.manages_groups is False
    assert "Directories | Groups | Edit" in result.message


def test_an_account_meant_only_for_the_alert_actions_passes(tenant: SimulatedTenant) -> None:
    tenant.faults = Faults(missing_permission=len(CATALOGUE))  # every data set refused, the group call not
    result = check_account(hmac_fields(tenant))
    assert result.ok, result.message
    assert result.pulls == () and result.manages_groups is True
    assert "It can pull no Awareness Training data" in result.message


def test_an_account_that_can_do_one_data_set_names_the_others(tenant: SimulatedTenant) -> None:
    tenant.faults = Faults(missing_permission=1, path="get-queue")
    result = check_account(hmac_fields(tenant))
    assert result.ok
    assert [title for title, _ in result.refused] == [CATALOGUE["mimecast_at_queue"].title]


@pytest.mark.parametrize(
    ("fields", "wrong"),
    [
        (oauth2_fields, {"client_secret": "not-the-secret"}),
        (oauth2_fields, {"client_id": "not-the-client"}),
        (hmac_fields, {"secret_key": "bm90LXRoZS1rZXk="}),
        (hmac_fields, {"app_id": "not-the-app"}),
    ],
    ids=["oauth2-secret", "oauth2-id", "hmac-secret-key", "hmac-app-id"],
)
def test_wrong_credentials(tenant: SimulatedTenant, fields, wrong: dict[str, str]) -> None:
    result = check_account(fields(tenant, **wrong))
    assert result.problem == "bad_credentials"
    assert "rejected the credentials" in result.message
    assert not any(secret in result.message for secret in [*secrets_of(tenant), *wrong.values()])


def test_missing_awareness_training_permission(tenant: SimulatedTenant) -> None:
    tenant.faults = Faults(missing_permission=len(CATALOGUE) + 1)
    result = check_account(oauth2_fields(tenant))
    assert result.problem == "missing_permission"
    assert "Awareness Training | Dashboard | Read" in result.message


def test_api1_keys_expired(tenant: SimulatedTenant) -> None:
    tenant.faults = Faults(binding_expired=1)
    result = check_account(hmac_fields(tenant))
    assert result.problem == "keys_expired"
    assert "expired" in result.message and "API 2.0" in result.message


def test_a_host_that_is_not_a_mimecast_gateway_is_the_wrong_region() -> None:
    with Server(not_a_gateway) as server:
        result = check_account(
            {
                "auth_type": "oauth2",
                "base_url": f"http://127.0.0.1:{server.port}",
                "client_id": "id",
                "client_secret": "secret",
            }
        )
    assert result.problem == "wrong_region"
    assert "gateway of your region" in result.message


def test_cannot_reach_the_host() -> None:
    port = free_port()
    result = check_account(
        {
            "auth_type": "oauth2",
            "base_url": f"http://127.0.0.1:{port}",
            "client_id": "id",
            "client_secret": "secret",
        }
    )
    assert result.problem == "unreachable"
    assert f"127.0.0.1:{port} refused the connection (nothing listens on that port)" in result.message
    assert "check the host and port in the Base URL" in result.message


def test_the_proxy_is_used_for_the_check(tenant: SimulatedTenant) -> None:
    seen: list[str] = []
    with Server(forward_proxy("squid", "proxy-pass", seen)) as server:
        proxy = Proxy(url=f"http://127.0.0.1:{server.port}", username="squid", password="proxy-pass")
        result = check_account(oauth2_fields(tenant), proxy)
    assert result.ok, result.message
    assert f"{tenant.base_url}/api/awareness-training/company/get-safe-score-summary" in seen


def test_proxy_refuses_wrong_proxy_credentials(tenant: SimulatedTenant) -> None:
    with Server(forward_proxy("squid", "proxy-pass", [])) as server:
        proxy = Proxy(url=f"http://127.0.0.1:{server.port}", username="squid", password="wrong-pass")
        result = check_account(oauth2_fields(tenant), proxy)
    assert result.problem == "proxy_refused"
    assert "Proxy tab" in result.message and "wrong-pass" not in result.message


def test_proxy_that_is_not_there(tenant: SimulatedTenant) -> None:
    proxy = Proxy(url=f"http://127.0.0.1:{free_port()}", username=None, password=None)
    result = check_account(oauth2_fields(tenant), proxy)
    assert result.problem == "proxy_refused"


def test_plain_http_to_a_real_host_is_refused_before_any_request() -> None:
    result = check_account(
        {
            "auth_type": "oauth2",
            "base_url": "http://api.services.mimecast.com",
            "client_id": "id",
            "client_secret": "secret",
        }
    )
    assert result.problem == "insecure_url"
    assert "https://" in result.message


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        (
            {"auth_type": "oauth2", "base_url": "https://api.services.mimecast.com", "client_id": "id"},
            "Client secret",
        ),
        (
            {"auth_type": "hmac", "base_url": "https://eu-api.mimecast.com", "app_id": "a", "app_key": "k"},
            "Access key, Secret key",
        ),
        ({"auth_type": "oauth2", "client_id": "id", "client_secret": "s"}, "Base URL"),
        ({"auth_type": "basic", "base_url": "https://api.services.mimecast.com"}, "oauth2 or hmac"),
    ],
)
def test_incomplete_accounts_are_named_without_a_call(fields: dict[str, str], words: str) -> None:
    result = check_account(fields)
    assert result.problem == "incomplete"
    assert words in result.message


OAUTH = OAuth2Credentials(client_id="id", client_secret="secret")
HMAC = HmacCredentials(app_id="app", app_key="key", access_key="access", secret_key="c2VjcmV0")
SUMMARY = "safe_score_summary"


@pytest.mark.parametrize(
    ("base_url", "credentials", "words"),
    [
        ("https://eu-api.mimecast.com", OAUTH, "API 1.0 regional host"),
        ("https://us-api.services.mimecast.com", HMAC, "API 2.0 gateway"),
    ],
)
def test_credentials_sent_to_the_other_api_generation_are_the_wrong_region(
    base_url: str, credentials: object, words: str
) -> None:
    result = explain(BadCredentials("rejected", endpoint=SUMMARY, status=401), base_url, credentials, None)
    assert result.problem == "wrong_region"
    assert words in result.message


def test_right_generation_gateway_rejecting_the_keys_is_bad_credentials() -> None:
    error = BadCredentials("rejected", endpoint=SUMMARY, status=401)
    result = explain(error, "https://eu-api.mimecast.com", HMAC, None)
    assert result.problem == "bad_credentials"
    assert "another region" in result.message


@pytest.mark.parametrize(
    ("error", "problem"),
    [
        (TlsError("bad certificate", endpoint=SUMMARY), "tls_unverified"),
        (RateLimited("slow down", endpoint=SUMMARY, status=429, retry_after=2.0), "rate_limited"),
        (ApiError("server error", endpoint=SUMMARY, status=500), "api_error"),
    ],
)
def test_other_outcomes(error: MimecastError, problem: str) -> None:
    assert explain(error, "https://api.services.mimecast.com", OAUTH, None).problem == problem


def test_a_407_through_a_proxy_is_the_proxy_refusing() -> None:
    proxy = Proxy(url="http://proxy.example:3128", username="u", password="p")
    error = ApiError("HTTP 407", endpoint=SUMMARY, status=407)
    result = explain(error, "https://api.services.mimecast.com", OAUTH, proxy)
    assert result.problem == "proxy_refused"
    assert "proxy.example:3128" in result.message


def test_an_edit_that_keeps_a_secret_is_checked_with_the_stored_one() -> None:
    saved = {
        "auth_type": "hmac",
        "base_url": "https://eu-api.mimecast.com",
        "app_id": "app",
        "app_key": "stored-key",
        "access_key": "stored-access",
        "secret_key": "stored-secret",
    }
    form = {
        "base_url": "https://de-api.mimecast.com",
        "app_key": "******",
        "access_key": "",
        "secret_key": "new-secret",
    }
    assert submitted_fields(saved, form) == {
        **saved,
        "base_url": "https://de-api.mimecast.com",
        "secret_key": "new-secret",
    }


def test_a_new_account_takes_the_form_as_it_is() -> None:
    form = {"auth_type": "oauth2", "client_id": "id", "client_secret": "********"}
    assert submitted_fields({}, form) == form


def test_an_account_code_is_sent_with_every_call_of_the_check() -> None:
    with SimulatedTenant(users=5, account_code="C4ST0MER") as tenant:
        with_code = check_account({**oauth2_fields(tenant), "account_code": "C4ST0MER"})
        sent = [r.body.get("meta") or {} for r in tenant.requests if r.path.startswith("/api/")]
    with SimulatedTenant(users=5, account_code="C4ST0MER") as tenant:
        without = check_account(oauth2_fields(tenant))

    assert with_code.ok, with_code.message
    assert sent and all(meta.get("accountCode") == "C4ST0MER" for meta in sent)
    assert not without.ok  # how the real API words a missing code is not documented; the simulator's is a 403


def test_a_server_error_on_the_group_call_leaves_the_group_permission_unknown(
    tenant: SimulatedTenant,
) -> None:
    tenant.faults = Faults(server_errors=10, path="remove-group-member")
    result = check_account(hmac_fields(tenant))
    assert result.ok and result.manages_groups is None
    assert "could not be learnt" in result.message


@pytest.mark.parametrize(
    ("status", "problem", "words"),
    [
        (400, "no_token", "gave no OAuth 2.0 token (HTTP 400), so nothing could be checked"),
        (404, "wrong_region", "does not answer as a Mimecast API gateway (HTTP 404)"),
    ],
)
def test_an_account_that_never_got_a_token_fails_and_is_not_said_to_manage_groups(
    tenant: SimulatedTenant, status: int, problem: str, words: str
) -> None:
    tenant.faults = Faults(server_errors=100, server_error_status=status, path="/oauth/token")
    tenant.clear_requests()

    result = check_account(oauth2_fields(tenant))

    assert not result.ok and result.problem == problem, result.message
    assert words in result.message
    assert result.manages_groups is None and "manage groups" not in result.message
    assert not [r for r in tenant.requests if r.path.startswith("/api/")]  # no call without a token
