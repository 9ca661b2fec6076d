"""The two auth objects: HMAC known answer and headers, OAuth token caching and refresh rules."""

from __future__ import annotations

import pytest

from splunk_app.mimecast import HmacCredentials, OAuth2Credentials
from splunk_app.mimecast.auth import (
    CredentialError,
    HmacAuth,
    OAuth2Auth,
    credentials,
    hmac_signature,
    mc_date,
)

SECRET_KEY = "c2ltdWxhdGVkLXNlY3JldC1rZXktMDEyMzQ1Njc4OQ=="
APP_KEY = "d3b07384-d9a0-4c9b-8a8f-5f1c2e3a4b5c"
DATE = "Tue, 24 Nov 2015 12:50:11 UTC"
REQUEST_ID = "8578FCFC-A305-4D9A-99CB-F4D5ECEFE297"
PATH = "/api/awareness-training/company/get-safe-score-details"


def test_hmac_signature_known_answer():
    assert hmac_signature(SECRET_KEY, DATE, REQUEST_ID, PATH, APP_KEY) == "PvwTin5mmmIKDrEZZAcMqOPN5uk="


def test_mc_date_format_is_the_documented_one():
    assert mc_date(1448369411) == DATE


def test_hmac_headers_sign_each_request_with_a_fresh_id():
    ids = iter([REQUEST_ID, "second-id"])
    creds = HmacCredentials(app_id="app-id", app_key=APP_KEY, access_key="access", secret_key=SECRET_KEY)
    auth = HmacAuth(creds, wall_clock=lambda: 1448369411, new_request_id=lambda: next(ids))
    first, second = auth.headers(PATH), auth.headers(PATH)
    assert first == {
        "x-mc-date": DATE,
        "x-mc-req-id": REQUEST_ID,
        "x-mc-app-id": "app-id",
        "Authorization": "MC access:PvwTin5mmmIKDrEZZAcMqOPN5uk=",
    }
    assert second["x-mc-req-id"] == "second-id"
    assert second["Authorization"] != first["Authorization"]
    assert auth.refresh_after("token_expired", "Access Token Expired") is False


class FakeTokens:
    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self.forms: list[dict[str, str]] = []

    def __call__(self, form: dict[str, str]) -> tuple[str, float]:
        self.forms.append(form)
        return f"token-{len(self.forms)}", self.lifetime


def test_oauth_token_is_cached_until_30_seconds_before_expiry():
    now = [0.0]
    fetch = FakeTokens(lifetime=100.0)
    auth = OAuth2Auth(OAuth2Credentials("cid", "csecret"), fetch, clock=lambda: now[0])
    assert auth.headers(PATH) == {"Authorization": "Bearer token-1"}
    now[0] = 69.9
    assert auth.headers(PATH) == {"Authorization": "Bearer token-1"}
    now[0] = 70.0
    assert auth.headers(PATH) == {"Authorization": "Bearer token-2"}
    assert fetch.forms[0] == {
        "client_id": "cid",
        "client_secret": "csecret",
        "grant_type": "client_credentials",
    }


def test_oauth_refreshes_only_when_the_401_says_the_token_expired():
    fetch = FakeTokens(lifetime=1799.0)
    auth = OAuth2Auth(OAuth2Credentials("cid", "csecret"), fetch, clock=lambda: 0.0)
    auth.headers(PATH)
    assert auth.refresh_after("invalid_token", "Access Token is invalid") is False
    assert auth.headers(PATH)["Authorization"] == "Bearer token-1"
    assert auth.refresh_after("token_expired", "") is True
    assert auth.headers(PATH)["Authorization"] == "Bearer token-2"
    assert auth.refresh_after(None, "401: Access Token Expired") is True
    assert auth.headers(PATH)["Authorization"] == "Bearer token-3"


def test_credentials_repr_hides_every_secret():
    oauth = OAuth2Credentials(client_id="the-client", client_secret="s3cr3t-client")
    hmac = HmacCredentials(
        app_id="the-app", app_key="s3cr3t-appkey", access_key="s3cr3t-access", secret_key=SECRET_KEY
    )
    assert "s3cr3t" not in repr(oauth) and "the-client" in repr(oauth)
    assert "s3cr3t" not in repr(hmac) and SECRET_KEY not in repr(hmac) and "the-app" in repr(hmac)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("secret_key", "c2VjcmV0", None),
        ("secret_key", "c2VjcmV", "the Secret key is not valid base64"),
        ("secret_key", "c2Vj*cmV0", "the Secret key is not valid base64"),
        ("access_key", "acc\ness", "the Access key holds a space, line break or control character"),
        ("app_id", "app id", "the Application ID holds a space, line break or control character"),
    ],
)
def test_hmac_keys_that_cannot_sign_are_refused_by_name(field: str, value: str, words: str | None) -> None:
    fields = {"app_id": "app", "app_key": APP_KEY, "access_key": "access", "secret_key": SECRET_KEY}
    fields[field] = value
    if words is None:
        assert HmacCredentials(**fields).secret_key == value
        return
    with pytest.raises(CredentialError) as refused:
        HmacCredentials(**fields)
    assert str(refused.value).startswith(words) and refused.value.field == field
    assert value not in str(refused.value)


def test_credentials_strip_what_surrounds_each_value_as_the_check_and_every_run_read_it() -> None:
    read = credentials(
        "hmac",
        {"app_id": " app\n", "app_key": APP_KEY, "access_key": "access\r\n", "secret_key": SECRET_KEY + "\n"},
    )
    assert read == HmacCredentials("app", APP_KEY, "access", SECRET_KEY)
    assert credentials("oauth2", {"client_id": "cid\n", "client_secret": " csecret "}) == OAuth2Credentials(
        "cid", "csecret"
    )
