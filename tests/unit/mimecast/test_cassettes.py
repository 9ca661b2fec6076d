"""Replays every endpoint's recorded exchanges in both auth modes (no network: record mode "none"),
and the real training-campaign exchange from Mimecast's documentation, verbatim."""

from __future__ import annotations

import re

import pytest

from splunk_app.mimecast import Api1Only, Client, HmacCredentials, OAuth2Credentials

from .cassette_config import CASSETTES, REPLAY_BASE_URL, replayer
from .scenarios import RECORDINGS, REQUIRED_KEYS, SCENARIOS

CREDENTIALS = {
    "oauth2": OAuth2Credentials(client_id="replay-client", client_secret="replay-secret"),
    "hmac": HmacCredentials(
        app_id="replay-app",
        app_key="replay-app-key",
        access_key="replay-access",
        secret_key="cmVwbGF5LXNlY3JldA==",
    ),
}
REAL_CAMPAIGN_ID = (
    "eNqrVipOTS4tSs1MUbJSqrAoCwhwszAuyvYKyglx8SwOCzbwdTQLc43RD_bNLMj2DwxNCaoyinDOMXKL0dcOSc1yKXcMCXcLj"
    "NHPdLfMKct3KVDSUUouLS7Jz00tSs5PSQUa6hwa7Ghs6mhiYAyUK0stKs7Mz1OyMtRRyk0siU9OzC1IzEzPiwfZb2RoUQsAPnkuZg"
)


@pytest.mark.parametrize(("name", "auth"), sorted(RECORDINGS))
def test_endpoint_replays(name, auth):
    with replayer().use_cassette(f"{name}-{auth}.yaml") as cassette:
        client = Client(REPLAY_BASE_URL, CREDENTIALS[auth])
        records = SCENARIOS[name](client)
        assert cassette.all_played, "every recorded exchange was used"
    assert client.requests_made == len(cassette)
    assert records
    for record in records:
        assert REQUIRED_KEYS[name] <= set(record), record


@pytest.mark.parametrize(
    "name", sorted(set(SCENARIOS) - {name for name, auth in RECORDINGS if auth == "oauth2"})
)
def test_an_api_2_0_account_is_told_in_words_without_a_call(name):
    client = Client(REPLAY_BASE_URL, CREDENTIALS["oauth2"])
    with pytest.raises(
        Api1Only, match=r"training campaigns are available only through an API 1\.0 application"
    ):
        SCENARIOS[name](client)
    assert client.requests_made == 0


def test_paged_cassette_walks_every_page_once():
    with replayer().use_cassette("safe_score_details-hmac.yaml") as cassette:
        client = Client(REPLAY_BASE_URL, CREDENTIALS["hmac"])
        records = list(client.records("safe_score_details", page_size=5))
        assert cassette.all_played
    assert len(cassette) == 3
    emails = [record["emailAddress"] for record in records]
    assert len(emails) == 12 == len(set(emails))


def test_real_recorded_training_campaign_exchange():
    with replayer().use_cassette("real-jupiterone-campaign-user-data.yaml") as cassette:
        client = Client("https://us-api.mimecast.com", CREDENTIALS["hmac"])
        pages = list(client.pages("campaign_user_data", data=[{"id": REAL_CAMPAIGN_ID}], page_size=100))
        assert cassette.all_played
    assert len(pages) == 1
    assert pages[0].total_count == 2 and pages[0].next_token is None
    emails = [r["email"] for r in pages[0].records]
    assert emails == ["pat.placeholder@tenant.example", "personal.placeholder@mailbox.example"]
    assert pages[0].records[1]["results"] == {"forQuestion1": "SENT"}


SECRET_PATTERNS = [
    re.compile(r"(?i)^\s*-?\s*(authorization|x-mc-[a-z-]+|proxy-authorization):", re.M),
    re.compile(r"Bearer "),
    re.compile(r"MC [A-Za-z0-9_-]+:"),
    re.compile(r'"access_token":"(?!REDACTED")'),
    re.compile(r"client_secret=(?!REDACTED)"),
    re.compile(r"client_id=(?!REDACTED)"),
]


def test_no_cassette_holds_a_credential():
    cassettes = sorted(CASSETTES.glob("*.yaml"))
    assert len(cassettes) == len(RECORDINGS) + 1
    for path in cassettes:
        text = path.read_text()
        for pattern in SECRET_PATTERNS:
            assert not pattern.search(text), f"{path.name} matches {pattern.pattern}"


def test_a_request_with_another_body_does_not_match():
    from vcr.errors import CannotOverwriteExistingCassetteException

    with (
        replayer().use_cassette("safe_score_details-hmac.yaml"),
        pytest.raises(CannotOverwriteExistingCassetteException),
    ):
        list(Client(REPLAY_BASE_URL, CREDENTIALS["hmac"]).records("safe_score_details", page_size=6))
