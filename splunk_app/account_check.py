"""The account check the Configuration page runs on save (and `mimecast-at check` from a shell).

Real calls with the submitted fields and the proxy settings: one small page of each data set's endpoint
and one harmless group call, and an answer an administrator can act on: which field or which Mimecast
setting is wrong, in plain words, or what the account can do (which data sets it can pull, whether it may
manage groups for the alert actions). Nothing here knows about splunkd; the REST handler and the CLI pass
the fields in. Every call is bounded: short timeouts, one retry at most, and a deadline for the whole check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from splunk_app.inputs.catalogue import CATALOGUE
from splunk_app.mimecast import ENDPOINTS, Client, OAuth2Credentials, Proxy
from splunk_app.mimecast.auth import FIELDS_BY_AUTH, CredentialError, Credentials, credentials
from splunk_app.mimecast.auth import LABELS as CREDENTIAL_LABELS
from splunk_app.mimecast.client import TOKEN_ENDPOINT
from splunk_app.mimecast.errors import (
    ApiError,
    BadCredentials,
    InsecureUrl,
    KeysExpired,
    MalformedResponse,
    MimecastError,
    MissingPermission,
    NetworkError,
    PlainHttp,
    ProxyError,
    RateLimited,
    Refused,
    TlsError,
    quoted,
)
from splunk_app.mimecast.retry import RetryPolicy
from splunk_app.mimecast.transport import check_base_url

LABELS = {"base_url": "Base URL", **CREDENTIAL_LABELS}
# The account's encrypted fields, and what UCC's form sends back for one the administrator left untouched.
ENCRYPTED = ("client_secret", "app_key", "access_key", "secret_key")
UNCHANGED = ("", "******", "********")
# The administrator is waiting on the Save button: short timeouts, one retry at most.
CHECK_TIMEOUT = (10.0, 30.0)
CHECK_RETRY = RetryPolicy(max_retries=1, max_elapsed=20.0, base_delay=1.0, max_delay=5.0, max_rate_wait=5.0)
CHECK_SECONDS = 60.0
BASE_URL_RULE = (
    "{} must be https://host or https://host:port and nothing else (no path, user name, query, backslash or "
    "spaces); http:// only for a simulated tenant on this machine."
)
API2_SUFFIX = ".services.mimecast.com"
API1_ONLY = "available only through an API 1.0 application (HMAC keys); OAuth 2.0 accounts cannot pull it"
# Removing a made-up address from a made-up group changes nothing, and Mimecast only answers it (with a
# fail[] entry for the unknown group) to a role that has Directories | Groups | Edit.
GROUP_ENDPOINT = "remove_group_member"
GROUP_PROBE = {"id": "mimecast-at-permission-check", "emailAddress": "permission-check@example.invalid"}


@dataclass(frozen=True)
class Where:
    """Where the person reading the answer sets the base URL, the proxy and the company CA, and what
    they call each credential field."""

    base_url: str
    proxy: str
    ca_bundle: str
    fields: Mapping[str, str]


CONFIGURATION_PAGE = Where(
    base_url="the Base URL",
    proxy="the Configuration page's Proxy tab",
    ca_bundle="the Configuration page's Company CA tab (PEM)",
    fields={name: f"the {label}" for name, label in CREDENTIAL_LABELS.items()},
)


@dataclass(frozen=True)
class CheckResult:
    """`problem` names what is wrong (None when the account works); `message` says it in words.
    `pulls` lists the data sets the account can pull, `refused` those it cannot (with why), and
    `manages_groups` whether it may change group membership (None when that could not be learnt)."""

    problem: str | None
    message: str
    pulls: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()
    manages_groups: bool | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def credentials_from_fields(fields: Mapping[str, str]) -> Credentials:
    """The credentials the submitted fields describe, read as every run reads them (`credentials`);
    ValueError names the missing fields, CredentialError (a ValueError) a field that cannot work."""
    auth_type = (fields.get("auth_type") or "oauth2").strip().lower()
    if auth_type not in FIELDS_BY_AUTH:
        raise ValueError(f"Authentication must be oauth2 or hmac, not {auth_type!r}.")
    missing = [LABELS[name] for name in FIELDS_BY_AUTH[auth_type] if not (fields.get(name) or "").strip()]
    if missing:
        kind = "OAuth 2.0" if auth_type == "oauth2" else "HMAC (API 1.0)"
        raise ValueError(f"{kind} needs {', '.join(missing)}.")
    return credentials(auth_type, fields)


def field_problem(fields: Mapping[str, str], where: Where = CONFIGURATION_PAGE) -> CheckResult | None:
    """What is wrong with the fields themselves, found without a call (None when nothing is): a save
    without the check is held to this too."""
    if not (fields.get("base_url") or "").strip():
        return CheckResult(
            "incomplete", f"{_sentence(where.base_url)} is empty: give your Mimecast API gateway."
        )
    try:
        check_base_url(fields.get("base_url") or "")
    except InsecureUrl:
        return CheckResult("insecure_url", BASE_URL_RULE.format(_sentence(where.base_url)))
    try:
        credentials_from_fields(fields)
    except CredentialError as err:
        return CheckResult("invalid_field", f"{_sentence(where.fields[err.field])} {err.problem}.")
    except ValueError as err:
        return CheckResult("incomplete", str(err))
    return None


def submitted_fields(saved: Mapping[str, str], payload: Mapping[str, str]) -> dict[str, str]:
    """The account as it will be after a save: the form's fields over the stored ones, where an encrypted
    field sent back empty or masked keeps its stored (decrypted) value."""
    fields = dict(saved)
    for key, value in payload.items():
        if key in ENCRYPTED and value in UNCHANGED and saved.get(key):
            continue
        fields[key] = value
    return fields


def check_account(
    fields: Mapping[str, str],
    proxy: Proxy | None = None,
    ca_bundle: str | None = None,
    where: Where = CONFIGURATION_PAGE,
) -> CheckResult:
    """Try the account with real calls and say what, if anything, is wrong, or what it can do;
    `ca_bundle` is the company CA (PEM) trusted beside the public roots."""
    problem = field_problem(fields, where)
    if problem is not None:
        return problem
    base_url = check_base_url(fields.get("base_url") or "")
    account = credentials_from_fields(fields)
    client = Client(
        base_url,
        account,
        proxy=proxy,
        timeout=CHECK_TIMEOUT,
        retry=CHECK_RETRY,
        ca_bundle=ca_bundle,
        run_seconds=CHECK_SECONDS,
        max_pages=1,
        account_code=str(fields.get("account_code") or ""),
    )
    oauth = isinstance(account, OAuth2Credentials)
    pulls: list[str] = []
    refused: list[tuple[str, str]] = []
    for data_set in CATALOGUE.values():  # each data set's own first call, one record long
        endpoint = ENDPOINTS[data_set.endpoint]
        if oauth and not endpoint.api2:
            refused.append((data_set.title, API1_ONLY))
            continue
        try:
            _probe(client, endpoint.name)
        except MimecastError as err:
            why = _refusal(err)
            if why is None:
                return explain(err, base_url, account, proxy, where)
            refused.append((data_set.title, why))
        else:
            pulls.append(data_set.title)
    groups = _may_manage_groups(client)
    if not pulls and not groups:
        missing = MissingPermission("no data set", endpoint="check")
        return explain(missing, base_url, account, proxy, where)
    return CheckResult(
        None, _abilities(base_url, pulls, refused, groups), tuple(pulls), tuple(refused), groups
    )


def _probe(client: Client, endpoint: str) -> None:
    if ENDPOINTS[endpoint].shape == "first":
        client.post(endpoint, data=[])
    else:
        client.post(endpoint, data=[], meta={"pagination": {"pageSize": 1}})


def _refusal(err: MimecastError) -> str | None:
    """Why one data set's call was refused, or None when the error is about the account as a whole: the
    gateway, the network, or a token that never came (without one, no call was even made)."""
    if err.endpoint == TOKEN_ENDPOINT.name:
        return None
    if isinstance(err, MissingPermission):
        return "the API application's role lacks the permission"
    if isinstance(err, ApiError):
        return f"Mimecast answered {quoted(err.code or f'HTTP {err.status}')}"
    return None


def _may_manage_groups(client: Client) -> bool | None:
    """True when Mimecast executes a group change for this account, False when it refuses for want of the
    permission, None when it could not be learnt (the data sets' answer stands)."""
    try:
        client.post(GROUP_ENDPOINT, data=[GROUP_PROBE])
    except MissingPermission as err:
        return False if err.endpoint == GROUP_ENDPOINT else None
    except ApiError as err:
        # Past the permission check: a fail[] for the unknown group (HTTP 200) or a refusal of the made-up
        # item (4xx) from the group call itself. A server error, or a failed token request before it, says
        # nothing either way.
        past = err.endpoint == GROUP_ENDPOINT and err.status is not None and err.status < 500
        return True if past else None
    except MimecastError:
        return None
    return True


def _abilities(base_url: str, pulls: list[str], refused: list[tuple[str, str]], groups: bool | None) -> str:
    parts = [f"Connected to {base_url}."]
    parts.append(f"It can pull: {'; '.join(pulls)}." if pulls else "It can pull no Awareness Training data.")
    if refused:
        parts.append("It cannot pull: " + "; ".join(f"{title} ({why})" for title, why in refused) + ".")
    if groups:
        parts.append("It may manage groups (Directories | Groups | Edit), as the alert actions need.")
    elif groups is False:
        parts.append(
            "It may not manage groups: the alert actions need the Directories | Groups | Edit permission."
        )
    else:
        parts.append("Whether it may manage groups could not be learnt.")
    return " ".join(parts)


def explain(
    err: MimecastError,
    base_url: str,
    credentials: Credentials,
    proxy: Proxy | None,
    where: Where = CONFIGURATION_PAGE,
) -> CheckResult:
    """The plain-words answer for one client error."""
    parts = urlsplit(base_url)
    at = _Attempt(parts.hostname or base_url, parts.netloc or base_url, credentials, proxy, where)
    for kind, answer in _ANSWERS:
        if isinstance(err, kind):
            result = answer(err, at)
            if result is not None:
                return result
    return CheckResult("api_error", f"Mimecast answered with an error: {err}")


@dataclass(frozen=True)
class _Attempt:
    host: str
    address: str  # host:port as the base URL names it
    credentials: Credentials
    proxy: Proxy | None
    where: Where


def _insecure(err: MimecastError, at: _Attempt) -> CheckResult:
    return CheckResult("insecure_url", BASE_URL_RULE.format(_sentence(at.where.base_url)))


def _proxy_malformed(err: MimecastError, at: _Attempt) -> CheckResult | None:
    if at.proxy is None or not (isinstance(err, ProxyError) and err.endpoint == "proxy"):
        return None
    return CheckResult(
        "proxy_invalid",
        f"The proxy {at.proxy.url!r} is not a URL like http://host:port: fix {at.where.proxy}.",
    )


def _proxy_refused(err: MimecastError, at: _Attempt) -> CheckResult | None:
    if at.proxy is None or not (isinstance(err, ProxyError) or err.status == 407):
        return None
    why = (
        "asked for other credentials (HTTP 407) on the way to"
        if err.status == 407 or "407" in str(err)
        else "could not be reached, or refused the connection to"
    )
    return CheckResult(
        "proxy_refused",
        f"The proxy {_proxy_host(at.proxy)} {why} {at.host}: check its host, port, username and password "
        f"({at.where.proxy}) and that it allows HTTPS to Mimecast.",
    )


def _plain_http(err: MimecastError, at: _Attempt) -> CheckResult:
    return CheckResult(
        "plain_http",
        f"{at.address} answered in plain HTTP, not TLS: the port in {at.where.base_url} does not speak "
        "https://. Mimecast's gateways take https:// on the default port 443.",
    )


def _tls(err: MimecastError, at: _Attempt) -> CheckResult:
    return CheckResult(
        "tls_unverified",
        f"The TLS certificate of {at.host} could not be verified. If a proxy inspects TLS, add its CA "
        f"certificate in {at.where.ca_bundle}; verification is never turned off.",
    )


def _unreachable(err: MimecastError, at: _Attempt) -> CheckResult:
    via = f" through the proxy {_proxy_host(at.proxy)}" if at.proxy is not None else ""
    if isinstance(err, Refused) and at.proxy is None:
        return CheckResult(
            "unreachable",
            f"{at.address} refused the connection (nothing listens on that port): check the host and port in "
            f"{at.where.base_url}, or set a proxy ({at.where.proxy}).",
        )
    return CheckResult(
        "unreachable",
        f"Cannot reach {at.host}{via}: check {at.where.base_url}, DNS and the firewall (outbound HTTPS), "
        f"or set a proxy ({at.where.proxy}).",
    )


def _bad_credentials(err: MimecastError, at: _Attempt) -> CheckResult:
    oauth = isinstance(at.credentials, OAuth2Credentials)
    mismatch = _gateway_mismatch(at.host, oauth)
    if mismatch:
        return CheckResult("wrong_region", mismatch)
    names = [at.where.fields[name] for name in FIELDS_BY_AUTH["oauth2" if oauth else "hmac"]]
    return CheckResult(
        "bad_credentials",
        f"Mimecast at {at.host} rejected the credentials: check {', '.join(names[:-1])} and {names[-1]}. If "
        "they are right, the account may live in another region: give the gateway of your Mimecast region "
        f"as {at.where.base_url}.",
    )


def _missing_permission(err: MimecastError, at: _Attempt) -> CheckResult:
    return CheckResult(
        "missing_permission",
        "The credentials work but lack the Awareness Training permission: give the API application's "
        "role at least Awareness Training | Dashboard | Read in the Mimecast Administration Console.",
    )


def _keys_expired(err: MimecastError, at: _Attempt) -> CheckResult:
    return CheckResult(
        "keys_expired",
        "The API 1.0 access key and secret key have expired (binding expired): create new keys with the "
        "authentication profile's TTL set to never expire, or move to an API 2.0 (OAuth 2.0) application.",
    )


def _rate_limited(err: MimecastError, at: _Attempt) -> CheckResult:
    return CheckResult(
        "rate_limited", "Mimecast's rate limit for this account is used up right now: try again in a minute."
    )


def _not_a_gateway(err: MimecastError, at: _Attempt) -> CheckResult | None:
    if not isinstance(err, MalformedResponse) and err.status not in (404, 405):
        return None
    status = f" (HTTP {err.status})" if err.status else ""
    return CheckResult(
        "wrong_region",
        f"{at.host} does not answer as a Mimecast API gateway{status}: give the gateway of your region as "
        f"{at.where.base_url}.",
    )


def _no_token(err: MimecastError, at: _Attempt) -> CheckResult | None:
    if err.endpoint != TOKEN_ENDPOINT.name:
        return None
    status = f" (HTTP {err.status})" if err.status else ""
    return CheckResult(
        "no_token",
        f"{at.host} gave no OAuth 2.0 token{status}, so nothing could be checked: check "
        f"{at.where.fields['client_id']} and {at.where.fields['client_secret']}, and that "
        f"{at.where.base_url} is your region's API 2.0 gateway.",
    )


# In order: the first answer that applies wins.
_ANSWERS = (
    (InsecureUrl, _insecure),
    (ProxyError, _proxy_malformed),
    (MimecastError, _proxy_refused),
    (PlainHttp, _plain_http),
    (TlsError, _tls),
    (NetworkError, _unreachable),
    (BadCredentials, _bad_credentials),
    (MissingPermission, _missing_permission),
    (KeysExpired, _keys_expired),
    (RateLimited, _rate_limited),
    (MalformedResponse, _not_a_gateway),
    (ApiError, _not_a_gateway),
    (ApiError, _no_token),
)


def _gateway_mismatch(host: str, oauth: bool) -> str | None:
    """OAuth 2.0 applications live only on the API 2.0 gateways, API 1.0 keys only on the regional hosts."""
    if not host.endswith(".mimecast.com") and not host.endswith(".mimecast-pscom-us.com"):
        return None
    api2 = host.endswith(API2_SUFFIX)
    if oauth and not api2:
        return (
            f"{host} is an API 1.0 regional host: OAuth 2.0 (API 2.0) applications use "
            "https://api.services.mimecast.com or your region's services.mimecast.com gateway."
        )
    if not oauth and api2:
        return (
            f"{host} is an API 2.0 gateway: API 1.0 (HMAC) keys use your account's regional host, "
            "such as https://eu-api.mimecast.com or https://us-api.mimecast.com."
        )
    return None


def _sentence(words: str) -> str:
    """Words that open a sentence: "the Base URL" becomes "The Base URL"; "--base-url" stays."""
    return words[:1].upper() + words[1:]


def _proxy_host(proxy: Proxy) -> str:
    parts = urlsplit(proxy.url)
    if not parts.hostname:
        return repr(proxy.url)
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
