"""One writer per (account, group) at a time: a lease in the KV store collection `mimecast_containment_lease`,
which every process on every search head sees, so two alerts, an alert and a sweep, or two sweeps take
turns on one group.

Taking a lease is an insert of the document `_key = account|group id`, which the KV store grants to one
inserter only. No wall clock decides how long a lease lasts, so a host clock that steps (NTP after a
suspend, a wrong time set by hand) can neither steal a lease nor keep one: the holder renews its lease by
writing a new `beat` at least every RENEW seconds while it works, and a contender takes over only a lease
whose holder and beat it has seen unchanged for STALE seconds of its own monotonic clock (a holder killed
on another search head), or at once one whose holder was a process of this host, boot and pid namespace
that no longer exists (kill -9; `holders`). A stale lease is removed with a delete that names its holder
and beat, so a contender never removes a lease that was just renewed or taken by another. The holder
checks that the lease is still its own each time it renews, and stops acting when it is not."""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any, Callable

from splunklib import client

from splunk_app import holders
from splunk_app.actions import LeaseLost
from splunk_app.splunk import kvstore

COLLECTION = "mimecast_containment_lease"
RENEW = 30.0  # the holder writes a new beat when this long has passed since its last one
STALE = 120.0  # a lease whose beat nobody renewed for this long has lost its holder
WAIT = 150.0  # how long a run waits for a group that another run holds (longer than STALE)


class LeaseError(LeaseLost):
    """The group stayed busy, or the lease was lost; the message says which and what to do."""


class Leases:
    """Leases over splunkd's KV store; `monotonic` and `sleep` are injected so that tests can move time.
    Only a monotonic clock is read: never the wall clock, which steps."""

    def __init__(
        self,
        service: client.Service,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wait: float = WAIT,
    ) -> None:
        self.service = service
        self._monotonic = monotonic
        self._sleep = sleep
        self._wait = wait
        self.holder = holders.new_holder()

    @contextlib.contextmanager
    def hold(self, account: str, group_id: str) -> Iterator[Callable[[], None]]:
        """Holds the lease of one group for the `with` block; yields `keep`, to call before each change,
        which renews the lease when RENEW seconds have passed and raises LeaseError when it was lost."""
        key = f"{account}|{group_id}"
        state = {"renewed": self._take(key)}

        def keep() -> None:
            if self._monotonic() - state["renewed"] < RENEW:
                return
            current = self._read(key)
            if current is None or current.get("holder") != self.holder:
                raise LeaseError(
                    f"the lease on group {group_id!r} ({account}) was taken over while this run held it "
                    "(the run was silent too long), and another run may act on the group now: this run "
                    "stops acting"
                )
            kvstore.update(self.service, COLLECTION, {**current, "beat": uuid.uuid4().hex})
            state["renewed"] = self._monotonic()

        try:
            yield keep
        finally:
            with contextlib.suppress(kvstore.KVStoreError):
                kvstore.delete_where(self.service, COLLECTION, {"_key": key, "holder": self.holder})

    def _take(self, key: str) -> float:
        """Takes the lease; returns when (on the monotonic clock)."""
        gives_up = self._monotonic() + self._wait
        seen: tuple[str, str] | None = None
        seen_since = 0.0
        while True:
            try:
                kvstore.insert(self.service, COLLECTION, {"_key": key, "holder": self.holder, "beat": "0"})
                return self._monotonic()
            except kvstore.KeyExists:
                pass
            current = self._read(key) or {}
            found = (str(current.get("holder") or ""), str(current.get("beat") or ""))
            if found != seen:
                seen, seen_since = found, self._monotonic()
            if current and (self._monotonic() - seen_since >= STALE or holders.ended_here(found[0])):
                named = {"_key": key, "holder": found[0]}
                if "beat" in current:  # a lease written before beats has none
                    named["beat"] = current["beat"]
                kvstore.delete_where(self.service, COLLECTION, named)
                continue
            if self._monotonic() >= gives_up:
                raise LeaseError(
                    f"another run ({found[0][:80] or 'another run'}) kept acting on this group for "
                    f"{self._wait:.0f} s; nothing was changed by this run: run it again once the other run "
                    "has ended"
                )
            self._sleep(0.05 + random.random() * 0.2)  # noqa: S311 - spreads retries, no secret

    def _read(self, key: str) -> dict[str, Any] | None:
        return next(iter(kvstore.read(self.service, COLLECTION, query={"_key": key})), None)
