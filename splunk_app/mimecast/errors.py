"""Every way a Mimecast call can fail, as one family of exceptions whose message says what to do.

Mimecast's HTTP status says only whether the HTTP call worked: `fail[]` is read on every response, so a
wrong application id answered with HTTP 200 still becomes `BadCredentials`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

BODY_LIMIT = 500
QUOTE_LIMIT = 200  # how much of Mimecast's own fail[] message an error quotes
MAX_DEPTH = 64  # no Mimecast answer nests deeper than a handful of levels
MASK = "********"
_TOKEN_FIELD = re.compile(r'("?(?:access_token|client_secret|refresh_token)"?\s*[:=]\s*"?)[^"&,\s}]+', re.I)
_BEARER = re.compile(r"(Bearer\s+)\S+", re.I)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret value, token field and bearer token masked."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _TOKEN_FIELD.sub(lambda m: m.group(1) + MASK, text)
    return _BEARER.sub(lambda m: m.group(1) + MASK, text)


class MimecastError(Exception):
    """A Mimecast call that did not work; `retryable` says whether the same call may work later."""

    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        body: str = "",
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.body = body

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(endpoint={self.endpoint!r}, status={self.status!r}, "
            f"code={self.code!r}, request_id={self.request_id!r}, retryable={self.retryable!r})"
        )


class BadCredentials(MimecastError):
    """Mimecast did not accept the account's credentials (fix the account)."""


class MissingPermission(MimecastError):
    """The credentials work but the API application's role lacks a permission (fix the role)."""


class KeysExpired(MimecastError):
    """API 1.0 keys whose authentication profile lapsed (create new keys, or move to API 2.0)."""


class RateLimited(MimecastError):
    """Mimecast's rate limit is used up; `retry_after` says when to try again."""

    default_retryable = True


class Api1Only(MimecastError):
    """The endpoint exists only in API 1.0, and the account is an API 2.0 (OAuth 2.0) application."""


def api1_only(endpoint: str, path: str) -> Api1Only:
    what = "training campaigns are" if "/campaign/" in path else f"{path} is"
    return Api1Only(
        f"{endpoint}: {what} available only through an API 1.0 application: Mimecast's API 2.0 has no "
        f"{path}. Use an account with API 1.0 (HMAC) keys for this, or leave it out.",
        endpoint=endpoint,
    )


class ApiError(MimecastError):
    """Mimecast refused or failed the call for another reason; `code` is its fail[] code."""


class MalformedResponse(MimecastError):
    """The answer was not Mimecast's JSON envelope (wrong URL, or something else answered)."""


class NetworkError(MimecastError):
    """No answer came back: connection refused, DNS, timeout, or a response cut short."""

    default_retryable = True


class ProxyError(NetworkError):
    """The configured proxy refused or failed the connection."""

    default_retryable = False


class TlsError(NetworkError):
    """The server's TLS certificate could not be verified (verification is never turned off)."""

    default_retryable = False


class Refused(NetworkError):
    """The host answered that nothing listens on the port (connection refused)."""


class PlainHttp(NetworkError):
    """An https:// URL whose port answered in plain HTTP: the port is wrong (or the scheme), not a
    certificate."""

    default_retryable = False


class InsecureUrl(MimecastError):
    """A base URL that is not https:// (only the local simulated tenant may use http://)."""


class TooLarge(MimecastError):
    """An answer larger (decoded) than the transport's limit, or nested deeper than MAX_DEPTH."""


class OutOfTime(MimecastError):
    """The run's time is up, or Mimecast asked for a wait longer than the cap: the run ends here and the
    next interval resumes where this one stopped."""


@dataclass(frozen=True)
class Failure:
    """One error from a response's fail[] (or an OAuth error body)."""

    code: str | None
    message: str
    retryable: bool


def failures(payload: Any) -> list[Failure]:
    """The errors a parsed response reports, in both fail[] forms and the OAuth `error` form."""
    found: list[Failure] = []
    if not isinstance(payload, Mapping):
        return found
    fail = payload.get("fail")
    for item in fail if isinstance(fail, list) else []:
        if not isinstance(item, Mapping):
            continue
        errors = item.get("errors")
        for error in errors if isinstance(errors, list) else [item]:
            if isinstance(error, Mapping):
                found.append(
                    Failure(
                        _text(error.get("code")),
                        _text(error.get("message")) or "",
                        error.get("retryable") is True,
                    )
                )
    if not found and isinstance(payload.get("error"), str):
        found.append(Failure(payload["error"], _text(payload.get("error_description")) or "", False))
    return found


def item_failures(payload: Any) -> list[tuple[Any, Failure]]:
    """(key, first error) of each fail[] entry when every entry names its item; [] otherwise."""
    fail = payload.get("fail") if isinstance(payload, Mapping) else None
    if not isinstance(fail, list) or not fail:
        return []
    found = []
    for item in fail:
        if not isinstance(item, Mapping) or "key" not in item:
            return []
        errors = failures({"fail": [item]})
        found.append((item["key"], errors[0] if errors else Failure(None, "", False)))
    return found


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


CREDENTIAL_CODES = frozenset(
    {
        "err_xdk_invalid_signature",
        "err_developer_key",
        "err_xdk_missing_authorization",
        "err_xdk_invalid_access_key",
        "invalid_token",
        "token_expired",
        "invalid_client",
        "unauthorized_client",
        "invalid_grant",
    }
)
EXPIRED_CODES = frozenset({"err_xdk_binding_expired"})
PERMISSION_CODES = frozenset({"err_xdk_client_forbidden", "err_xdk_forbidden"})
NEVER_RETRYABLE = frozenset({400, 401, 403, 404, 405, 409, 418})


def retryable_status(status: int) -> bool:
    """429 and server errors may work later; client errors will not."""
    return status not in NEVER_RETRYABLE and (status == 429 or 500 <= status <= 599)


def _kind(status: int, codes: set[str]) -> type[MimecastError]:
    if status == 418 or codes & EXPIRED_CODES:
        return KeysExpired
    if status == 401 or codes & CREDENTIAL_CODES:
        return BadCredentials
    if status == 403 or codes & PERMISSION_CODES:
        return MissingPermission
    if status == 429:
        return RateLimited
    return ApiError


ADVICE_BY_CODE = {
    "err_developer_key": "check the account's Application ID and Application key",
    "err_xdk_invalid_signature": "check the account's Access key and Secret key (and the Application key)",
    "err_xdk_invalid_access_key": "check the account's Access key and Secret key",
    "invalid_client": "check the account's Client ID and Client secret",
    "unauthorized_client": "check the account's Client ID and Client secret",
}
ADVICE_BY_KIND = {
    KeysExpired: (
        "the API 1.0 keys' authentication profile has expired: create new access and secret keys "
        "(or move the account to an API 2.0 OAuth application) and update the account"
    ),
    BadCredentials: (
        "check the account's credentials (Client ID and secret for OAuth 2.0; Application "
        "ID/key, Access key and Secret key for API 1.0) and that the Base URL is your "
        "account's region"
    ),
    MissingPermission: (
        "give the API application's role at least Awareness Training | Dashboard | Read "
        "(SAFE scores also need the Engage Core entitlement)"
    ),
}
GROUP_PERMISSION = "give the API application's role the Directories | Groups | Edit permission"


def _advice(
    kind: type[MimecastError], status: int, codes: set[str], endpoint: str, retry_after: float | None
) -> str:
    """What the administrator should do about one error."""
    by_code = [ADVICE_BY_CODE[code] for code in sorted(codes) if code in ADVICE_BY_CODE]
    if kind is BadCredentials and by_code:
        advice = by_code[0]
    elif kind is MissingPermission and "group" in endpoint:
        advice = GROUP_PERMISSION
    elif kind in ADVICE_BY_KIND:
        advice = ADVICE_BY_KIND[kind]
    elif kind is RateLimited:
        wait = f"{retry_after:.1f} s" if retry_after is not None else "a while"
        advice = (
            f"the rate limit shared by every integration of this administrator is used up; wait "
            f"{wait}, or run inputs less often"
        )
    elif 300 <= status < 400:
        advice = (
            "Mimecast's API does not redirect, so something else answered: check the account's Base URL "
            "and that no proxy or login portal answers in Mimecast's place"
        )
    elif status in (404, 405):
        advice = "check that the account's Base URL is a Mimecast API gateway of your region"
    elif status >= 500:
        advice = "Mimecast had a server error; the call will be tried again at the next interval"
    else:
        advice = "check the input's options (filters, ids, emails) against Mimecast's error message"
    return advice


def from_response(
    endpoint: str,
    status: int,
    payload: Any,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
    body: str = "",
    secrets: Iterable[str] = (),
    per_item: bool = False,
) -> MimecastError | None:
    """The error a response stands for, or None when it succeeded (2xx and no fail[]). `body` must already
    be scrubbed; Mimecast's own words are quoted short, scrubbed of `secrets` and tokens, on one line. With
    `per_item` (calls that take a list of items), fail[] entries that each name their item (`key`) are
    outcomes of those items, not a failure of the call."""
    found = failures(payload)
    if 200 <= status < 300 and (not found or (per_item and item_failures(payload))):
        return None
    codes = {f.code for f in found if f.code}
    kind = _kind(status, codes)
    first = found[0] if found else None
    said = (
        f"{first.code}: {first.message}" if first and first.message else ((first.code or "") if first else "")
    )
    said = quoted(said, secrets)
    what = f"Mimecast answered HTTP {status}" + (f" ({said})" if said else "")
    retryable = retryable_status(status) or (status < 300 and any(f.retryable for f in found))
    advice = _advice(kind, status, codes, endpoint, retry_after)
    ref = f" [request id {request_id}]" if request_id else ""
    return kind(
        f"{endpoint}: {what}; {advice}.{ref}",
        endpoint=endpoint,
        status=status,
        code=quoted(first.code, secrets) if first and first.code else None,
        request_id=request_id,
        retryable=retryable,
        retry_after=retry_after,
        body=body[:BODY_LIMIT],
    )


def quoted(text: str, secrets: Iterable[str] = ()) -> str:
    """Outside words fit to quote in a message: secrets and tokens masked, control characters escaped
    (one line, no forged log lines), and at most QUOTE_LIMIT characters."""
    clean = scrub(text, secrets)
    clean = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in clean)
    return clean if len(clean) <= QUOTE_LIMIT else clean[:QUOTE_LIMIT] + "..."


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def parse_body(endpoint: str, status: int, raw: bytes, body: str, request_id: str | None) -> Any:
    """The JSON payload of a response; MalformedResponse when it is not JSON, TooLarge when it nests
    deeper than MAX_DEPTH."""
    too_deep = TooLarge(
        f"{endpoint}: the answer (HTTP {status}) nests JSON more than {MAX_DEPTH} levels deep, which no "
        "Mimecast answer does; check that the Base URL is a Mimecast API gateway.",
        endpoint=endpoint,
        status=status,
        request_id=request_id,
    )
    try:
        payload = json.loads(raw.decode("utf-8"))
    except RecursionError as err:
        raise too_deep from err
    except (UnicodeDecodeError, ValueError) as err:
        raise MalformedResponse(
            f"{endpoint}: the answer (HTTP {status}) is not JSON; check that the Base URL is a Mimecast API "
            "gateway and that no proxy or login portal answers in Mimecast's place.",
            endpoint=endpoint,
            status=status,
            request_id=request_id,
            body=body[:BODY_LIMIT],
        ) from err
    if depth(payload) > MAX_DEPTH:
        raise too_deep
    return payload
