"""A hostile Mimecast on 127.0.0.1: what an attacker, a broken gateway or a broken proxy could answer.

It signs callers in as the simulated tenant does (the tenant answers /oauth/token and checks HMAC), then
answers every API call with one chosen `behaviour` (one of BEHAVIOURS). Answers built from the tenant's own
page keep its records (so the lone-surrogate and non-finite cases carry real users); the rest are made here.
Every answer is deterministic, and the big ones are streamed, never held in memory.
"""

from __future__ import annotations

import json
import math
import struct
import time
import zlib
from collections.abc import Iterator, Mapping
from typing import Any, Callable

from devkit.loopback import Reply, Server
from devkit.simulator import SimulatedTenant

FORGED_LINE = "2026-01-01 00:00:00,000 CRITICAL pid=1 | forged=yes"
HUGE_BYTES = 48 * 1024 * 1024  # past the client's 32 MiB limit
BOMB_BYTES = 1024 * 1024 * 1024  # what the gzip bomb inflates to, from about 1 MiB on the wire
DEEP = 100_000
HOUR_MS = "3600000"
JSON = {"Content-Type": "application/json"}


def _json(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _failure(status: int, code: str, message: str) -> Reply:
    body = {
        "meta": {"status": status},
        "data": [],
        "fail": [{"errors": [{"code": code, "message": message}]}],
    }
    return Reply(status, dict(JSON), _json(body))


def _huge_page() -> Iterator[bytes]:
    yield b'{"meta":{"status":200},"data":['
    record = _json({"email": "pad@example.com", "name": "x" * 1000}) + b","
    for _ in range(HUGE_BYTES // len(record)):
        yield record
    yield b'{"email":"last@example.com"}],"fail":[]}'


def _endless_spaces() -> Iterator[bytes]:
    piece = b" " * 65536
    while True:
        yield piece


_bomb: bytes | None = None


def gzip_bomb() -> bytes:
    """About 1 MiB of gzip that inflates to 1 GiB of zeros, built once per process in a quarter second: one
    MiB of zeros deflated after a full flush gives the same bytes every time, so that block is repeated
    (compressing the whole GiB took 3 s of CPU in every pytest worker)."""
    global _bomb  # noqa: PLW0603 -- built once per process, on first use
    if _bomb is None:
        zeros = bytes(1024 * 1024)
        count = BOMB_BYTES // len(zeros)
        packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate: the gzip frame is ours
        block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
        crc = 0
        for _ in range(count):
            crc = zlib.crc32(zeros, crc)
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # gzip, deflate, no name, no time, best
        trailer = struct.pack("<II", crc, BOMB_BYTES % 2**32)
        _bomb = header + block * count + packer.flush(zlib.Z_FINISH) + trailer
    return _bomb


def _drip(body: bytes, pause: float) -> Iterator[bytes]:
    while True:
        for index in range(len(body)):
            time.sleep(pause)
            yield body[index : index + 1]


def _header_drip(pause: float) -> Iterator[bytes]:
    yield b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Drip: "
    while True:
        time.sleep(pause)
        yield b"a"


def _poisoned(genuine: bytes, poison: Callable[[dict[str, Any]], None]) -> bytes:
    """The tenant's page with every record changed by `poison`: the records of data[], or those nested at
    data[0].items[] or data[0].campaigns[]."""
    payload = json.loads(genuine)
    data = payload.get("data") if isinstance(payload, dict) else None
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        nested = next((item[key] for key in ("items", "campaigns") if isinstance(item.get(key), list)), None)
        for record in nested if nested is not None else [item]:
            if isinstance(record, dict):
                poison(record)
    return json.dumps(payload).encode()  # ensure_ascii keeps a lone surrogate as the escape \ud800


def _surrogate(record: dict[str, Any]) -> None:
    for key in ("name", "title", "department"):
        if isinstance(record.get(key), str):
            record[key] = record[key] + "\ud800"
    record["mc_note"] = "\udfff lone low surrogate"


def _non_finite(record: dict[str, Any]) -> None:
    values = (math.inf, -math.inf, math.nan)
    for index, key in enumerate(sorted(k for k, v in record.items() if isinstance(v, (int, float)))):
        if not isinstance(record[key], bool):
            record[key] = values[index % 3]
    record["humanError"] = math.inf


class HostileMimecast:
    """Serves `behaviour` (one of BEHAVIOURS) on 127.0.0.1; `keys` and `base_url` are those an account uses,
    so `devkit.modinput.add_account` and the tests' account fields take it as they take the tenant."""

    def __init__(self, behaviour: str, users: int = 12, seed: int = 11) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; known: {', '.join(BEHAVIOURS)}")
        self.behaviour = behaviour
        self.tenant = SimulatedTenant(users=users, seed=seed)
        self.keys = self.tenant.keys
        self.calls = 0
        self._server = Server(self.serve, name=f"hostile-{behaviour}")

    def __enter__(self) -> HostileMimecast:
        if self.behaviour == "gzip_bomb":
            gzip_bomb()  # built before the first call, so no client times out waiting for it
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    def serve(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        # The page tokens made up here mean nothing to the tenant: it is asked for its first page instead.
        asked = _first_page(body) if self.behaviour.endswith("_tokens") else body
        genuine = self.tenant.serve(method, path, headers, asked)
        if not path.startswith("/api/") or genuine.status == 401:
            if self.behaviour == "echo_credentials" and genuine.status != 200:
                return self._echo(headers, body)
            return genuine
        self.calls += 1
        return BEHAVIOURS[self.behaviour](self, headers, body, genuine)

    def _echo(self, headers: Mapping[str, str], body: bytes) -> Reply:
        said = f"refused {headers.get('Authorization', '')} {body.decode('utf-8', 'replace')}\n{FORGED_LINE}"
        reply = _failure(401, "err_echo\r\nforged=1", said)
        reply.headers["WWW-Authenticate"] = f"Bearer error={headers.get('Authorization', '')!r}"
        return reply


Behaviour = Callable[[HostileMimecast, Mapping[str, str], bytes, Reply], Reply]


def _page_token(body: bytes) -> str | None:
    try:
        return json.loads(body)["meta"]["pagination"].get("pageToken")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _first_page(body: bytes) -> bytes:
    try:
        request = json.loads(body)
        request["meta"]["pagination"].pop("pageToken", None)
    except (ValueError, KeyError, TypeError, AttributeError):
        return body
    return _json(request)


def _with_next(genuine: Reply, token: str) -> Reply:
    payload = json.loads(genuine.body)
    payload.setdefault("meta", {})["pagination"] = {"pageSize": 500, "next": token}
    return Reply(200, dict(JSON), _json(payload))


def _echo_in_fail(server: HostileMimecast, headers: Mapping[str, str], body: bytes, genuine: Reply) -> Reply:
    return server._echo(headers, body)


BEHAVIOURS: dict[str, Behaviour] = {
    "huge_page": lambda s, h, b, g: Reply(200, dict(JSON), stream=_huge_page()),
    "oversized": lambda s, h, b, g: Reply(200, dict(JSON), stream=_endless_spaces()),
    "gzip_bomb": lambda s, h, b, g: Reply(
        200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, gzip_bomb()
    ),
    "deep_json": lambda s, h, b, g: Reply(200, {}, b'{"meta":{},"data":' + b"[" * DEEP + b"]" * DEEP + b"}"),
    "wrong_types": lambda s, h, b, g: Reply(
        200,
        dict(JSON),
        _json({"meta": {"status": "ok", "pagination": {"next": {"a": 1}}}, "data": {"users": 1}, "fail": {}}),
    ),
    "lone_surrogates": lambda s, h, b, g: Reply(g.status, g.headers, _poisoned(g.body, _surrogate)),
    "non_finite": lambda s, h, b, g: Reply(g.status, g.headers, _poisoned(g.body, _non_finite)),
    "looping_tokens": lambda s, h, b, g: _with_next(g, "B" if _page_token(b) == "A" else "A"),
    "endless_tokens": lambda s, h, b, g: _with_next(g, f"page-{s.calls}"),
    "hour_reset": lambda s, h, b, g: Reply(
        g.status, {**g.headers, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": HOUR_MS}, g.body
    ),
    "hour_429": lambda s, h, b, g: Reply(
        429,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": HOUR_MS},
        _failure(429, "err_rate_limit_exceeded", "Too many requests").body,
    ),
    "slow_drip": lambda s, h, b, g: Reply(200, dict(JSON), stream=_drip(g.body, 0.2)),
    "slow_headers": lambda s, h, b, g: Reply(200, raw=_header_drip(0.2)),
    "redirect": lambda s, h, b, g: Reply(
        302, {"Location": "http://127.0.0.1:9/elsewhere", "Content-Type": "application/json"}, g.body
    ),
    "echo_credentials": _echo_in_fail,
    "newline_errors": lambda s, h, b, g: _failure(
        400, "err_validation\nforged=1", f"bad request\r\n{FORGED_LINE}\x1b[31m\x00"
    ),
}
