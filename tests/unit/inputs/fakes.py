"""Small fakes for the collection code's collaborators: a client serving pages from lists, a sink that
remembers what it was given and when it was flushed, and an in-memory risk store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from splunk_app.inputs.events import Event


@dataclass
class Page:
    records: list[dict[str, Any]]
    number: int
    next_token: str | None = None
    total_count: int | None = None


class Crash(Exception):
    """What the fake client raises to stop a run part-way, as a kill would."""


@dataclass
class FakeClient:
    """Serves each endpoint's records in pages; `crash_after` pages in total, it raises Crash."""

    data: dict[str, Any]
    crash_after: int | None = None
    calls: list[tuple[str, Any]] = field(default_factory=list)
    served_pages: int = 0

    def pages(self, endpoint: str, data: Any = None, page_size: int = 500) -> Iterator[Page]:
        self.calls.append((endpoint, data))
        source = self.data[endpoint]
        records = source(data) if callable(source) else source
        for number, start in enumerate(range(0, len(records), page_size), start=1):
            if self.crash_after is not None and self.served_pages >= self.crash_after:
                raise Crash(f"killed before page {number} of {endpoint}")
            self.served_pages += 1
            yield Page(records[start : start + page_size], number)

    def records(self, endpoint: str, data: Any = None, page_size: int = 500) -> Iterator[dict[str, Any]]:
        for page in self.pages(endpoint, data, page_size):
            yield from page.records


@dataclass
class ListSink:
    """Remembers every event, and how many events had been written at each flush."""

    events: list[Event] = field(default_factory=list)
    flushed_at: list[int] = field(default_factory=list)

    def write(self, event: Event) -> None:
        self.events.append(event)

    def flush(self) -> None:
        self.flushed_at.append(len(self.events))

    def users(self, sourcetype: str) -> list[str]:
        return [event.data["mc_user"] for event in self.events if event.sourcetype == sourcetype]


@dataclass
class MemoryStore:
    """A RiskStore in a dict; `scan` pages in key order the way the KV store does (skip/limit), so it
    sees our own inserts shift the pages as the real one would."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    page: int = 3
    batches: list[int] = field(default_factory=list)
    written_keys: list[list[str]] = field(default_factory=list)  # the table's keys at each `written`

    def scan(self) -> Iterator[dict[str, Any]]:
        skip = 0
        while True:
            keys = sorted(self.rows)[skip : skip + self.page]
            yield from (dict(self.rows[key]) for key in keys)
            if len(keys) < self.page:
                return
            skip += len(keys)

    def save(self, rows: Iterable[dict[str, Any]]) -> int:
        count = 0
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 2:
                count += self._save(batch)
                batch = []
        return count + (self._save(batch) if batch else 0)

    def _save(self, batch: list[dict[str, Any]]) -> int:
        self.batches.append(len(batch))
        for row in batch:
            self.rows[row["_key"]] = dict(row)
        return len(batch)

    def delete(self, keys: Iterable[str]) -> int:
        keys = list(keys)
        for key in keys:
            self.rows.pop(key, None)
        return len(keys)

    def written(self) -> None:
        self.written_keys.append(sorted(self.rows))
