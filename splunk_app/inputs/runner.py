"""The one runner: pull any data set page by page, write the events that are due, checkpoint each page.

It takes its collaborators (the Mimecast client, the checkpoint, the event sink, the snapshot that carries
the clock's time, the risk table) so it runs the same under splunkd, in `mimecast-at pull` and in a test
with fakes. Per page: the due events are written and flushed, then the page is committed; so a run killed
anywhere repeats at most that page, and memory holds one page, never the whole snapshot.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from splunk_app.inputs import events
from splunk_app.inputs.dataset import CAMPAIGNS, PER_USER, USERS, DataSet
from splunk_app.inputs.events import Event, Snapshot, content_hash, user_key
from splunk_app.mimecast import MimecastError
from splunk_app.risk.sync import Change, RiskStore, Spool, SyncResult, row_from, sync
from splunk_app.state import Checkpoint

# A user's grade or watch-list status changed in the risk table, or the user left it: written by the input
# whose complete snapshot made the change, beside its own events (same index, the input as its source).
RISK_CHANGE = "mimecast:awareness:risk_change"


class Sink(Protocol):
    """Where events go: splunkd's XML stream, a JSON-lines file, a list in a test."""

    def write(self, event: Event) -> None: ...

    def flush(self) -> None: ...


@dataclass
class RiskTable:
    """The risk-table half of a run: rows spooled during it, synced into `store` once it is complete."""

    store: RiskStore
    spool: Spool


@dataclass
class Outcome:
    """What a run did, for its summary line and for tests."""

    records: int = 0
    events: int = 0
    pages: int = 0
    complete: bool = False
    gone: int = 0
    risk: SyncResult | None = None
    skipped: list[str] = field(default_factory=list)
    partial: str = ""  # why a run that ended well is not a whole snapshot


def new_snapshot(account: str, now: float) -> Snapshot:
    """A run's identity: its own id, and its start time (whole seconds) as every event's time."""
    return Snapshot(account=account, snapshot_id=uuid.uuid4().hex, time=float(int(now)))


@dataclass
class _Run:
    """What every loop writes through, and the tally of what it did."""

    data_set: DataSet
    values: Mapping[str, Any]
    client: Any
    checkpoint: Checkpoint
    sink: Sink
    snapshot: Snapshot
    outcome: Outcome = field(default_factory=Outcome)

    def pages(self, endpoint: str, data: list[Any] | None) -> Iterator[list[dict[str, Any]]]:
        if not self.data_set.paged:
            yield list(self.client.records(endpoint, data=data))
            return
        page_size = int(self.values.get("page_size") or 500)
        for page in self.client.pages(endpoint, data=data, page_size=page_size):
            yield page.records

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

    def changed(self, change: Change) -> None:
        """One risk-table change as an event of the snapshot that saw it."""
        record = {
            "user": change.user,
            "change": change.what,
            "old_grade": change.old_grade,
            "new_grade": change.new_grade,
            "old_watchlist": change.old_watchlist,
            "new_watchlist": change.new_watchlist,
        }
        self.sink.write(
            events.event(RISK_CHANGE, record, self.snapshot, mc_user=change.user, mc_input=self.data_set.name)
        )
        self.outcome.events += 1

    def finish(self, complete: bool = True) -> Outcome:
        self.outcome.complete = complete
        self.outcome.gone = self.checkpoint.finish(complete, self.snapshot.time)
        return self.outcome


def run(
    data_set: DataSet,
    values: Mapping[str, Any],
    *,
    client: Any,
    checkpoint: Checkpoint,
    sink: Sink,
    snapshot: Snapshot,
    risk: RiskTable | None = None,
    users: Iterable[str] = (),
) -> Outcome:
    """Pull one data set with these settings. `risk` (for a data set that feeds the risk table) is synced
    after a complete snapshot; `users` are the per-user loop's users."""
    state = _Run(data_set, values, client, checkpoint, sink, snapshot)
    if data_set.loop == USERS:
        return _users(state, risk)
    if data_set.loop == PER_USER:
        return _per_user(state, users)
    if data_set.loop == CAMPAIGNS:
        return _campaigns(state)
    return _records(state)


def _records(run: _Run) -> Outcome:
    data_set = run.data_set
    for records in run.pages(data_set.endpoint, data_set.request(run.values)):
        emitted: list[tuple[str, str]] = []
        for record in records:
            run.emit(data_set.key(record), record, data_set.shape(record, run.snapshot), emitted)
        run.commit(emitted)
    return run.finish()


def _users(run: _Run, risk: RiskTable | None) -> Outcome:
    data_set = run.data_set
    columns = data_set.risk if risk is not None else None
    try:
        for records in run.pages(data_set.endpoint, data_set.request(run.values)):
            emitted: list[tuple[str, str]] = []
            for record in records:
                if risk is not None and columns is not None:
                    row = row_from(columns, record, run.snapshot.time)
                    if row is not None:
                        risk.spool.add(row)
                run.emit(data_set.key(record), record, data_set.shape(record, run.snapshot), emitted)
            run.commit(emitted)
        run.finish()
        if risk is not None and columns is not None:
            remove_missing = not data_set.filtered(run.values)
            run.outcome.risk = sync(
                risk.store, risk.spool.rows(), columns, run.snapshot.time, remove_missing, changed=run.changed
            )
            run.sink.flush()
    finally:
        if risk is not None:
            risk.spool.close()
    return run.outcome


def _campaigns(run: _Run) -> Outcome:
    data_set = run.data_set
    results = data_set.results
    assert results is not None  # a campaign data set declares its results (DataSet checks it)
    statuses = [{"fieldName": "status", "value": value} for value in run.values.get(results.statuses) or ()]
    for campaigns in run.pages(data_set.endpoint, data_set.request(run.values)):
        emitted: list[tuple[str, str]] = []
        for record in campaigns:
            run.emit(data_set.key(record), record, data_set.shape(record, run.snapshot), emitted)
        run.commit(emitted)
        for parent in campaigns:
            if not parent.get("id"):
                continue
            request: dict[str, Any] = {"id": parent["id"]}
            if statuses:
                request["filterBy"] = statuses
            for records in run.pages(results.endpoint, [request]):
                emitted = []
                for record in records:
                    key = f"result:{parent['id']}:{user_key(record)}"
                    run.emit(key, record, results.shape(parent, record, run.snapshot), emitted)
                run.commit(emitted)
    return run.finish()


def _per_user(run: _Run, users: Iterable[str]) -> Outcome:
    """At most `max_users_per_run` users (one request each), taking up where the last run stopped, so that a
    long list is covered over several runs within the rate limit."""
    data_set = run.data_set
    ordered = sorted({user.strip().lower() for user in users if user and user.strip()})
    limit = max(1, int(run.values.get("max_users_per_run") or len(ordered) or 1))
    batch = _rotation(ordered, str(run.checkpoint.extra.get("cursor") or ""), limit)
    for email in batch:
        emitted: list[tuple[str, str]] = []
        try:
            records = list(run.client.records(data_set.endpoint, data=[{"emailAddress": email}]))
        except MimecastError as err:
            if err.code != "err_user_not_found":
                raise
            run.outcome.skipped.append(email)
            records = []
        for record in records:
            run.emit(email, record, data_set.shape(email, record, run.snapshot), emitted)
        run.commit(emitted, cursor=email)
    if len(batch) < len(ordered):
        run.outcome.partial = (
            f"this run pulled {len(batch)} of the {len(ordered)} users (max_users_per_run {limit}); the next "
            "runs take the others in turn"
        )
    return run.finish(complete=len(batch) == len(ordered))


def _rotation(ordered: list[str], cursor: str, limit: int) -> list[str]:
    """The next `limit` users after `cursor`, wrapping around the sorted list."""
    after = [user for user in ordered if user > cursor]
    return (after + [user for user in ordered if user <= cursor])[:limit]
