"""The HTTP layer: one POST in, status, headers and body out; only network failures become errors here.

Every answer is bounded here, whichever urllib3 requests brings (the app vendors 1.x, a checkout may have
2.x): the body is read raw in single socket reads and decoded by zlib with an output limit, so neither a
large body nor a gzip bomb can take more than `Limits.max_body` bytes, and the whole answer must arrive
within `Limits.request_seconds` however slowly it drips.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import SSLError as Urllib3SslError
from urllib3.util import parse_url

from splunk_app import USER_AGENT
from splunk_app.mimecast.errors import (
    InsecureUrl,
    MalformedResponse,
    NetworkError,
    PlainHttp,
    ProxyError,
    Refused,
    TlsError,
    TooLarge,
    scrub,
)
from splunk_app.mimecast.trust import trust_context

# What a failed TLS handshake surfaces as, at the root of what requests raised (urllib3 keeps its own type).
_TLS_FAILURES = (ssl.SSLError, Urllib3SslError)
# What OpenSSL says when a TLS handshake gets a plain-HTTP answer (seen with OpenSSL 3.0 under Python 3.9,
# 3.11 and 3.13).
_PLAIN_HTTP = frozenset({"WRONG_VERSION_NUMBER"})
# The only hosts http:// may name: this machine, where the simulated tenant runs.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
# scheme://host[:port][/]: a DNS name or an IPv4 address, or an IPv6 address in brackets; nothing else.
_BASE_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?/?"
)
READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on one answer: its decoded size and the time it may take, first byte to last."""

    max_body: int = 32 * 1024 * 1024
    request_seconds: float = 300.0


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
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        netloc = f"{login}@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def check_base_url(base_url: str) -> str:
    """`https://host[:port]` as the connection will see it (InsecureUrl for anything else): no path, query,
    fragment, user info, backslash, whitespace or control character; http:// only for this machine.

    The verdict is urllib3's `parse_url`, the parser requests connects with, held to a strict pattern of
    the whole text, so that no second parser can read another host out of the same string."""
    text = str(base_url)
    shape = _BASE_URL.fullmatch(text)
    try:
        parsed = parse_url(text)
    except ValueError:
        parsed = None
    port = int(shape.group("port")) if shape and shape.group("port") else None
    agrees = (
        shape is not None
        and parsed is not None
        and parsed.scheme == shape.group("scheme")
        and (parsed.host or "").lower() == shape.group("host").lower()
        and parsed.port == port
        and not (parsed.auth or parsed.query or parsed.fragment)
        and (parsed.path or "/") == "/"
        and (port is None or 0 < port < 65536)
    )
    if not agrees or parsed is None:
        raise InsecureUrl(
            f"base URL {_shown(text)} is refused: it must be https://host or https://host:port and nothing "
            "else (no path, user name, query or spaces); set the account's Base URL to your region's "
            "gateway, such as https://api.services.mimecast.com.",
            endpoint="base_url",
        )
    host = (parsed.host or "").lower()
    if parsed.scheme != "https" and host not in LOOPBACK_HOSTS:
        raise InsecureUrl(
            f"base URL {_shown(text)} is refused: Mimecast is reached over https:// only (http:// is for a "
            "simulated tenant on this machine); set the account's Base URL to your region's gateway, such "
            "as https://api.services.mimecast.com.",
            endpoint="base_url",
        )
    return f"{parsed.scheme}://{host}" + (f":{port}" if port is not None else "")


def _shown(text: str) -> str:
    """A refused URL as it may be quoted back: short, and with control characters escaped."""
    return ascii(text[:200])


class _Watch:
    """The deadline of the request in flight on this thread: every connection it sends on gets a timer that
    shuts the socket down when the time is up, so even response headers that trickle in a byte at a time
    (which a per-read timeout never ends) stop at the deadline."""

    current = threading.local()

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self.fired = False
        self._timers: list[threading.Timer] = []

    def arm(self, connection: Any) -> None:
        timer = threading.Timer(max(0.0, self.ends - time.monotonic()), self._cut, (connection,))
        timer.daemon = True
        timer.start()
        self._timers.append(timer)

    def disarm(self) -> None:
        for timer in self._timers:
            timer.cancel()

    def _cut(self, connection: Any) -> None:
        sock = getattr(connection, "sock", None)
        if sock is not None:
            self.fired = True
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    """A connection pool whose every request is watched by the thread's `_Watch` (urllib3 1.x and 2.x both
    send each request through `_make_request` with its connection)."""

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        watch = getattr(_Watch.current, "watch", None)
        if watch is not None:
            watch.arm(conn)
        return super()._make_request(conn, *args, **kwargs)  # type: ignore[misc]


class _WatchedPool(_Watched, HTTPConnectionPool):
    pass


class _WatchedTlsPool(_Watched, HTTPSConnectionPool):
    pass


_POOLS = {"http": _WatchedPool, "https": _WatchedTlsPool}


class _Adapter(HTTPAdapter):
    """requests' adapter with the watched pools for direct and proxied connections alike, and, when given
    one, a single SSL context for every connection: to Mimecast, through a proxy's tunnel, and to an HTTPS
    proxy itself (the company CA bundle)."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self._context = context
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self._context is not None:
            kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        if self._context is not None:
            proxy_kwargs.setdefault("ssl_context", self._context)
            proxy_kwargs.setdefault("proxy_ssl_context", self._context)
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport:
    """A requests session with TLS verification on, the configured proxy only, bounded answers and our
    User-Agent.

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
        *,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self.limits = limits or Limits()
        self._clock = clock
        self._session = session or requests.Session()
        self._session.trust_env = False
        self._session.verify = True
        self._session.headers["User-Agent"] = USER_AGENT
        adapter = _Adapter(trust_context(ca_bundle) if ca_bundle else None)
        for prefix in ("https://", "http://"):
            self._session.mount(prefix, adapter)
        self._proxies: dict[str, str] = {}
        self._proxy_secrets: tuple[str, ...] = ()
        if proxy is not None:
            url = proxy.requests_url()
            self._proxies = {"http": url, "https": url}
            self._proxy_secrets = tuple(s for s in (proxy.password, url) if s)
        self._secrets = secrets

    def post(
        self,
        endpoint: str,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        seconds: float | None = None,
    ) -> HttpResponse:
        """Sends one POST; NetworkError (ProxyError, TlsError) when no complete answer came back within
        `seconds` (at most the limits' request_seconds), TooLarge when the answer is over the size limit."""
        budget = max(0.001, min(self.limits.request_seconds, seconds or self.limits.request_seconds))
        deadline = self._clock() + budget
        connect, read = self.timeout
        # The adapter, not Session.send: the session would read a redirect's whole body, unbounded, even
        # with redirects off. A redirect is handed back as it is, and the client calls it an error.
        prepared = self._session.prepare_request(
            requests.Request("POST", url, data=body, headers={**headers, "Accept-Encoding": "gzip, deflate"})
        )
        watch = _Watch.current.watch = _Watch(budget)
        try:
            try:
                response = self._session.get_adapter(url).send(
                    prepared,
                    stream=True,
                    timeout=(min(connect, budget), min(read, budget)),
                    verify=True,
                    proxies=self._proxies,
                )
                try:
                    content = self._read(endpoint, url, response, deadline, budget)
                finally:
                    response.close()
            except (OSError, http.client.HTTPException, requests.exceptions.RequestException) as err:
                if watch.fired:
                    raise _out_of_time(endpoint, url, budget, None) from err
                raise self._network_error(endpoint, url, err) from err
        finally:
            watch.disarm()
            _Watch.current.watch = None
        return HttpResponse(response.status_code, response.headers, content)

    def _read(
        self, endpoint: str, url: str, response: requests.Response, deadline: float, budget: float
    ) -> bytes:
        """The decoded body, read one socket read at a time, within the size and time limits."""
        host = urlsplit(url).hostname
        limit = self.limits.max_body
        declared = response.headers.get("Content-Length", "")
        expected = int(declared) if declared.isdigit() else None
        decoder = _decoder(endpoint, response.headers.get("Content-Encoding", ""))
        if decoder is None and expected is not None and expected > limit:
            raise _too_large(endpoint, host, limit)
        read_once = _single_reads(response.raw)
        body = bytearray()
        wire = 0
        while True:
            if self._clock() > deadline:
                raise _out_of_time(endpoint, url, budget, response.status_code)
            chunk = read_once(READ_SIZE)
            if not chunk:
                break
            wire += len(chunk)
            body += decoder.decompress(chunk, limit - len(body) + 1) if decoder else chunk
            if len(body) > limit:
                raise _too_large(endpoint, host, limit)
        if decoder is not None:
            body += decoder.flush()
            if len(body) > limit:
                raise _too_large(endpoint, host, limit)
        if expected is not None and wire < expected:
            raise NetworkError(
                f"{endpoint}: the answer from {host} was cut short ({wire} of {expected} bytes); check the "
                "network path (proxy, firewall) if this keeps happening.",
                endpoint=endpoint,
                status=response.status_code,
            )
        return bytes(body)

    def _network_error(self, endpoint: str, url: str, err: Exception) -> NetworkError:
        host = urlsplit(url).hostname
        detail = scrub(f"{type(err).__name__}: {_root(err)}", self._secrets + self._proxy_secrets)
        if isinstance(err, requests.exceptions.ProxyError) and isinstance(_root(err), _TLS_FAILURES):
            return TlsError(
                f"{endpoint}: the TLS certificate of the HTTPS proxy could not be verified ({detail}); if "
                "your company's CA signed it, add that CA to the add-on's company CA bundle. Verification "
                "stays on.",
                endpoint=endpoint,
            )
        if isinstance(err, requests.exceptions.ProxyError):
            return ProxyError(
                f"{endpoint}: the proxy failed the connection to {host} ({detail}); check "
                "the proxy host, port, username and password, and that it allows HTTPS to "
                "Mimecast.",
                endpoint=endpoint,
            )
        root = _root(err)
        # urllib3 1.x (Python 3.9's lib/) wraps ssl's error in its own SSLError's args, not as its cause.
        wrapped = root.args[0] if root.args and isinstance(root.args[0], BaseException) else root
        plain = bool({getattr(root, "reason", ""), getattr(wrapped, "reason", "")} & _PLAIN_HTTP)
        if isinstance(err, requests.exceptions.SSLError) and plain:
            return PlainHttp(
                f"{endpoint}: {urlsplit(url).netloc} answered in plain HTTP, not TLS: that port does not "
                "speak https://; check the port in the Base URL (Mimecast's gateways take https:// on 443).",
                endpoint=endpoint,
            )
        if isinstance(err, requests.exceptions.SSLError):
            return TlsError(
                f"{endpoint}: the TLS certificate of {host} could not be verified ({detail}); "
                "if a TLS-inspecting proxy is in the way, add its CA certificate to the add-on's "
                "company CA bundle. Verification stays on.",
                endpoint=endpoint,
            )
        if isinstance(err, (requests.exceptions.Timeout, TimeoutError)):
            return NetworkError(
                f"{endpoint}: {host} did not answer in time ({detail}); check the network "
                "path, or raise the timeout if Mimecast is slow.",
                endpoint=endpoint,
            )
        kind = Refused if isinstance(_root(err), ConnectionRefusedError) else NetworkError
        return kind(
            f"{endpoint}: cannot reach {host} ({detail}); check the Base URL, DNS, the "
            "firewall (outbound HTTPS) and the proxy settings.",
            endpoint=endpoint,
        )


def _decoder(endpoint: str, encoding: str) -> Any:
    """A zlib decompressor for the answer's Content-Encoding (None for none); we ask only for these two."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return zlib.decompressobj()
    raise MalformedResponse(
        f"{endpoint}: the answer is encoded as {name[:40]!a}, which was not asked for; check that no "
        "proxy rewrites Mimecast's answers.",
        endpoint=endpoint,
    )


def _single_reads(raw: Any) -> Callable[[int], bytes]:
    """A function doing one socket read of the undecoded body (so a slow drip returns at every byte and the
    deadline is checked): the read1 of the http.client response under urllib3 1.x and 2.x alike, else that
    response's read, else the raw response's own read (requests opens it with decoding off; a recorded
    answer in the tests is one)."""
    stream = getattr(raw, "_fp", None)
    for name in ("read1", "read"):
        method = getattr(stream, name, None)
        if callable(method):
            return method
    return raw.read


def _out_of_time(endpoint: str, url: str, budget: float, status: int | None) -> NetworkError:
    return NetworkError(
        f"{endpoint}: {urlsplit(url).hostname} took longer than {budget:.0f} s to send its answer; check the "
        "network path (proxy, firewall), or Mimecast's status if this keeps happening.",
        endpoint=endpoint,
        status=status,
    )


def _too_large(endpoint: str, host: str | None, limit: int) -> TooLarge:
    return TooLarge(
        f"{endpoint}: the answer from {host} is larger than {limit // (1024 * 1024)} MiB once decoded, "
        "which no Mimecast page should be; lower the input's page size, or check that nothing else "
        "answers in Mimecast's place.",
        endpoint=endpoint,
    )


def _root(err: BaseException) -> Any:
    """The innermost reason requests wrapped (its own text repeats the URL and pool details)."""
    seen = err
    for _ in range(10):
        inner = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
        if not isinstance(inner, BaseException) or inner is seen:
            break
        seen = inner
    return seen
