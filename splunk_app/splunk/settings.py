"""The add-on's configuration as UCC saves it: accounts, proxy, company CA and log level, with the secrets
read from storage/passwords (never from the conf files, which hold only `********`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from splunklib import client

from splunk_app import APP_ID, allowed_groups
from splunk_app.mimecast import Proxy
from splunk_app.mimecast.auth import CredentialError, Credentials
from splunk_app.mimecast.auth import credentials as read_credentials
from splunk_app.mimecast.trust import CaBundleError, company_bundle
from splunk_app.splunk.logs import hide
from splunk_app.splunk.service import SplunkdError, get_json

ACCOUNT_CONF = "ta_mimecast_awareness_account"
SETTINGS_CONF = "ta_mimecast_awareness_settings"
# The Configuration page's Company CA tab: its stanza in SETTINGS_CONF and its one field.
COMPANY_CA = ("company_ca", "ca_certificates")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# solnlib's CredentialManager (which UCC uses) splits a secret into 255-character parts named
# `<user>``splunk_cred_sep``<n>` and ends it with this mark.
_SEP = "``splunk_cred_sep``"
_END_MARK = _SEP + _SEP.join("SPLUNK") + _SEP
_SECRET_FIELDS = {
    "oauth2": ("client_secret",),
    "hmac": ("app_key", "access_key", "secret_key"),
}
_TRUE = ("1", "true", "yes", "t", "y")


class SettingsError(SplunkdError):
    """The configuration is missing or incomplete; the message says what to fix on which page."""


@dataclass(frozen=True)
class Account:
    """A named Mimecast connection. The credentials' repr hides the secrets."""

    name: str
    base_url: str
    credentials: Credentials
    account_code: str = ""  # Mimecast's account code, for managed service providers and delegated access
    groups_allowed: tuple[str, ...] = ()  # the groups (names or ids) the alert actions may change; empty: any


def realm(conf: str, app: str = APP_ID) -> str:
    """The storage/passwords realm UCC uses for the encrypted fields of one conf file."""
    return f"__REST_CREDENTIAL__#{app}#configs/conf-{conf}"


def load_account(service: client.Service, name: str) -> Account:
    """The account `name`, with its secrets decrypted by splunkd."""
    fields = _stanza(service, ACCOUNT_CONF, name, f"Mimecast account {name!r}")
    auth_type = (fields.get("auth_type") or "oauth2").strip().lower()
    if auth_type not in _SECRET_FIELDS:
        raise SettingsError(f"Mimecast account {name!r} has auth_type {auth_type!r}; expected oauth2 or hmac")
    secrets = _secrets(service, ACCOUNT_CONF, name)
    missing = [key for key in _SECRET_FIELDS[auth_type] if not secrets.get(key, "").strip()]
    missing += [key for key in _clear_fields(auth_type) if not str(fields.get(key) or "").strip()]
    if not fields.get("base_url"):
        missing.insert(0, "base_url")
    if missing:
        raise SettingsError(
            f"Mimecast account {name!r} lacks {', '.join(missing)}: "
            "edit it on the add-on's Configuration page"
        )
    try:
        credentials = read_credentials(auth_type, {**fields, **secrets})
    except CredentialError as err:
        raise SettingsError(
            f"Mimecast account {name!r}: {err}; edit it on the add-on's Configuration page"
        ) from err
    return Account(
        name=name,
        base_url=fields["base_url"].strip().rstrip("/"),
        credentials=credentials,
        account_code=str(fields.get("account_code") or "").strip(),
        groups_allowed=_groups_allowed(fields.get(allowed_groups.FIELD), name),
    )


def _groups_allowed(text: object, account: str) -> tuple[str, ...]:
    """The account's allow-list of groups, by the rule both products share (splunk_app.allowed_groups)."""
    try:
        return allowed_groups.parse(text, f"Mimecast account {account!r}")
    except allowed_groups.GroupsError as err:
        raise SettingsError(f"{err}: edit it on the add-on's Configuration page") from err


def load_proxy(service: client.Service) -> Proxy | None:
    """The proxy of the Configuration page's Proxy tab, or None when it is off."""
    fields = _stanza(service, SETTINGS_CONF, "proxy", "proxy settings", missing_ok=True)
    if str(fields.get("proxy_enabled", "")).strip().lower() not in _TRUE:
        return None
    host = (fields.get("proxy_url") or "").strip()
    if not host:
        raise SettingsError(
            "the proxy is enabled but has no host: set it on the Configuration page's Proxy tab"
        )
    scheme = (fields.get("proxy_type") or "http").strip().lower()
    url = host if "://" in host else f"{scheme}://{host}"
    port = (fields.get("proxy_port") or "").strip()
    if port and not re.search(r":\d+/?$", url):
        url = f"{url}:{port}"
    username = (fields.get("proxy_username") or "").strip() or None
    password = _secrets(service, SETTINGS_CONF, "proxy").get("proxy_password") if username else None
    return Proxy(url=url, username=username, password=password or None)


def load_ca_bundle(service: client.Service) -> str | None:
    """The Company CA tab's certificates (PEM), checked, or None when none are set."""
    stanza, key = COMPANY_CA
    fields = _stanza(service, SETTINGS_CONF, stanza, "company CA settings", missing_ok=True)
    text = str(fields.get(key) or "").strip()
    if not text:
        return None
    try:
        return company_bundle(text)
    except CaBundleError as err:
        raise SettingsError(
            f"the company CA on the Configuration page's Company CA tab {err}; paste the CA certificate(s) "
            "in PEM (-----BEGIN CERTIFICATE----- ...) or clear the field"
        ) from err


def load_log_level(service: client.Service) -> str:
    """The Logging tab's level (INFO when unset or unknown)."""
    fields = _stanza(service, SETTINGS_CONF, "logging", "logging settings", missing_ok=True)
    level = (fields.get("loglevel") or "INFO").strip().upper()
    return level if level in LOG_LEVELS else "INFO"


def _clear_fields(auth_type: str) -> tuple[str, ...]:
    return ("app_id",) if auth_type == "hmac" else ("client_id",)


def _stanza(
    service: client.Service, conf: str, stanza: str, what: str, missing_ok: bool = False
) -> dict[str, Any]:
    try:
        answer = get_json(service, f"configs/conf-{conf}/{quote(stanza, safe='')}", f"read {what}")
    except SplunkdError as err:
        if err.status == 404 and missing_ok:
            return {}
        if err.status == 404:
            raise SettingsError(
                f"{what} is not configured: add it on the add-on's Configuration page", err.status
            ) from err
        raise
    entries = answer.get("entry") or []
    return dict(entries[0].get("content") or {}) if entries else {}


def _secrets(service: client.Service, conf: str, stanza: str) -> dict[str, str]:
    """The JSON object UCC stored for this stanza's encrypted fields ({} when there is none)."""
    wanted = realm(conf)
    # Only this conf's realm is asked for (as UCC's own solnlib asks): splunkd never hands this process
    # another app's secrets; the check below stays, should a splunkd ignore the filter.
    answer = get_json(
        service,
        "storage/passwords",
        f"read the encrypted fields of {stanza!r}",
        count=-1,
        search=f"realm={wanted}",
    )
    parts: dict[int, str] = {}
    whole = None
    for entry in answer.get("entry") or []:
        content = entry.get("content") or {}
        if content.get("realm") != wanted:
            continue
        username = str(content.get("username", ""))
        if username == stanza:
            whole = content.get("clear_password", "")
        elif username.startswith(stanza + _SEP) and username[len(stanza + _SEP) :].isdigit():
            parts[int(username[len(stanza + _SEP) :])] = content.get("clear_password", "")
    text = whole if not parts else _joined(parts)
    if not text:
        return {}
    try:
        values = json.loads(text)
    except ValueError as err:
        raise SettingsError(
            f"the encrypted fields of {stanza!r} in storage/passwords are not UCC's JSON object: re-enter "
            "them on the Configuration page"
        ) from err
    if not isinstance(values, dict):
        return {}
    secrets = {str(key): str(value) for key, value in values.items()}
    hide(*secrets.values())
    return secrets


def _joined(parts: dict[int, str]) -> str:
    text = ""
    for index in sorted(parts):
        if parts[index] == _END_MARK:
            break
        text += parts[index]
    return text
