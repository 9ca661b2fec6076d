"""One writer per (account, group) at a time: a lease in the KV store collection `mimecast_containment_lease`,
which every process on every search head sees, so two alerts, an alert and a sweep, or two sweeps take
turns on one group.

Taking a lease is an insert of the document `_key = account|group id`, which the KV store grants to one
inserter only. A lease ends when its holder lets it go, when its time is up (a holder killed on another
search head), or at once when its holder was a process of this host that no longer exists (kill -9). A
stale lease is removed with a delete that names its holder, so a contender never removes a lease that
another contender has just taken. A holder renews its lease before half its time is used, and stops acting
when it finds the lease gone."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any, Callable

from splunklib import client

from splunk_app.actions import ActionError
from splunk_app.splunk import kvstore

COLLECTION = "mimecast_containment_lease"
SECONDS = 600.0  # a lease's time; two alert runs (splunkd's maxtime, 5 minutes) fit in it
WAIT = 150.0  # how long a run waits for a group that another run holds


class LeaseError(ActionError):
    """The group stayed busy, or the lease was lost; the message says which and what to do."""


class Leases:
    """Leases over splunkd's KV store; `clock` and `sleep` are injected so that tests can move time."""

    def __init__(
        self,
        service: client.Service,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        wait: float = WAIT,
    ) -> None:
        self.service = service
        self._clock = clock
        self._sleep = sleep
        self._wait = wait
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"

    @contextlib.contextmanager
    def hold(self, account: str, group_id: str) -> Iterator[Callable[[], None]]:
        """Holds the lease of one group for the `with` block; yields `keep`, to call before each change,
        which renews the lease when half its time is used and raises LeaseError when it was lost."""
        key = f"{account}|{group_id}"
        expires = self._take(key)
        state = {"expires": expires}

        def keep() -> None:
            if state["expires"] - self._clock() > SECONDS / 2:
                return
            current = self._read(key)
            if current is None or current.get("holder") != self.holder:
                raise LeaseError(
                    f"the lease on group {group_id!r} ({account}) ran out while this run held it, and "
                    "another run may act on the group now: this run stops acting"
                )
            state["expires"] = self._clock() + SECONDS
            kvstore.update(self.service, COLLECTION, {**current, "expires_at": state["expires"]})

        try:
            yield keep
        finally:
            with contextlib.suppress(kvstore.KVStoreError):
                kvstore.delete_where(self.service, COLLECTION, {"_key": key, "holder": self.holder})

    def _take(self, key: str) -> float:
        gives_up = self._clock() + self._wait
        while True:
            expires = self._clock() + SECONDS
            try:
                kvstore.insert(
                    self.service, COLLECTION, {"_key": key, "holder": self.holder, "expires_at": expires}
                )
                return expires
            except kvstore.KeyExists:
                pass
            current = self._read(key)
            if current is not None and self._stale(current):
                kvstore.delete_where(
                    self.service, COLLECTION, {"_key": key, "holder": str(current.get("holder") or "")}
                )
                continue
            if self._clock() >= gives_up:
                holder = str((current or {}).get("holder") or "another run")
                raise LeaseError(
                    f"another run ({holder[:80]}) kept acting on this group for {self._wait:.0f} s; nothing "
                    "was changed by this run: run it again once the other run has ended"
                )
            self._sleep(0.05 + random.random() * 0.2)  # noqa: S311 - spreads retries, no secret

    def _read(self, key: str) -> dict[str, Any] | None:
        return next(iter(kvstore.read(self.service, COLLECTION, query={"_key": key})), None)

    def _stale(self, lease: dict[str, Any]) -> bool:
        """A lease whose time is up, or whose holder was a process of this host that has ended."""
        try:
            if float(lease.get("expires_at") or 0) <= self._clock():
                return True
        except (TypeError, ValueError):
            return True
        host, _, rest = str(lease.get("holder") or "").partition(":")
        pid = rest.partition(":")[0]
        return host == socket.gethostname() and pid.isdigit() and not _alive(int(pid))


def _alive(pid: int) -> bool:
    """Whether a process of this host exists. Only asked on POSIX (on Windows os.kill would end it): there a
    killed holder's lease ends with its time."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
