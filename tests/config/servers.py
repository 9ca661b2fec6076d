"""Small loopback servers the account check meets in the field: an HTTP proxy (that may demand
credentials) and a web server that is not a Mimecast gateway."""

from __future__ import annotations

import base64
import http.server
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

HOP_BY_HOP = ("proxy-authorization", "proxy-connection", "host", "connection")
# The proxy itself goes straight to the tenant, whatever *_proxy variables the test run has.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@contextmanager
def serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    """Run `handler` on a free 127.0.0.1 port for the duration of the block; yield the port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def proxy_handler(username: str, password: str, seen: list[str]) -> type[http.server.BaseHTTPRequestHandler]:
    """A forward proxy for plain-http absolute URIs that wants Basic credentials; `seen` lists what it
    forwarded."""
    expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.headers.get("Proxy-Authorization") != expected:
                self.send_response(407)
                self.send_header("Proxy-Authenticate", 'Basic realm="test"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            forward = urllib.request.Request(self.path, data=body, headers=headers, method="POST")
            try:
                with DIRECT.open(forward, timeout=10) as answer:
                    status, payload, answer_headers = answer.status, answer.read(), answer.headers
            except urllib.error.HTTPError as err:
                status, payload, answer_headers = err.code, err.read(), err.headers
            seen.append(self.path)
            self.send_response(status)
            for key, value in answer_headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Proxy


class NotAGateway(http.server.BaseHTTPRequestHandler):
    """Any web server: 404 for every API path."""

    def do_POST(self) -> None:
        body = b"<html><body>Not Found</body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass
