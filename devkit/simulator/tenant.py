"""The simulated Mimecast tenant: its state, and how one HTTP request becomes one reply.

Users are never stored: a request derives the users of its page from (seed, id, generation). What is
stored is small: the population's edits, issued tokens, group membership, per-generation counts, and a log
of what was served.
"""

from __future__ import annotations

import base64
import binascii
import collections
import hmac
import json
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from devkit.loopback import Reply, Server
from devkit.simulator import api, auth
from devkit.simulator import campaigns as camp
from devkit.simulator.directory import Directory
from devkit.simulator.faults import Faults
from devkit.simulator.people import User, derive
from devkit.simulator.population import Population
from devkit.simulator.ratelimit import RateLimiter
from devkit.simulator.records import Style
from splunk_app.mimecast import HmacCredentials, OAuth2Credentials

OAUTH_PATH = "/oauth/token"


@dataclass(frozen=True)
class ServedRequest:
    """One request as the tenant saw it. `body` is the parsed JSON (for /oauth/token the form without
    the secret); `auth` is "oauth2", "hmac" or None."""

    path: str
    body: Any
    auth: str | None
    status: int


def envelope(
    status: int,
    data: list[Any],
    pagination: dict[str, Any] | None = None,
    fail: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"status": status}
    if pagination is not None:
        meta["pagination"] = pagination
    return {"meta": meta, "data": data, "fail": fail or []}


def error(status: int, code: str, message: str) -> dict[str, Any]:
    return envelope(status, [], fail=[{"errors": [{"code": code, "message": message, "retryable": False}]}])


def _json(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


class SimulatedTenant:
    """A Mimecast tenant on 127.0.0.1 that speaks the Awareness Training and directory APIs.

    `token_ttl` is the bearer tokens' lifetime in seconds of `clock`; `rate_limit` requests are allowed
    per `rate_window` seconds; `keep_requests` bounds the log of served requests (None keeps all), and
    `on_request` is called with each one as it is served. With `tls` (a server context) it speaks HTTPS,
    as a gateway behind a TLS-inspecting proxy does, signed by whatever CA the test chose.
    """

    def __init__(
        self,
        users: int = 1000,
        seed: int = 7,
        faults: Faults | None = None,
        *,
        token_ttl: float = 1799.0,
        rate_limit: int = 800,
        rate_window: float = 5.0,
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        keep_requests: int | None = None,
        on_request: Callable[[ServedRequest], None] | None = None,
        tls: ssl.SSLContext | None = None,
        account_code: str = "",
    ) -> None:
        if users < 0:
            raise ValueError("users must be 0 or more")
        self.keys = auth.Keys()
        self.account_code = account_code
        self._lock = threading.Lock()
        self._faults = faults or Faults()
        self._population = Population(seed=seed, initial=users)
        self._tokens = auth.Tokens(token_ttl, clock)
        self._limiter = RateLimiter(rate_limit, rate_window, clock)
        self._directory = Directory(seed)
        self._log: collections.deque[ServedRequest] = collections.deque(maxlen=keep_requests)
        self._on_request = on_request
        self._counts: dict[tuple[Any, ...], int] = {}
        self._totals: dict[tuple[int, str], list[camp.Totals]] = {}
        self._server = Server(self.serve, port, name="simulated-mimecast", tls=tls)
        self._scheme = "https" if tls is not None else "http"
        # Mimecast's clock as its answers' Date header shows it: this host's clock plus date_offset seconds
        # (a test moves the tenant's days on with it); None sends no Date at all.
        self.date_offset: float | None = 0.0

    def __enter__(self) -> SimulatedTenant:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    @property
    def base_url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._server.port}"

    @property
    def oauth2(self) -> OAuth2Credentials:
        """The OAuth 2.0 client credentials this tenant accepts."""
        return OAuth2Credentials(client_id=self.keys.client_id, client_secret=self.keys.client_secret)

    @property
    def hmac(self) -> HmacCredentials:
        """The API 1.0 keys this tenant accepts."""
        return HmacCredentials(
            app_id=self.keys.app_id,
            app_key=self.keys.app_key,
            access_key=self.keys.access_key,
            secret_key=self.keys.secret_key,
        )

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults

    @property
    def requests(self) -> list[ServedRequest]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    @property
    def generation(self) -> int:
        return self._population.generation

    @property
    def user_count(self) -> int:
        return self._population.count

    def advance(self, changed: int = 0, removed: int = 0, added: int = 0) -> None:
        """Moves to the next generation: `changed` users get new grades/counts/watch list (their SAFE
        grade always moves), `removed` users leave, `added` new users join at the end."""
        with self._lock:
            self._population = self._population.advance(changed, removed, added)
            generation = self._population.generation
            self._counts = {k: v for k, v in self._counts.items() if k[0] == generation}
            self._totals = {k: v for k, v in self._totals.items() if k[0] == generation}

    def expected_users(self) -> Iterator[dict[str, Any]]:
        """What get-safe-score-details returns now, all pages together, without faults."""
        return self.expected(f"{api.AWARENESS}/company/get-safe-score-details")

    def expected(self, path: str, data: list[Any] | None = None) -> Iterator[dict[str, Any]]:
        """What a full pull of one endpoint returns now (every page, no faults), record by record;
        `data` is the request's data, e.g. [{"id": campaign id}] or [{"includeUserDetails": True}]."""
        population = self._population
        view = api.View(
            population, Style(), self._directory, self._count_for(population), self._totals_for(population)
        )
        paging = api.Paging(size=api.MAX_PAGE_SIZE)
        while True:
            answer = api.ROUTES[path](view, data or [], paging)
            yield from api.records_in(path, answer.data)
            token = (answer.pagination or {}).get("next")
            if not token:
                return
            paging = api.Paging.parse({"pagination": {"pageSize": api.MAX_PAGE_SIZE, "pageToken": token}})

    def group_members(self, group: str) -> set[str]:
        """Lower-cased emails in a directory group (by description or id)."""
        return self._directory.members(group)

    def add_members(self, group: str, emails: list[str]) -> None:
        """Put users in a directory group directly, as an administrator would in Mimecast's console."""
        group_id = self._directory.group_id(group)
        for email in emails:
            self._directory.add({"id": group_id, "emailAddress": email})

    def remove_members(self, group: str, emails: list[str]) -> None:
        """Take users out of a directory group directly, as an administrator would in Mimecast's console."""
        group_id = self._directory.group_id(group)
        for email in emails:
            self._directory.remove({"id": group_id, "emailAddress": email})

    def group_id(self, group: str) -> str:
        return self._directory.group_id(group)

    def serve(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answers one request; called by the HTTP server on its request thread."""
        path = urlsplit(path).path  # also the absolute form (http://host/path) that proxies send
        allowance = self._limiter.hit()
        reply = self._answer(method, path, headers, body, allowance.allowed)
        date = "" if self.date_offset is None else formatdate(time.time() + self.date_offset, usegmt=True)
        reply.headers = {**allowance.headers(), "Date": date, **reply.headers}
        return reply

    def _answer(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, allowed: bool
    ) -> Reply:
        mode = _auth_mode(headers.get("Authorization", ""))
        if path == OAUTH_PATH:
            parsed: Any = {k: v for k, v in _form(body).items() if k != "client_secret"}
            mode = None
        else:
            parsed = _parse_json(body)
        if method != "POST":
            return self._log_reply(
                path, parsed, mode, 405, error(405, "err_method_not_allowed", "Only POST is supported")
            )
        if not allowed:
            return self._log_reply(
                path, parsed, mode, 429, error(429, "err_rate_limit_exceeded", "Too many requests")
            )
        with self._lock:
            fault, delay = self._faults.take(path, mode == "oauth2")
            style, no_pagination = self._faults.style(), self._faults.missing_pagination
            no_next = self._faults.lost_next_page
            population = self._population
        if delay:
            time.sleep(delay)
        if fault is not None and fault not in ("malformed_json", "cut_responses", "lost_answers"):
            return self._fault_reply(fault, path, parsed, mode, headers)
        if path == OAUTH_PATH:
            status, payload = self._token(body, headers)
        else:
            status, payload = self._call(
                path,
                parsed,
                mode,
                headers,
                population=population,
                style=style,
                no_pagination=no_pagination,
                no_next=no_next,
                size=len(body),
            )
        reply = self._log_reply(path, parsed, mode, status, payload)
        if fault == "malformed_json":
            reply.body = reply.body[: len(reply.body) // 2] + b"<html>"
        elif fault == "cut_responses":
            reply.cut = True
        elif fault == "lost_answers":
            status = self._faults.server_error_status
            reply.status = status
            reply.body = _json(error(status, "err_internal_server_error", "An internal error occurred"))
        return reply

    def _log_reply(self, path: str, parsed: Any, mode: str | None, status: int, payload: Any) -> Reply:
        served = ServedRequest(path, parsed, mode, status)
        with self._lock:
            self._log.append(served)
        if self._on_request is not None:
            self._on_request(served)
        return Reply(status, {"Content-Type": "application/json"}, _json(payload))

    def _fault_reply(
        self, fault: str, path: str, parsed: Any, mode: str | None, headers: Mapping[str, str]
    ) -> Reply:
        faults = self._faults
        if fault == "binding_expired":
            return self._log_reply(
                path, parsed, mode, 418, error(418, "err_xdk_binding_expired", "Binding expired")
            )
        if fault == "developer_key_fail":
            app_id = headers.get("x-mc-app-id", "")
            return self._log_reply(
                path, parsed, mode, 200, error(200, "err_developer_key", f"App ID is invalid: {app_id}")
            )
        if fault == "missing_permission":
            return self._log_reply(
                path,
                parsed,
                mode,
                403,
                error(
                    403, "err_xdk_client_forbidden", "Access denied: the role lacks the required permission"
                ),
            )
        if fault == "token_expiry":
            self._tokens.expire(headers.get("Authorization", "")[7:])
            return self._log_reply(path, parsed, mode, 401, error(*auth.TOKEN_EXPIRED))
        if fault == "rate_limit_storm":
            reply = self._log_reply(
                path, parsed, mode, 429, error(429, "err_rate_limit_exceeded", "Too many requests")
            )
            reply.headers["X-RateLimit-Remaining"] = "0"
            reply.headers["X-RateLimit-Reset"] = str(faults.storm_reset_ms)
            return reply
        status = faults.server_error_status
        return self._log_reply(
            path,
            parsed,
            mode,
            status,
            error(status, "err_internal_server_error", "An internal error occurred"),
        )

    def _token(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        form = _form(body)
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = headers.get("Authorization", "")
        if basic.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = client_secret = ""
        if form.get("grant_type") != "client_credentials":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "grant_type must be client_credentials",
            }
        if not (
            hmac.compare_digest(client_id, self.keys.client_id)
            and hmac.compare_digest(client_secret, self.keys.client_secret)
        ):
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        return 200, {
            "access_token": self._tokens.issue(),
            "token_type": "Bearer",
            "expires_in": int(self._tokens.ttl),
        }

    def _call(
        self,
        path: str,
        parsed: Any,
        mode: str | None,
        headers: Mapping[str, str],
        *,
        population: Population,
        style: Style,
        no_pagination: bool,
        no_next: bool,
        size: int,
    ) -> tuple[int, dict[str, Any]]:
        problem = self._check_auth(mode, path, headers) or self._check_account_code(
            parsed.get("meta") if isinstance(parsed, dict) else None
        )
        if problem is not None:
            status, code, message = problem
            return status, error(status, code, message)
        handler = api.ROUTES.get(path)
        if handler is None or (mode == "oauth2" and path in api.API1_ONLY):
            return 404, error(404, "err_xdk_not_found", f"No endpoint at {path}")
        if not isinstance(parsed, dict):
            return 400, error(400, "err_validation_failed", "The body must be a JSON object")
        data = parsed.get("data") or []
        if not isinstance(data, list):
            return 400, error(400, "err_validation_failed", "data must be a list")
        view = api.View(
            population, style, self._directory, self._count_for(population), self._totals_for(population)
        )
        try:
            api.check_body_size(path, size)
            answer = handler(view, data, api.Paging.parse(parsed.get("meta")))
        except api.ApiFailure as err:
            return err.status, error(err.status, err.code, err.message)
        pagination = None if no_pagination or answer.pagination is None else dict(answer.pagination)
        if no_next and pagination is not None:
            pagination.pop("next", None)
        return 200, envelope(200, answer.data, pagination, answer.fail)

    def _check_account_code(self, meta: Any) -> tuple[int, str, str] | None:
        """A tenant reached through a managed service provider's account wants its account code in
        meta.accountCode on every call (the 403 and its wording are this simulator's choice)."""
        if not self.account_code:
            return None
        sent = meta.get("accountCode") if isinstance(meta, dict) else None
        if sent == self.account_code:
            return None
        message = "meta.accountCode is missing" if sent is None else f"Unknown account code {sent}"
        return 403, "err_account_code_invalid", message

    def _check_auth(
        self, mode: str | None, path: str, headers: Mapping[str, str]
    ) -> tuple[int, str, str] | None:
        if mode == "oauth2":
            return self._tokens.check(headers.get("Authorization", "")[7:])
        if mode == "hmac":
            return auth.check_hmac(headers, path, self.keys)
        return auth.NO_AUTHORIZATION

    def _count_for(self, population: Population) -> Callable[[tuple[Any, ...], Callable[[User], bool]], int]:
        def count(key: tuple[Any, ...], keep: Callable[[User], bool]) -> int:
            full_key = (population.generation, *key)
            if full_key not in self._counts:
                total = sum(1 for user_id in population.ids() if keep(derive(population, user_id)))
                with self._lock:
                    if population.generation == self._population.generation:
                        self._counts[full_key] = total
                return total
            return self._counts[full_key]

        return count

    def _totals_for(self, population: Population) -> Callable[[str], list[camp.Totals]]:
        def totals(kind: str) -> list[camp.Totals]:
            key = (population.generation, kind)
            if key not in self._totals:
                computed = camp.campaign_totals(population, kind)
                with self._lock:
                    if population.generation == self._population.generation:
                        self._totals[key] = computed
                return computed
            return self._totals[key]

        return totals


def _auth_mode(authorization: str) -> str | None:
    if authorization.startswith("Bearer "):
        return "oauth2"
    if authorization.startswith("MC "):
        return "hmac"
    return None


def _form(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return None
