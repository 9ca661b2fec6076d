"""The HTTP layer: one POST in, status, headers and body out; only network failures become errors here."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from splunk_app import USER_AGENT
from splunk_app.mimecast.errors import InsecureUrl, NetworkError, ProxyError, TlsError, scrub
from splunk_app.mimecast.trust import trust_context

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})


@dataclass(frozen=True)
class Proxy:
    """An HTTP(S) proxy for every Mimecast call; repr hides the password."""

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def requests_url(self) -> str:
        """The proxy URL with the credentials percent-encoded into it, as requests wants."""
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ProxyError(
                "proxy: the proxy URL must look like http://host:port; fix the proxy settings.",
                endpoint="proxy",
            )
        if not self.username:
            return self.url
        login = quote(self.username, safe="")
        if self.password:
            login += ":" + quote(self.password, safe="")
        netloc = f"{login}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def check_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; InsecureUrl unless https (or http to this machine)."""
    parts = urlsplit(base_url.strip())
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or local):
        raise InsecureUrl(
            f"base URL {base_url!r} is refused: Mimecast is reached over https:// only; set the account's "
            "Base URL to your region's gateway, such as https://api.services.mimecast.com.",
            endpoint="base_url",
        )
    return base_url.strip().rstrip("/")


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport:
    """A requests session with TLS verification on, the configured proxy only, timeouts and our User-Agent.

    `session` may be passed in (tests, connection reuse). Environment proxies are ignored so that the
    add-on's own proxy setting is the one that applies. `ca_bundle` (PEM text) adds a company CA to the
    public roots, for Mimecast and for an HTTPS proxy alike.
    """

    def __init__(
        self,
        proxy: Proxy | None = None,
        timeout: tuple[float, float] = (10.0, 120.0),
        session: requests.Session | None = None,
        secrets: tuple[str, ...] = (),
        ca_bundle: str | None = None,
    ) -> None:
        self.timeout = timeout
        self._session = session or requests.Session()
        self._session.trust_env = False
        self._session.verify = True
        if ca_bundle:
            adapter = _TrustingAdapter(trust_context(ca_bundle))
            self._session.mount("https://", adapter)
            self._session.mount("http://", adapter)
        self._session.headers["User-Agent"] = USER_AGENT
        self._proxies: dict[str, str] = {}
        self._proxy_secrets: tuple[str, ...] = ()
        if proxy is not None:
            url = proxy.requests_url()
            self._proxies = {"http": url, "https": url}
            self._proxy_secrets = tuple(s for s in (proxy.password, url) if s)
        self._secrets = secrets

    def post(self, endpoint: str, url: str, body: bytes, headers: Mapping[str, str]) -> HttpResponse:
        """Sends one POST; NetworkError (ProxyError, TlsError) when no complete answer came back."""
        try:
            response = self._session.post(
                url,
                data=body,
                headers=dict(headers),
                proxies=self._proxies,
                timeout=self.timeout,
                verify=True,
                allow_redirects=False,
            )
            content = response.content
        except requests.exceptions.RequestException as err:
            raise self._network_error(endpoint, url, err) from err
        expected = response.headers.get("Content-Length")
        if (
            expected
            and expected.isdigit()
            and "Content-Encoding" not in response.headers
            and len(content) < int(expected)
        ):
            raise NetworkError(
                f"{endpoint}: the answer from {urlsplit(url).hostname} was cut short ({len(content)} of "
                f"{expected} bytes); check the network path (proxy, firewall) if this keeps happening.",
                endpoint=endpoint,
                status=response.status_code,
            )
        return HttpResponse(response.status_code, response.headers, content)

    def _network_error(self, endpoint: str, url: str, err: Exception) -> NetworkError:
        host = urlsplit(url).hostname
        detail = scrub(f"{type(err).__name__}: {_root(err)}", self._secrets + self._proxy_secrets)
        if isinstance(err, requests.exceptions.ProxyError):
            return ProxyError(
                f"{endpoint}: the proxy failed the connection to {host} ({detail}); check "
                "the proxy host, port, username and password, and that it allows HTTPS to "
                "Mimecast.",
                endpoint=endpoint,
            )
        if isinstance(err, requests.exceptions.SSLError):
            return TlsError(
                f"{endpoint}: the TLS certificate of {host} could not be verified ({detail}); "
                "if a TLS-inspecting proxy is in the way, add its CA certificate to the add-on's "
                "company CA bundle. Verification stays on.",
                endpoint=endpoint,
            )
        if isinstance(err, requests.exceptions.Timeout):
            return NetworkError(
                f"{endpoint}: {host} did not answer in time ({detail}); check the network "
                "path, or raise the timeout if Mimecast is slow.",
                endpoint=endpoint,
            )
        return NetworkError(
            f"{endpoint}: cannot reach {host} ({detail}); check the Base URL, DNS, the "
            "firewall (outbound HTTPS) and the proxy settings.",
            endpoint=endpoint,
        )


class _TrustingAdapter(HTTPAdapter):
    """requests' adapter with one SSL context for every connection: to Mimecast, through a proxy's
    tunnel, and to an HTTPS proxy itself."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        kwargs.setdefault("ssl_context", self._context)
        kwargs.setdefault("proxy_ssl_context", self._context)
        return super().proxy_manager_for(proxy, **kwargs)


def _root(err: BaseException) -> Any:
    """The innermost reason requests wrapped (its own text repeats the URL and pool details)."""
    seen = err
    for _ in range(10):
        inner = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
        if not isinstance(inner, BaseException) or inner is seen:
            break
        seen = inner
    return seen
