"""The event envelope: a run's snapshot, one event, and the digest that emit-on-change compares.

Every event is the API record with its fields unchanged, plus the add-on's own `mc_*` fields. These
endpoints return state, not a log, so every event's time is the snapshot time (when the run started):
`_time` says "this is what Mimecast held at that moment", and the record's own dates stay in the body.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from splunk_app.mimecast.records import email_of

# What JSON text (lone surrogates) or XML 1.0 (U+FFFE, U+FFFF) cannot carry raw: written as JSON escapes,
# which decode back to the same string.
_UNWRITABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Snapshot:
    """One run of one input: every event it writes carries these."""

    account: str
    snapshot_id: str
    time: float  # epoch seconds, whole

    @property
    def iso(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.time))


@dataclass(frozen=True)
class Event:
    sourcetype: str
    data: dict[str, Any]
    time: float

    def text(self) -> str:
        """The event as JSON that Splunk's parser reads: any record, however odd, is written losslessly."""
        try:
            text = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except ValueError:  # NaN or Infinity: not JSON; carried as the strings Python prints for them
            text = json.dumps(_finite(self.data), separators=(",", ":"), ensure_ascii=False)
        return _UNWRITABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value).replace("inf", "Infinity").replace("nan", "NaN")
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def content_hash(record: Any) -> str:
    """A short digest of a record's content, independent of key order: what emit-on-change compares.
    Any JSON value hashes, lone surrogates and NaN included."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


def user_key(record: dict[str, Any]) -> str:
    """The record's lower-cased email; a record without one is keyed by its content so it is not lost."""
    return email_of(record) or "no-email:" + content_hash(record)


def as_is(sourcetype: str, *, user: bool = False) -> Callable[[dict[str, Any], Snapshot], Iterator[Event]]:
    """The shape of a data set whose every record is one event of `sourcetype`; with `user`, a user's record,
    which also carries `mc_user` (its lower-cased email)."""

    def shape(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
        yield event(sourcetype, record, snapshot, **({"mc_user": email_of(record)} if user else {}))

    return shape


def event(sourcetype: str, record: dict[str, Any], snapshot: Snapshot, **extra: Any) -> Event:
    """The record's own fields, then the add-on's `mc_*` fields."""
    data = dict(record)
    data.update(
        mc_account=snapshot.account, mc_snapshot_id=snapshot.snapshot_id, mc_snapshot_time=snapshot.iso
    )
    data.update(extra)
    return Event(sourcetype, data, snapshot.time)
