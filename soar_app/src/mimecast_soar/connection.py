"""An asset's fields as the add-on's Mimecast client: the same credentials rule as the add-on's account
check, the proxy from SOAR's environment (the client itself ignores the environment) and the company CA."""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit, urlunsplit

from splunk_app.account_check import BASE_URL_RULE, credentials_from_fields
from splunk_app.mimecast import Client, InsecureUrl, Proxy
from splunk_app.mimecast.transport import check_base_url
from splunk_app.mimecast.trust import company_bundle

# An action answers a playbook: it may not hold a playbook for hours as a scheduled input may.
ACTION_SECONDS = 300.0
ACTION_PAGES = 2_000


class AssetError(ValueError):
    """The asset cannot make a client; the message names the field to fix."""


def proxy_from_environment(base_url: str, environ: Mapping[str, str] | None = None) -> Proxy | None:
    """SOAR's proxy for this gateway (HTTPS_PROXY / HTTP_PROXY, NO_PROXY honoured), user and password
    taken out of the URL so that the client keeps them out of its messages."""
    proxies = urllib.request.getproxies() if environ is None else _proxies(environ)
    host = urlsplit(base_url).hostname or ""
    if not proxies or _bypassed(host, proxies.get("no", "")):
        return None
    url = proxies.get(urlsplit(base_url).scheme) or proxies.get("https") or proxies.get("http")
    if not url:
        return None
    parts = urlsplit(url)
    bare = urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""), "", "", ""))
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return Proxy(bare, user, password)


def client_for(fields: Mapping[str, object], environ: Mapping[str, str] | None = None) -> Client:
    """The client an asset describes; AssetError says which field is wrong, never its value."""
    text = {key: "" if value is None else str(value) for key, value in fields.items()}
    try:
        base_url = check_base_url(text.get("base_url", ""))
    except InsecureUrl as err:
        raise AssetError(f"asset: {BASE_URL_RULE}") from err
    try:
        credentials = credentials_from_fields(text)
    except ValueError as err:
        raise AssetError(f"asset: {err}") from err
    return Client(
        base_url,
        credentials,
        proxy_from_environment(base_url, environ),
        ca_bundle=company_ca(text),
        run_seconds=ACTION_SECONDS,
        max_pages=ACTION_PAGES,
        account_code=text.get("account_code", ""),
    )


def company_ca(fields: Mapping[str, str]) -> str | None:
    """The asset's company CA bundle (PEM), checked; None when the field is empty."""
    text = (fields.get("company_ca") or "").strip()
    try:
        return company_bundle(text) if text else None
    except ValueError as err:
        raise AssetError(f"asset: company CA: {err}") from err


def _proxies(environ: Mapping[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in environ.items():
        name = key.lower()
        if name.endswith("_proxy") and value:
            found[name[: -len("_proxy")]] = value
    return found


def _bypassed(host: str, no_proxy: str) -> bool:
    for entry in (item.strip().lower().lstrip(".") for item in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False
