"""API records -> Splunk events: one JSON object per user, user x module, campaign and campaign result.

Every event is the API record with its fields unchanged, plus the add-on's own `mc_*` fields. These
endpoints return state, not a log, so every event's time is the snapshot time (when the run started):
`_time` says "this is what Mimecast held at that moment", and the record's own dates stay in the body.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from splunk_app.mimecast.records import email_of, training_module

# sourcetype -> what one event is. The time of every event is its run's snapshot time (mc_snapshot_time).
SOURCETYPES = {
    "mimecast:awareness:safe_score": "one user's SAFE score (get-safe-score-details)",
    "mimecast:awareness:safe_score_summary": "the company's grade counts (get-safe-score-summary)",
    "mimecast:awareness:watchlist": "one watch-listed user (get-watchlist-details)",
    "mimecast:awareness:performance": "one user's totals, without userDetails (get-performance-details)",
    "mimecast:awareness:user_module": "one module of one user (get-performance-details userDetails[])",
    "mimecast:awareness:training": "one module of one user's training (get-training-details training[])",
    "mimecast:awareness:module": "one training module in the queue (get-queue)",
    "mimecast:awareness:campaign": "one training campaign (get-campaigns)",
    "mimecast:awareness:campaign_result": "one user's result in a training campaign (campaign get-user-data)",
    "mimecast:awareness:phishing_campaign": "one phishing campaign (phishing get-campaign)",
    "mimecast:awareness:phishing_result": "one user's result in a phishing campaign (phishing get-user-data)",
}


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
        return json.dumps(self.data, separators=(",", ":"), ensure_ascii=False)


def content_hash(record: Any) -> str:
    """A short digest of a record's content, independent of key order: what emit-on-change compares."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


def user_key(record: dict[str, Any]) -> str:
    """The record's lower-cased email; a record without one is keyed by its content so it is not lost."""
    return email_of(record) or "no-email:" + content_hash(record)


def _event(sourcetype: str, record: dict[str, Any], snapshot: Snapshot, **extra: Any) -> Event:
    data = dict(record)
    data.update(
        mc_account=snapshot.account, mc_snapshot_id=snapshot.snapshot_id, mc_snapshot_time=snapshot.iso
    )
    data.update(extra)
    return Event(sourcetype, data, snapshot.time)


def safe_score(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield _event("mimecast:awareness:safe_score", record, snapshot, mc_user=email_of(record))


def safe_score_summary(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield _event("mimecast:awareness:safe_score_summary", record, snapshot)


def watchlist(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield _event("mimecast:awareness:watchlist", record, snapshot, mc_user=email_of(record))


def performance(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    """The user's totals, then one event per module of userDetails (absent without includeUserDetails)."""
    user = email_of(record)
    modules = record.get("userDetails")
    totals = {key: value for key, value in record.items() if key != "userDetails"}
    count = len(modules) if isinstance(modules, list) else 0
    yield _event("mimecast:awareness:performance", totals, snapshot, mc_user=user, mc_module_count=count)
    for module in modules if isinstance(modules, list) else ():
        yield _event("mimecast:awareness:user_module", module, snapshot, mc_user=user)


def training(user: str, record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    """One event per module of training[], each with the user-level fields (needEngagement, meritBadge);
    a user without modules still gets one event, so nothing of the record is lost."""
    context = {key: value for key, value in record.items() if key != "training"}
    modules = record.get("training")
    modules = modules if isinstance(modules, list) else []
    if not modules:
        yield _event("mimecast:awareness:training", context, snapshot, mc_user=user, mc_module_count=0)
    for module in modules:
        body = {**context, **(training_module(module) if isinstance(module, dict) else {"value": module})}
        yield _event(
            "mimecast:awareness:training", body, snapshot, mc_user=user, mc_module_count=len(modules)
        )


def queue_module(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield _event("mimecast:awareness:module", record, snapshot)


def campaign(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield _event("mimecast:awareness:campaign", record, snapshot)


def phishing_campaign(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield _event("mimecast:awareness:phishing_campaign", record, snapshot)


def campaign_result(parent: dict[str, Any], record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield _result("mimecast:awareness:campaign_result", parent, record, snapshot)


def phishing_result(parent: dict[str, Any], record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield _result("mimecast:awareness:phishing_result", parent, record, snapshot)


def _result(sourcetype: str, parent: dict[str, Any], record: dict[str, Any], snapshot: Snapshot) -> Event:
    return _event(
        sourcetype,
        record,
        snapshot,
        mc_user=email_of(record),
        mc_campaign_id=parent.get("id"),
        mc_campaign_name=parent.get("name"),
    )
