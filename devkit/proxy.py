"""Loopback servers the account check and the actions meet in the field: a forward HTTP proxy that may
demand credentials (plain-http absolute URIs, and CONNECT tunnels to this machine), and a web server that is
not a Mimecast gateway. Both run on devkit.loopback."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Mapping

from devkit.loopback import Reply, Serve

TUNNEL_HOSTS = ("127.0.0.1", "localhost")
HOP_BY_HOP = ("proxy-authorization", "proxy-connection", "host", "connection", "content-length")
# The proxy itself goes straight to the target, whatever *_proxy variables the run has.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def forward_proxy(username: str, password: str, seen: list[str]) -> Serve:
    """A forward proxy that wants Basic credentials: plain-http absolute URIs are forwarded, CONNECT opens a
    tunnel to a port of this machine (never further); `seen` lists the URLs and `CONNECT host:port` it
    served."""
    expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    def serve(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        if headers.get("Proxy-Authorization") != expected:
            return Reply(407, {"Proxy-Authenticate": 'Basic realm="test"'})
        if method == "CONNECT":
            host, _, port = path.rpartition(":")
            if host not in TUNNEL_HOSTS or not port.isdigit():
                return Reply(403, {"Connection": "close"}, b"tunnels go to this machine only")
            seen.append(f"CONNECT {path}")
            return Reply(200, tunnel=(host, int(port)))
        kept = {key: value for key, value in headers.items() if key.lower() not in HOP_BY_HOP}
        request = urllib.request.Request(path, data=body or None, headers=kept, method=method)  # noqa: S310
        try:
            with DIRECT.open(request, timeout=10) as answer:
                status, payload, answer_headers = answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as err:
            status, payload, answer_headers = err.code, err.read(), err.headers
        seen.append(path)
        dropped = ("content-length", "transfer-encoding", "connection")
        return Reply(status, {k: v for k, v in answer_headers.items() if k.lower() not in dropped}, payload)

    return serve


def not_a_gateway(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
    """Any web server: 404 with an HTML page for every path."""
    return Reply(404, {"Content-Type": "text/html"}, b"<html><body>Not Found</body></html>")
