"""The Mimecast client: one logical call at a time, signed, paced, retried, checked, and paged lazily."""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Callable
from urllib.parse import urlencode

from splunk_app.mimecast import endpoints, errors
from splunk_app.mimecast.auth import (
    DEFAULT_TOKEN_LIFETIME,
    TOKEN_PATH,
    Auth,
    Credentials,
    HmacAuth,
    HmacCredentials,
    OAuth2Auth,
)
from splunk_app.mimecast.endpoints import Endpoint, records_of, resolve
from splunk_app.mimecast.errors import BadCredentials, MalformedResponse, MimecastError, OutOfTime, scrub
from splunk_app.mimecast.ratelimit import RateLimiter, reset_seconds
from splunk_app.mimecast.retry import RetryPolicy, retry_delay, should_retry
from splunk_app.mimecast.transport import HttpResponse, Limits, Proxy, Transport, check_base_url

LOG = logging.getLogger(__name__)
MAX_PAGE_SIZE = 500
# Bounds on one run of a client (an input run, an alert action, an account check): its time in all, and the
# pages of one paged call (20,000 pages of 500 is ten million records, far beyond any tenant).
RUN_SECONDS = 6 * 3600.0
BEAT_SECONDS = 10.0  # under `beating`, the longest stretch of a wait between two beats
MAX_PAGES = 20_000
TOKEN_ENDPOINT = Endpoint("oauth_token", TOKEN_PATH, "token")


@dataclass(frozen=True)
class Page:
    """One page of records; `number` counts from 1, `next_token` is None on the last page."""

    records: list[dict[str, Any]]
    number: int
    next_token: str | None
    total_count: int | None


class Client:
    """A Mimecast API client for one account. Sleep and clock are injected so tests never wait."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        proxy: Proxy | None = None,
        *,
        timeout: tuple[float, float] = (10.0, 120.0),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        retry: RetryPolicy | None = None,
        rand: Callable[[], float] = random.random,
        transport: Transport | None = None,
        ca_bundle: str | None = None,
        limits: Limits | None = None,
        run_seconds: float = RUN_SECONDS,
        max_pages: int = MAX_PAGES,
        account_code: str = "",
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.account_code = account_code.strip()
        self._auth: Auth = (
            HmacAuth(credentials)
            if isinstance(credentials, HmacCredentials)
            else OAuth2Auth(credentials, self._fetch_token, clock)
        )
        self._transport = transport or Transport(
            proxy, timeout, secrets=credentials.secrets(), ca_bundle=ca_bundle, limits=limits, clock=clock
        )
        self._proxy_secrets = (proxy.password,) if proxy is not None and proxy.password else ()
        self._sleep = sleep
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._rand = rand
        self._beat: Callable[[], None] | None = None
        self._limiter = RateLimiter(clock, self._wait, max_wait=self._retry.max_rate_wait)
        self._run_seconds = run_seconds
        self._run_ends = clock() + run_seconds
        self._max_pages = max_pages
        self.requests_made = 0
        self._date: tuple[float, float] | None = None  # (Mimecast's Date, this client's clock then)

    def mimecast_time(self) -> float | None:
        """Mimecast's clock now (epoch seconds), from the `Date` of its latest answer and the time since;
        None before any answer with a readable Date."""
        if self._date is None:
            return None
        said, seen = self._date
        return said + max(0.0, self._clock() - seen)

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, auth={type(self._auth).__name__})"

    @contextlib.contextmanager
    def beating(self, beat: Callable[[], None]) -> Iterator[None]:
        """For the block, calls `beat` before each request and at least every BEAT_SECONDS of a wait (rate
        limit pacing, back-off): a caller holding a lease (the alert actions) renews it however long one
        call waits on Mimecast, and `beat` raising stops the call there."""
        before, self._beat = self._beat, beat
        try:
            yield
        finally:
            self._beat = before

    def post(self, endpoint: str, data: list[Any] | None = None, meta: dict[str, Any] | None = None) -> dict:
        """One logical call: the parsed answer, or a MimecastError once retries are spent."""
        target = resolve(endpoint)
        if not target.api2 and isinstance(self._auth, OAuth2Auth):
            raise errors.api1_only(target.name, target.path)
        body = endpoints.body([] if data is None else data, self._meta(meta))
        return self._call(target, body, "application/json", signed=True)

    def batches(self, endpoint: str, items: list[Any]) -> Iterator[tuple[list[Any], bool]]:
        """The items cut into as few calls of `post` as the endpoint's limits allow (this account's meta
        included in the body size), as (items, fits); an item that fits no call comes alone, fits False.
        A post's per-item failures are in its answer's fail[] (`errors.item_failures`)."""
        return endpoints.batches(resolve(endpoint), items, self._meta(None))

    def _meta(self, meta: dict[str, Any] | None) -> dict[str, Any] | None:
        """meta with the account code that managed service providers' accounts send on every call."""
        if not self.account_code:
            return meta
        return {**(meta or {}), "accountCode": self.account_code}

    def pages(self, endpoint: str, data: list[Any] | None = None, page_size: int = 500) -> Iterator[Page]:
        """The endpoint's pages, fetched one at a time as they are consumed. A next-page token already
        seen in this call (A->B->A as much as A->A) or more than `max_pages` pages end it with
        MalformedResponse, after the pages before were handed on."""
        target = resolve(endpoint)
        size = max(1, min(int(page_size), MAX_PAGE_SIZE))
        token: str | None = None
        seen: set[str] = set()
        number = 0
        while True:
            pagination: dict[str, Any] = {"pageSize": size}
            if token:
                pagination["pageToken"] = token
            payload = self.post(target.name, data, {"pagination": pagination})
            number += 1
            next_token, total = _pagination(target, payload)
            if next_token is not None and (next_token in seen or next_token == token):
                raise MalformedResponse(
                    f"{target.name}: page {number} points back to a page already read; Mimecast's paging "
                    "is broken for this call, try again later.",
                    endpoint=target.name,
                )
            if next_token is not None and number >= self._max_pages:
                raise MalformedResponse(
                    f"{target.name}: still more pages after {number}, the most one call may have; Mimecast's "
                    "paging is broken for this call, or the page size is too small.",
                    endpoint=target.name,
                )
            if token:
                seen.add(token)
            yield Page(records_of(target, payload), number, next_token, total)
            if next_token is None:
                return
            token = next_token

    def records(self, endpoint: str, data: list[Any] | None = None, page_size: int = 500) -> Iterator[dict]:
        """Every record of every page, one at a time."""
        for page in self.pages(endpoint, data, page_size):
            yield from page.records

    def _fetch_token(self, form: dict[str, str]) -> tuple[str, float]:
        payload = self._call(
            TOKEN_ENDPOINT, urlencode(form).encode(), "application/x-www-form-urlencoded", signed=False
        )
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise MalformedResponse(
                "oauth_token: the token answer has no access_token; check that the Base URL is a Mimecast "
                "API 2.0 gateway (such as https://api.services.mimecast.com).",
                endpoint=TOKEN_ENDPOINT.name,
            )
        try:
            lifetime = float(payload.get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = DEFAULT_TOKEN_LIFETIME
        return token, lifetime if lifetime > 0 else DEFAULT_TOKEN_LIFETIME

    def _call(self, target: Endpoint, body: bytes, content_type: str, signed: bool) -> dict:
        """Sends until an answer is good, an error is final, or the retry policy says stop. A failed
        token request has had its own retries and is final here."""
        started = self._clock()
        retries = 0
        refreshed = False
        while True:
            self._check_run_time(target, 0.0)
            headers = {"Content-Type": content_type, "Accept": "application/json"}
            if signed:
                headers.update(self._auth.headers(target.path))
            try:
                return self._attempt(target, body, headers)
            except BadCredentials as err:
                if (
                    signed
                    and not refreshed
                    and err.status == 401
                    and self._auth.refresh_after(err.code, str(err))
                ):
                    LOG.info("%s: the OAuth token expired; fetching a new one and sending again", target.name)
                    refreshed = True
                    continue
                raise
            except MimecastError as err:
                delay = retry_delay(err, retries, self._retry, self._rand)
                if not should_retry(err, retries, self._clock() - started, delay, self._retry):
                    raise
                retries += 1
                self._check_run_time(target, delay)
                LOG.warning(
                    "%s: %s; trying again in %.1f s (retry %d of %d)",
                    target.name,
                    type(err).__name__ + (f" HTTP {err.status}" if err.status else ""),
                    delay,
                    retries,
                    self._retry.max_retries,
                )
                self._wait(delay)

    def _wait(self, seconds: float) -> None:
        """Sleeps `seconds`; under `beating`, in stretches of at most BEAT_SECONDS with a beat before each."""
        if self._beat is None:
            self._sleep(seconds)
            return
        left = seconds
        while left > 0:
            self._beat()
            self._sleep(min(left, BEAT_SECONDS))
            left -= BEAT_SECONDS

    def _attempt(self, target: Endpoint, body: bytes, headers: dict[str, str]) -> dict:
        self._limiter.wait()
        if self._beat is not None:
            self._beat()
        self.requests_made += 1
        response = self._transport.post(
            target.name, self.base_url + target.path, body, headers, self._run_ends - self._clock()
        )
        self._limiter.observe(response.headers)
        self._observe_date(response.headers)
        return self._check(target, response, headers.get("x-mc-req-id"))

    def _check(self, target: Endpoint, response: HttpResponse, sent_id: str | None) -> dict:
        request_id = response.headers.get("x-mc-req-id") or response.headers.get("X-Request-Id") or sent_id
        text = scrub(response.body[: errors.BODY_LIMIT * 4].decode("utf-8", "replace"), self._secrets())
        payload = errors.parse_body(target.name, response.status, response.body, text, request_id)
        retry_after = reset_seconds(response.headers) if response.status == 429 else None
        error = errors.from_response(
            target.name,
            response.status,
            payload,
            request_id=request_id,
            retry_after=retry_after,
            body=text,
            secrets=self._secrets(),
            per_item=target.max_items > 0,
        )
        if error is not None:
            raise error
        if not isinstance(payload, dict):
            raise MalformedResponse(
                f"{target.name}: the answer is JSON but not an object; check that the "
                "Base URL is a Mimecast API gateway.",
                endpoint=target.name,
                status=response.status,
                request_id=request_id,
                body=text,
            )
        return payload

    def _observe_date(self, headers: Mapping[str, str]) -> None:
        try:
            said = parsedate_to_datetime(str(headers.get("Date") or ""))
        except (TypeError, ValueError, IndexError):
            return
        if said is not None and said.tzinfo is not None:
            self._date = (said.timestamp(), self._clock())

    def _check_run_time(self, target: Endpoint, wait: float) -> None:
        """OutOfTime when the run's time is up, or would be after waiting `wait` seconds."""
        if self._clock() + wait >= self._run_ends:
            raise OutOfTime(
                f"{target.name}: this run has used its {self._run_seconds:.0f} s; it ends here and the next "
                "interval resumes where it stopped.",
                endpoint=target.name,
            )

    def _secrets(self) -> tuple[str, ...]:
        return (*self._auth.secrets(), *self._proxy_secrets)


def _pagination(target: Endpoint, payload: dict) -> tuple[str | None, int | None]:
    """(next page token, total count) from meta.pagination; a missing meta.pagination is one page."""
    meta = payload.get("meta")
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    if not isinstance(pagination, dict):
        return None, None
    next_token = pagination.get("next")
    total = pagination.get("totalCount")
    return (str(next_token) if next_token else None), (total if isinstance(total, int) else None)
