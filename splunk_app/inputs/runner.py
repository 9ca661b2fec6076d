"""One function per data set: pull it page by page, write the events that are due, checkpoint each page.

Every function takes its collaborators (the Mimecast client, the checkpoint, the event sink, the
snapshot that carries the clock's time) so it runs the same under splunkd, in `mimecast-at pull` and in a
test with fakes. Per page: the due events are written and flushed, then the page is committed; so a run
killed anywhere repeats at most that page, and memory holds one page, never the whole snapshot.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from splunk_app.inputs import events as ev
from splunk_app.inputs.events import Event, Snapshot, content_hash, user_key
from splunk_app.mimecast import MimecastError
from splunk_app.risk.sync import RiskStore, Spool, SyncResult, row_from, sync
from splunk_app.state import Checkpoint


class Sink(Protocol):
    """Where events go: splunkd's XML stream, a JSON-lines file, a list in a test."""

    def write(self, event: Event) -> None: ...

    def flush(self) -> None: ...


@dataclass
class RiskTable:
    """The risk-table half of a run: rows spooled during it, synced into `store` once it is complete."""

    store: RiskStore
    spool: Spool
    remove_missing: bool = True  # False for a filtered input: its snapshot is not the whole tenant


@dataclass
class Outcome:
    """What a run did, for its closing log line and for tests."""

    records: int = 0
    events: int = 0
    pages: int = 0
    complete: bool = False
    gone: int = 0
    risk: SyncResult | None = None
    skipped: list[str] = field(default_factory=list)


def new_snapshot(account: str, now: float) -> Snapshot:
    """A run's identity: its own id, and its start time (whole seconds) as every event's time."""
    return Snapshot(account=account, snapshot_id=uuid.uuid4().hex, time=float(int(now)))


@dataclass
class _Run:
    """The three collaborators every data set writes through, and the tally of what it did."""

    checkpoint: Checkpoint
    sink: Sink
    snapshot: Snapshot
    outcome: Outcome = field(default_factory=Outcome)

    def emit(self, key: str, record: Any, shaped: Iterator[Event], emitted: list[tuple[str, str]]) -> None:
        """Write the record's events if it is due (new, changed, or its full-snapshot time has come)."""
        self.outcome.records += 1
        digest = content_hash(record)
        if not self.checkpoint.due(key, digest, self.snapshot.time):
            return
        for event in shaped:
            self.sink.write(event)
            self.outcome.events += 1
        emitted.append((key, digest))

    def commit(self, emitted: list[tuple[str, str]], **extra: Any) -> None:
        """The page's events are flushed first: only then may the checkpoint say they were sent."""
        self.sink.flush()
        self.checkpoint.commit(emitted, self.snapshot.time, **extra)
        self.outcome.pages += 1

    def finish(self, complete: bool = True) -> Outcome:
        self.outcome.complete = complete
        self.outcome.gone = self.checkpoint.finish(complete, self.snapshot.time)
        return self.outcome


def safe_score(
    client: Any,
    checkpoint: Checkpoint,
    sink: Sink,
    snapshot: Snapshot,
    *,
    page_size: int = 500,
    risk: RiskTable | None = None,
) -> Outcome:
    pages = client.pages("safe_score_details", page_size=page_size)
    return _user_snapshot(_Run(checkpoint, sink, snapshot), pages, "safe_score", ev.safe_score, risk)


def watchlist(
    client: Any,
    checkpoint: Checkpoint,
    sink: Sink,
    snapshot: Snapshot,
    *,
    page_size: int = 500,
    options: dict[str, Any] | None = None,
    risk: RiskTable | None = None,
) -> Outcome:
    pages = client.pages("watchlist_details", data=[options] if options else None, page_size=page_size)
    return _user_snapshot(_Run(checkpoint, sink, snapshot), pages, "watchlist", ev.watchlist, risk)


def performance(
    client: Any,
    checkpoint: Checkpoint,
    sink: Sink,
    snapshot: Snapshot,
    *,
    page_size: int = 500,
    options: dict[str, Any] | None = None,
    risk: RiskTable | None = None,
) -> Outcome:
    pages = client.pages("performance_details", data=[options] if options else None, page_size=page_size)
    return _user_snapshot(_Run(checkpoint, sink, snapshot), pages, "performance", ev.performance, risk)


def safe_score_summary(client: Any, checkpoint: Checkpoint, sink: Sink, snapshot: Snapshot) -> Outcome:
    run = _Run(checkpoint, sink, snapshot)
    emitted: list[tuple[str, str]] = []
    for record in client.records("safe_score_summary", data=[]):
        run.emit("summary", record, ev.safe_score_summary(record, snapshot), emitted)
    run.commit(emitted)
    return run.finish()


def queue(
    client: Any, checkpoint: Checkpoint, sink: Sink, snapshot: Snapshot, *, page_size: int = 500
) -> Outcome:
    run = _Run(checkpoint, sink, snapshot)
    for page in client.pages("queue", data=[], page_size=page_size):
        emitted: list[tuple[str, str]] = []
        for record in page.records:
            key = f"module:{record.get('id') or content_hash(record)}"
            run.emit(key, record, ev.queue_module(record, snapshot), emitted)
        run.commit(emitted)
    return run.finish()


def campaign(
    client: Any,
    checkpoint: Checkpoint,
    sink: Sink,
    snapshot: Snapshot,
    *,
    page_size: int = 500,
    result_filter: Iterable[str] = (),
) -> Outcome:
    """get-campaigns, then get-user-data once per campaign with its id."""
    run = _Run(checkpoint, sink, snapshot)
    endpoints = ("campaigns", "campaign_user_data")
    shapes = (ev.campaign, ev.campaign_result)
    return _campaigns(run, client, endpoints, shapes, page_size=page_size, result_filter=result_filter)


def phishing(
    client: Any,
    checkpoint: Checkpoint,
    sink: Sink,
    snapshot: Snapshot,
    *,
    page_size: int = 500,
    result_filter: Iterable[str] = (),
) -> Outcome:
    """phishing get-campaign, then phishing get-user-data once per campaign with its id."""
    run = _Run(checkpoint, sink, snapshot)
    endpoints = ("phishing_campaigns", "phishing_user_data")
    shapes = (ev.phishing_campaign, ev.phishing_result)
    return _campaigns(run, client, endpoints, shapes, page_size=page_size, result_filter=result_filter)


def training(
    client: Any,
    checkpoint: Checkpoint,
    sink: Sink,
    snapshot: Snapshot,
    *,
    users: Iterable[str],
    max_users: int = 100,
) -> Outcome:
    """get-training-details for at most `max_users` users (one request each), taking up where the last
    run stopped so that a long list is covered over several runs within the rate limit."""
    run = _Run(checkpoint, sink, snapshot)
    ordered = sorted({user.strip().lower() for user in users if user and user.strip()})
    batch = _rotation(ordered, str(checkpoint.extra.get("cursor") or ""), max(1, max_users))
    for email in batch:
        emitted: list[tuple[str, str]] = []
        try:
            records = list(client.records("training_details", data=[{"emailAddress": email}]))
        except MimecastError as err:
            if err.code != "err_user_not_found":
                raise
            run.outcome.skipped.append(email)
            records = []
        for record in records:
            run.emit(email, record, ev.training(email, record, snapshot), emitted)
        run.commit(emitted, cursor=email)
    return run.finish(complete=len(batch) == len(ordered))


def _rotation(ordered: list[str], cursor: str, limit: int) -> list[str]:
    """The next `limit` users after `cursor`, wrapping around the sorted list."""
    after = [user for user in ordered if user > cursor]
    return (after + [user for user in ordered if user <= cursor])[:limit]


def _user_snapshot(
    run: _Run,
    pages: Iterator[Any],
    data_set: str,
    shape: Callable[[dict[str, Any], Snapshot], Iterator[Event]],
    risk: RiskTable | None,
) -> Outcome:
    try:
        for page in pages:
            emitted: list[tuple[str, str]] = []
            for record in page.records:
                if risk is not None:
                    row = row_from(data_set, record, run.snapshot.time)
                    if row is not None:
                        risk.spool.add(row)
                run.emit(user_key(record), record, shape(record, run.snapshot), emitted)
            run.commit(emitted)
        run.finish()
        if risk is not None:
            rows = risk.spool.rows()
            run.outcome.risk = sync(risk.store, rows, data_set, run.snapshot.time, risk.remove_missing)
    finally:
        if risk is not None:
            risk.spool.close()
    return run.outcome


def _campaigns(
    run: _Run,
    client: Any,
    endpoints: tuple[str, str],
    shapes: tuple[Any, Any],
    *,
    page_size: int,
    result_filter: Iterable[str],
) -> Outcome:
    list_endpoint, results_endpoint = endpoints
    campaign_shape, result_shape = shapes
    snapshot = run.snapshot
    filter_by = [{"fieldName": "status", "value": value} for value in result_filter]
    for page in client.pages(list_endpoint, data=[], page_size=page_size):
        emitted: list[tuple[str, str]] = []
        for record in page.records:
            key = f"campaign:{record.get('id') or content_hash(record)}"
            run.emit(key, record, campaign_shape(record, snapshot), emitted)
        run.commit(emitted)
        for parent in page.records:
            if not parent.get("id"):
                continue
            request: dict[str, Any] = {"id": parent["id"]}
            if filter_by:
                request["filterBy"] = filter_by
            for results in client.pages(results_endpoint, data=[request], page_size=page_size):
                emitted = []
                for record in results.records:
                    key = f"result:{parent['id']}:{user_key(record)}"
                    run.emit(key, record, result_shape(parent, record, snapshot), emitted)
                run.commit(emitted)
    return run.finish()
