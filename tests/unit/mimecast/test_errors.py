"""Error mapping: HTTP status x fail[] code -> exception type, retryable flag and a message with advice."""

from __future__ import annotations

import pytest

from splunk_app.mimecast import (
    ApiError,
    BadCredentials,
    KeysExpired,
    MalformedResponse,
    MimecastError,
    MissingPermission,
    RateLimited,
)
from splunk_app.mimecast.errors import from_response, parse_body, scrub


def _fail(code: str, message: str = "", retryable: bool = False) -> dict:
    return {
        "meta": {"status": 0},
        "data": [],
        "fail": [{"errors": [{"code": code, "message": message, "retryable": retryable}]}],
    }


@pytest.mark.parametrize(
    ("status", "payload", "kind", "words"),
    [
        (200, _fail("err_developer_key", "App ID is invalid: x"), BadCredentials, "Application ID"),
        (401, _fail("err_xdk_invalid_signature", "0004 Invalid Signature"), BadCredentials, "Secret key"),
        (401, _fail("token_expired", "Access Token Expired"), BadCredentials, "credentials"),
        (
            401,
            {"error": "invalid_client", "error_description": "Bad client"},
            BadCredentials,
            "Client secret",
        ),
        (401, {}, BadCredentials, "credentials"),
        (403, _fail("err_xdk_client_forbidden", "Forbidden"), MissingPermission, "Awareness Training"),
        (403, {}, MissingPermission, "Dashboard | Read"),
        (418, _fail("err_xdk_binding_expired", "binding expired"), KeysExpired, "new access and secret keys"),
        (200, _fail("err_xdk_binding_expired"), KeysExpired, "expired"),
        (429, {}, RateLimited, "wait"),
        (400, _fail("err_validation_failed", "bad filter"), ApiError, "input's options"),
        (404, {}, ApiError, "Base URL"),
        (405, {}, ApiError, "Base URL"),
        (409, _fail("err_conflict", "already"), ApiError, "options"),
        (500, _fail("err_internal", "boom"), ApiError, "server error"),
        (503, "not even an object", ApiError, "server error"),
        (200, _fail("err_user_not_found", "no such user"), ApiError, "options"),
    ],
)
def test_error_mapping(status, payload, kind, words):
    error = from_response("safe_score_details", status, payload, request_id="rid-1")
    assert type(error) is kind
    message = str(error)
    assert message.startswith("safe_score_details: ")
    assert f"HTTP {status}" in message
    assert words in message
    assert "rid-1" in message and error.request_id == "rid-1"
    assert error.status == status


def test_the_fail_code_and_message_are_kept():
    error = from_response("queue", 200, _fail("err_developer_key", "App ID is invalid: abc"))
    assert error.code == "err_developer_key"
    assert "App ID is invalid: abc" in str(error)
    assert error.retryable is False


def test_fail_items_without_an_errors_list_are_read_too():
    fail = [{"code": "token_expired", "message": "Access Token Expired"}]
    error = from_response("queue", 401, {"fail": fail})
    assert isinstance(error, BadCredentials) and error.code == "token_expired"


def test_group_endpoints_ask_for_the_group_permission():
    assert "Directories | Groups" in str(from_response("add_group_member", 403, {}))


def test_a_good_answer_is_no_error():
    assert from_response("queue", 200, {"meta": {"status": 200}, "data": [], "fail": []}) is None


def test_rate_limited_carries_retry_after():
    error = from_response("queue", 429, {}, retry_after=3.758)
    assert error.retry_after == 3.758 and error.retryable
    assert "3.8 s" in str(error)


def test_not_json_is_malformed_and_chained():
    with pytest.raises(MalformedResponse) as caught:
        parse_body("queue", 200, b"<html>login</html>", "<html>login</html>", None)
    assert "not JSON" in str(caught.value)
    assert isinstance(caught.value.__cause__, ValueError)
    assert isinstance(caught.value, MimecastError)


def test_body_is_truncated():
    error = from_response("queue", 500, {}, body="x" * 5000)
    assert len(error.body) == 500


@pytest.mark.parametrize(
    "text",
    [
        '{"access_token":"tok-123","expires_in":1799}',
        "access_token=tok-123&token_type=bearer",
        "Authorization: Bearer tok-123",
        "client_secret=tok-123&client_id=abc",
    ],
)
def test_scrub_masks_tokens_and_secrets(text):
    assert "tok-123" not in scrub(text)
    assert "known-secret" not in scrub(f"{text} known-secret", ["known-secret"])
