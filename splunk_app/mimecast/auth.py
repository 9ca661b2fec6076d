"""The two ways to authenticate to Mimecast, each a small object that signs one request at a time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable, Union

TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
DEFAULT_TOKEN_LIFETIME = 1799.0
REFRESH_MARGIN = 30.0
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FIELDS_BY_AUTH = {
    "oauth2": ("client_id", "client_secret"),
    "hmac": ("app_id", "app_key", "access_key", "secret_key"),
}
# What Mimecast and the Configuration page call each credential field.
LABELS = {
    "client_id": "Client ID",
    "client_secret": "Client secret",
    "app_id": "Application ID",
    "app_key": "Application key",
    "access_key": "Access key",
    "secret_key": "Secret key",
}
_BREAKS_A_HEADER = re.compile(r"[\s\x00-\x1f\x7f]")


class CredentialError(ValueError):
    """A credential field that cannot work as given. `field` names it and `problem` says why, so that each
    reader can be shown the field in its own words (the form's label, the CLI's environment variable)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"the {LABELS[field]} {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class OAuth2Credentials:
    """API 2.0 client credentials (the default); repr hides the secret."""

    client_id: str
    client_secret: str = field(repr=False)

    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret,)


@dataclass(frozen=True)
class HmacCredentials:
    """API 1.0 keys; repr hides the keys."""

    app_id: str
    app_key: str = field(repr=False)
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)

    def __post_init__(self) -> None:
        """Keys that cannot sign or travel in a header are refused here, by name, before any request."""
        for name in FIELDS_BY_AUTH["hmac"]:
            if _BREAKS_A_HEADER.search(getattr(self, name)):
                raise CredentialError(name, "holds a space, line break or control character: enter it again")
        try:
            base64.b64decode(self.secret_key, validate=True)
        except binascii.Error:
            raise CredentialError(
                "secret_key",
                "is not valid base64: copy the whole key again, as Mimecast showed it when it made the keys",
            ) from None

    def secrets(self) -> tuple[str, ...]:
        return (self.app_key, self.access_key, self.secret_key)


Credentials = Union[OAuth2Credentials, HmacCredentials]


def credentials(auth_type: str, values: Mapping[str, str]) -> Credentials:
    """The credentials of `auth_type` (oauth2 or hmac) from their fields, each stripped of surrounding
    whitespace: a pasted key often ends in a line break, and the save check and every run must read it
    alike. CredentialError names a field that cannot work."""
    fields = {name: str(values.get(name) or "").strip() for name in FIELDS_BY_AUTH[auth_type]}
    if auth_type == "hmac":
        return HmacCredentials(**fields)
    return OAuth2Credentials(**fields)


def mc_date(epoch: float) -> str:
    """`Tue, 24 Nov 2015 12:50:11 UTC`, the x-mc-date format, whatever the locale."""
    t = time.gmtime(epoch)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} UTC"
    )


def hmac_signature(secret_key: str, date: str, request_id: str, path: str, app_key: str) -> str:
    """base64(HMAC-SHA1(base64decode(secret key), date:request id:path:app key)), as API 1.0 wants."""
    message = f"{date}:{request_id}:{path}:{app_key}".encode()
    digest = hmac.new(base64.b64decode(secret_key), message, hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class HmacAuth:
    """API 1.0: a fresh request id and signature for every request."""

    def __init__(
        self,
        credentials: HmacCredentials,
        wall_clock: Callable[[], float] = time.time,
        new_request_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.credentials = credentials
        self._wall_clock = wall_clock
        self._new_request_id = new_request_id

    def headers(self, path: str) -> dict[str, str]:
        creds = self.credentials
        date, request_id = mc_date(self._wall_clock()), self._new_request_id()
        signature = hmac_signature(creds.secret_key, date, request_id, path, creds.app_key)
        return {
            "x-mc-date": date,
            "x-mc-req-id": request_id,
            "x-mc-app-id": creds.app_id,
            "Authorization": f"MC {creds.access_key}:{signature}",
        }

    def refresh_after(self, code: str | None, message: str) -> bool:
        """API 1.0 keys do not refresh: a 401 is final."""
        return False

    def secrets(self) -> tuple[str, ...]:
        return self.credentials.secrets()


class OAuth2Auth:
    """API 2.0: a bearer token, fetched on first use, kept until 30 s before it expires.

    `fetch` posts the client credentials to /oauth/token and returns the token and its lifetime in
    seconds; the client passes it in so that the token request goes through the same transport, retries
    and error checks.
    """

    def __init__(
        self,
        credentials: OAuth2Credentials,
        fetch: Callable[[dict[str, str]], tuple[str, float]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = credentials
        self._fetch = fetch
        self._clock = clock
        self._token: str | None = None
        self._valid_until = 0.0
        self._issued: list[str] = []  # every token this account received, to mask wherever one is echoed

    def form(self) -> dict[str, str]:
        return {
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
            "grant_type": "client_credentials",
        }

    def headers(self, path: str) -> dict[str, str]:
        if self._token is None or self._clock() >= self._valid_until:
            self._token, lifetime = self._fetch(self.form())
            self._issued.append(self._token)
            self._valid_until = self._clock() + max(0.0, lifetime - REFRESH_MARGIN)
        return {"Authorization": f"Bearer {self._token}"}

    def refresh_after(self, code: str | None, message: str) -> bool:
        """True (and the token dropped) when a 401 says the token expired: worth one new token."""
        if code == "token_expired" or "access token expired" in message.lower():
            self._token = None
            return True
        return False

    def secrets(self) -> tuple[str, ...]:
        return (*self.credentials.secrets(), *self._issued)


Auth = Union[HmacAuth, OAuth2Auth]
