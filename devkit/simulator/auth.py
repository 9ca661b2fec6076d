"""The tenant's credentials and how it checks a request's OAuth 2.0 bearer token or API 1.0 signature."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Callable

INVALID_SIGNATURE = (401, "err_xdk_invalid_signature", "0004 Invalid Signature")
TOKEN_EXPIRED = (401, "token_expired", "Access Token Expired")
TOKEN_INVALID = (401, "invalid_token", "Access Token is invalid")
NO_AUTHORIZATION = (401, "err_xdk_missing_authorization", "Authorization header missing")


@dataclass(frozen=True)
class Keys:
    """Random per tenant; never printed by repr."""

    client_id: str = field(default_factory=lambda: secrets.token_hex(16))
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    app_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    app_key: str = field(default_factory=lambda: str(uuid.uuid4()), repr=False)
    access_key: str = field(default_factory=lambda: secrets.token_urlsafe(48), repr=False)
    secret_key: str = field(
        default_factory=lambda: base64.b64encode(secrets.token_bytes(64)).decode(), repr=False
    )


def check_hmac(headers: Mapping[str, str], path: str, keys: Keys) -> tuple[int, str, str] | None:
    """None if the signature is good; else (HTTP status, code, message) as Mimecast answers."""
    app_id = headers.get("x-mc-app-id", "")
    if not hmac.compare_digest(app_id, keys.app_id):
        return 200, "err_developer_key", f"App ID is invalid: {app_id}"
    date, request_id = headers.get("x-mc-date", ""), headers.get("x-mc-req-id", "")
    try:
        parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return INVALID_SIGNATURE
    scheme, _, credentials = headers.get("Authorization", "").partition(" ")
    access_key, _, sent = credentials.partition(":")
    good_key = hmac.compare_digest(access_key, keys.access_key)
    if scheme != "MC" or not request_id or not good_key or not _signed(sent, date, request_id, path, keys):
        return INVALID_SIGNATURE
    return None


def _signed(sent: str, date: str, request_id: str, path: str, keys: Keys) -> bool:
    """Mimecast's documented API 1.0 signature, written here apart from the client's code so that a
    misreading there is caught here: the HMAC-SHA1, keyed with the base64-decoded secret key, of
    `x-mc-date:x-mc-req-id:uri path:application key`, sent base64-encoded."""
    try:
        signature = base64.b64decode(sent, validate=True)
    except (binascii.Error, ValueError):
        return False
    key = base64.b64decode(keys.secret_key)
    signed = ":".join((date, request_id, path, keys.app_key)).encode("utf-8")
    return hmac.compare_digest(signature, hmac.new(key, signed, hashlib.sha1).digest())


class Tokens:
    """Bearer tokens issued by /oauth/token, each valid for `ttl` seconds of `clock`."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._expiry[token] = self._clock() + self.ttl
        return token

    def check(self, token: str) -> tuple[int, str, str] | None:
        with self._lock:
            expiry = self._expiry.get(token)
        if expiry is None:
            return TOKEN_INVALID
        return TOKEN_EXPIRED if self._clock() >= expiry else None

    def expire(self, token: str) -> None:
        """Ends a token now, as a token-expiry fault does."""
        with self._lock:
            if token in self._expiry:
                self._expiry[token] = self._clock()
