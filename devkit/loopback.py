"""The workshop's one HTTP server: threaded HTTP/1.1 (or HTTPS, given a server TLS context) on 127.0.0.1
that hands each request to one function and writes its reply, or half of it before closing the connection
when the reply says `cut`, or relays bytes both ways when the reply opens a `tunnel` (a proxy's CONNECT).
The simulated tenant, the splunkd stand-in and the test proxies all run on it."""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Reply:
    """An answer: `body` with its Content-Length, or, when `stream` is set, its pieces as they come (no
    Content-Length, the connection closed at the end), for answers that drip or never end; `raw` replaces
    the whole answer, status line and headers included, with its pieces as they come; `tunnel` answers a
    CONNECT and relays to that address."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    cut: bool = False
    tunnel: tuple[str, int] | None = None
    stream: Iterable[bytes] | None = None
    raw: Iterable[bytes] | None = None


Serve = Callable[[str, str, Mapping[str, str], bytes], Reply]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a client's session reuses its connection
    # The headers and the body go out in two writes: with Nagle's algorithm on, a small reply's body waits for
    # the client's delayed ACK of the headers, 40 ms a call on a kept-alive connection.
    disable_nagle_algorithm = True
    server: _HttpServer

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        reply = self.server.serve(self.command, self.path, self.headers, body)
        if reply.tunnel is not None:
            self._relay(reply.tunnel)
            return
        if reply.raw is not None:
            self.close_connection = True
            self._write_pieces(reply.raw)
            return
        # As send_response, but a reply may set its own Date (a server whose clock differs), or "" for none.
        self.send_response_only(reply.status)
        self.send_header("Server", self.version_string())
        date = reply.headers.get("Date", self.date_time_string())
        if date:
            self.send_header("Date", date)
        for name, value in reply.headers.items():
            if name != "Date":
                self.send_header(name, value)
        if reply.stream is not None:
            self._send_stream(reply.stream)
            return
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.cut:
            self.send_header("Connection", "close")
        self.end_headers()
        if reply.cut:
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.close_connection = True
            return
        self.wfile.write(reply.body)

    def _send_stream(self, pieces: Iterable[bytes]) -> None:
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self._write_pieces(pieces)

    def _write_pieces(self, pieces: Iterable[bytes]) -> None:
        try:
            for piece in pieces:
                self.wfile.write(piece)
                self.wfile.flush()
        except OSError:
            return  # the client gave up, as it should on an answer that never ends

    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = do_CONNECT = _handle

    def _relay(self, address: tuple[str, int]) -> None:
        """Answers a CONNECT with 200, then copies bytes both ways until either side closes."""
        self.close_connection = True
        try:
            upstream = socket.create_connection(address, timeout=10)
        except OSError:
            self.send_error(502, "cannot reach the tunnel's target")
            return
        with upstream:
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            ends = {self.connection: upstream, upstream: self.connection}
            with contextlib.suppress(OSError):  # either side hanging up ends the tunnel
                while True:
                    readable, _, _ = select.select(list(ends), [], [], 30)
                    if not readable:
                        return
                    for end in readable:
                        data = end.recv(65536)
                        if not data:
                            return
                        ends[end].sendall(data)

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: each server keeps its own record of what it served."""


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    serve: Serve

    def __init__(self, address: tuple[str, int], tls: ssl.SSLContext | None) -> None:
        super().__init__(address, _Handler)
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        self.tls = tls

    def finish_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        """The TLS handshake happens here, in the request's own thread, so a stalled client blocks no one."""
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(10)
        try:
            secure = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused our certificate (or left): nothing to serve
        with secure:
            secure.settimeout(None)
            super().finish_request(secure, client_address)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up mid-answer (a bounded client gives up on a slow or huge one by design) is
        no error of the server's; anything else is printed as socketserver does."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Ends kept-alive connections too, so a stopped tenant answers nobody."""
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):  # already closed by the client
                    connection.shutdown(socket.SHUT_RDWR)


class Server:
    """Runs `serve` behind HTTP on 127.0.0.1:`port` (0 = any free port) in a background thread; behind
    HTTPS when `tls` (a server-side context holding a certificate) is given."""

    def __init__(
        self, serve: Serve, port: int = 0, name: str = "loopback", tls: ssl.SSLContext | None = None
    ) -> None:
        self._serve = serve
        self._tls = tls
        self._name = name
        self._wanted_port = port
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError(f"the {self._name} server is not running: start it or use a with block")
        return self._http.server_address[1]

    def start(self) -> None:
        if self._http is not None:
            return
        self._http = _HttpServer(("127.0.0.1", self._wanted_port), self._tls)
        self._http.serve = self._serve
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name=self._name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._http is None:
            return
        self._http.shutdown()
        self._http.server_close()
        self._http.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._http, self._thread = None, None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
