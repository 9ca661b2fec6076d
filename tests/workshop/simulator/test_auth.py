"""OAuth 2.0 tokens and API 1.0 signatures are checked, and bad ones are refused as Mimecast refuses them."""

from __future__ import annotations

import time

import requests

from devkit.simulator import SimulatedTenant
from splunk_app.mimecast import Client, HmacCredentials, OAuth2Credentials

from .simclient import DETAILS, Api


def first_error(response: requests.Response) -> dict:
    return response.json()["fail"][0]["errors"][0]


def test_token_request_and_bearer_call(tenant, api):
    response = api.token()
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 1799 and token["access_token"]
    assert api.raw(DETAILS).status_code == 200
    served = tenant.requests
    assert served[0].path == "/oauth/token" and served[0].auth is None
    assert served[0].body == {"client_id": tenant.keys.client_id, "grant_type": "client_credentials"}
    assert served[1].path == DETAILS and served[1].auth == "oauth2" and served[1].status == 200


def test_token_refused_for_wrong_secret_and_grant(tenant, api):
    response = api.token(client_secret="not-the-secret")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    response = api.token(client_id="someone-else")
    assert response.status_code == 401
    wrong_grant = api.session.post(
        f"{tenant.base_url}/oauth/token",
        data={
            "client_id": tenant.keys.client_id,
            "client_secret": tenant.keys.client_secret,
            "grant_type": "password",
        },
        timeout=10,
    )
    assert wrong_grant.status_code == 400 and wrong_grant.json()["error"] == "unsupported_grant_type"
    assert "not-the-secret" not in repr(tenant.requests)


def test_token_by_basic_authentication(tenant, api):
    response = api.session.post(
        f"{tenant.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(tenant.keys.client_id, tenant.keys.client_secret),
        timeout=10,
    )
    assert response.status_code == 200 and response.json()["access_token"]


def test_unknown_and_missing_bearer_token(tenant, api):
    response = api.session.post(
        tenant.base_url + DETAILS, json={"data": []}, headers={"Authorization": "Bearer made-up"}, timeout=10
    )
    assert response.status_code == 401 and first_error(response)["code"] == "invalid_token"
    response = api.session.post(tenant.base_url + DETAILS, json={"data": []}, timeout=10)
    assert response.status_code == 401 and first_error(response)["code"] == "err_xdk_missing_authorization"
    assert tenant.requests[-1].auth is None and tenant.requests[-1].status == 401


def test_bearer_token_expires_after_its_ttl():
    now = [1000.0]
    with SimulatedTenant(users=10, seed=1, token_ttl=60, clock=lambda: now[0]) as tenant:
        api = Api(tenant)
        assert api.token().json()["expires_in"] == 60
        assert api.raw(DETAILS).status_code == 200
        now[0] += 59.9
        assert api.raw(DETAILS).status_code == 200
        now[0] += 0.1
        response = api.raw(DETAILS)
        assert response.status_code == 401
        assert first_error(response) == {
            "code": "token_expired",
            "message": "Access Token Expired",
            "retryable": False,
        }
        fresh = Api(tenant)
        assert fresh.raw(DETAILS).status_code == 200


def test_bearer_token_expires_in_real_time():
    with SimulatedTenant(users=10, seed=1, token_ttl=0.2) as tenant:
        api = Api(tenant)
        assert api.raw(DETAILS).status_code == 200
        time.sleep(0.3)
        assert first_error(api.raw(DETAILS))["code"] == "token_expired"


def test_hmac_signature_accepted(tenant):
    api = Api(tenant, mode="hmac")
    response = api.raw(DETAILS)
    assert response.status_code == 200 and response.json()["fail"] == []
    assert tenant.requests[-1].auth == "hmac"


def test_hmac_wrong_secret_or_access_key_is_401_invalid_signature(tenant):
    api = Api(tenant, mode="hmac")
    other_secret = "c2VjcmV0LXRoYXQtaXMtbm90LXRoZS10ZW5hbnRzLW9uZQ=="
    for overrides in (
        {"secret_key": other_secret},
        {"access_key": "someone-elses-key"},
        {"app_key": "a-different-app-key"},
    ):
        response = api.raw(DETAILS, **overrides)
        assert response.status_code == 401, overrides
        assert first_error(response) == {
            "code": "err_xdk_invalid_signature",
            "message": "0004 Invalid Signature",
            "retryable": False,
        }


def test_hmac_wrong_application_id_is_http_200_with_fail(tenant):
    api = Api(tenant, mode="hmac")
    response = api.raw(DETAILS, app_id="00000000-0000-0000-0000-000000000000")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == []
    error = body["fail"][0]["errors"][0]
    assert error["code"] == "err_developer_key" and error["message"].startswith("App ID is invalid")
    assert error["retryable"] is False


def test_hmac_signature_is_bound_to_the_path(tenant):
    api = Api(tenant, mode="hmac")
    headers = api.headers("/api/awareness-training/queue/get-queue")
    response = api.session.post(tenant.base_url + DETAILS, json={"data": []}, headers=headers, timeout=10)
    assert response.status_code == 401 and first_error(response)["code"] == "err_xdk_invalid_signature"


def test_hmac_needs_a_date(tenant):
    api = Api(tenant, mode="hmac")
    headers = {**api.headers(DETAILS), "x-mc-date": "yesterday"}
    response = api.session.post(tenant.base_url + DETAILS, json={"data": []}, headers=headers, timeout=10)
    assert response.status_code == 401


def test_credentials_are_random_per_tenant():
    with SimulatedTenant(users=10, seed=1) as one, SimulatedTenant(users=10, seed=1) as two:
        assert one.keys != two.keys
        assert one.keys.client_secret not in repr(one.keys) and one.keys.secret_key not in repr(one.keys)
        assert Api(one).token(two.keys.client_id, two.keys.client_secret).status_code == 401


def test_credentials_are_the_clients_own_objects(tenant):
    keys = tenant.keys
    assert tenant.oauth2 == OAuth2Credentials(client_id=keys.client_id, client_secret=keys.client_secret)
    assert tenant.hmac == HmacCredentials(
        app_id=keys.app_id, app_key=keys.app_key, access_key=keys.access_key, secret_key=keys.secret_key
    )
    for credentials in (tenant.oauth2, tenant.hmac):
        client = Client(tenant.base_url, credentials)
        assert list(client.records("safe_score_details", page_size=64)) == list(tenant.expected_users())
    assert {r.auth for r in tenant.requests if r.path.startswith("/api/")} == {"oauth2", "hmac"}
