"""Keep the risk table current from complete snapshots without the inputs clobbering each other.

Each data set that feeds the table (SAFE score, watch list, performance) owns some columns. During a run
it spools its rows to disk (sorted runs, so memory stays flat); after a complete snapshot the sorted
spool is merge-joined with the stored table, read in `_key` order, and every row is saved merged with
what the other inputs stored. Users the snapshot no longer holds are removed (SAFE score, performance) or
taken off the watch list (watch list) -- only when the input is unfiltered, since a filtered snapshot
says nothing about the users it leaves out.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from splunk_app.mimecast.records import email_of
from splunk_app.risk.table import FIELDS, priority_for

SHARED = ("email", "name", "department", "user_state")
GRADES = ("A", "B", "C", "D", "F")
SPOOL_RUN = 5000  # rows sorted in memory before they go to disk as one sorted run
logger = logging.getLogger(__name__)


class Unreadable(ValueError):
    """A record's value that cannot fill its risk column; the column stays empty."""


Reader = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class RiskColumns:
    """The risk-table columns one data set owns, how one of its records fills each, and what becomes of a
    user that a complete snapshot no longer holds: removed from the table, or (`departed` set) kept with
    these values (the watch list: a user missing from it is simply off it)."""

    columns: Mapping[str, Reader]
    departed: Mapping[str, Any] | None = None

    @property
    def owned(self) -> tuple[str, ...]:
        return (*SHARED, *self.columns)


class RiskStore(Protocol):
    """Where the table lives: the KV store collection in Splunk, a CSV outside it."""

    def scan(self) -> Iterator[dict[str, Any]]:
        """Every stored row, in `_key` order."""

    def save(self, rows: Iterable[dict[str, Any]]) -> int:
        """Insert or replace rows by `_key`, a batch at a time; returns how many."""

    def delete(self, keys: Iterable[str]) -> int:
        """Remove rows by `_key`; returns how many keys."""


def grade(value: Any) -> str:
    """A SAFE grade column: A, B, C, D or F; empty when Mimecast sent none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    found = value.strip().upper() if isinstance(value, str) else None
    if found not in GRADES:
        raise Unreadable(f"{_shown(value)} is not a SAFE grade")
    return found


def number(value: Any) -> int | str:
    """A count column: a whole number; empty when Mimecast sent none."""
    if value is None or value == "":
        return ""
    try:
        if isinstance(value, (bool, dict, list)):
            raise TypeError
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise Unreadable(f"{_shown(value)} is not a whole number") from None


def field(name: str, kind: Callable[[Any], Any]) -> Reader:
    """A column read from one field of the record."""
    return lambda record: kind(record.get(name))


def _shown(value: Any) -> str:
    return repr(value)[:40]


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def row_from(risk: RiskColumns, record: Mapping[str, Any], updated: float) -> dict[str, Any] | None:
    """The columns a data set owns, from one API record; None when the record has no email. A value that
    cannot be read leaves its column empty, with one WARNING naming the user: the rest of the row stands."""
    email = email_of(record)
    if not email:
        return None
    row: dict[str, Any] = {
        "_key": email,
        "email": email,
        "name": _text(record.get("name")),
        "department": _text(record.get("department")),
        "user_state": _text(record.get("userState")),
        "updated": int(updated),
    }
    for column, read in risk.columns.items():
        try:
            row[column] = read(record)
        except Unreadable as err:
            logger.warning(
                "risk table: %s of user %s cannot be read (%s); it stays empty", column, email, err
            )
            row[column] = ""
    return row


def merge(stored: dict[str, Any] | None, update: dict[str, Any], risk: RiskColumns) -> dict[str, Any]:
    """The stored row with this data set's columns replaced: the other inputs' columns are kept."""
    row = {field: "" for field in FIELDS}
    row["watchlist"] = "false"
    if stored:
        row.update({key: value for key, value in stored.items() if key in FIELDS})
    row.update({key: update[key] for key in risk.owned if key in update})
    row["_key"] = update["_key"]
    row["updated"] = update["updated"]
    row["priority"] = priority_for(row.get("safe_grade"))
    return row


def gone(stored: dict[str, Any], risk: RiskColumns, updated: float) -> dict[str, Any] | None:
    """What becomes of a stored user that a complete snapshot no longer holds: None means remove it."""
    if risk.departed is None:
        return None
    row = merge(stored, {"_key": stored["_key"], "updated": int(updated)}, risk)
    row.update(risk.departed)
    return row


@dataclass
class SyncResult:
    saved: int = 0
    removed: int = 0


class Spool:
    """The rows of one run, on disk in sorted runs of SPOOL_RUN, read back merged in key order."""

    def __init__(self, folder: str, prefix: str) -> None:
        os.makedirs(folder, exist_ok=True)
        self.folder = folder
        self.prefix = prefix
        self.count = 0
        self._buffer: list[tuple[str, str]] = []
        self._runs: list[str] = []
        self._discard_leftovers()

    def add(self, row: dict[str, Any]) -> None:
        self._buffer.append((row["_key"], json.dumps(row, ensure_ascii=False)))
        self.count += 1
        if len(self._buffer) >= SPOOL_RUN:
            self._flush()

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every row in key order; of several rows for one key, the last one added."""
        self._flush()
        files = [open(path, encoding="utf-8") for path in self._runs]  # noqa: SIM115 -- closed below
        try:
            streams = [self._read(file, index) for index, file in enumerate(files)]
            previous: tuple[str, int, int, str] | None = None
            for item in heapq.merge(*streams):
                if previous is not None and previous[0] != item[0]:
                    yield json.loads(previous[3])
                previous = item
            if previous is not None:
                yield json.loads(previous[3])
        finally:
            for file in files:
                file.close()

    def close(self) -> None:
        for path in self._runs:
            with contextlib.suppress(OSError):
                os.unlink(path)
        self._runs = []
        self._buffer = []

    @staticmethod
    def _read(file: Any, run: int) -> Iterator[tuple[str, int, int, str]]:
        for line_number, line in enumerate(file):
            key, _, text = line.rstrip("\n").partition("\t")
            yield json.loads(key), run, line_number, text

    def _flush(self) -> None:
        if not self._buffer:
            return
        self._buffer.sort(key=lambda item: item[0])  # stable: a later row for a key stays after
        handle, path = tempfile.mkstemp(dir=self.folder, prefix=self.prefix, suffix=".spool")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            for key, text in self._buffer:
                file.write(json.dumps(key) + "\t" + text + "\n")
        self._runs.append(path)
        self._buffer = []

    def _discard_leftovers(self) -> None:
        """Spool files of a run that was killed: that run's rows were never synced and never will be."""
        for name in os.listdir(self.folder):
            if name.startswith(self.prefix) and name.endswith(".spool"):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.folder, name))


def sync(
    store: RiskStore, rows: Iterable[dict[str, Any]], risk: RiskColumns, updated: float, remove_missing: bool
) -> SyncResult:
    """Merge a complete snapshot's rows (in key order) into the stored table."""
    result = SyncResult()
    removals: list[str] = []  # grows with the users who left since the last run, not with the tenant

    def changes() -> Iterator[dict[str, Any]]:
        stored = _ascending(store.scan())
        current = next(stored, None)
        for row in rows:
            key = row["_key"]
            while current is not None and current["_key"] < key:
                if remove_missing:
                    replacement = gone(current, risk, updated)
                    if replacement is None:
                        removals.append(current["_key"])
                    else:
                        yield replacement
                current = next(stored, None)
            if current is not None and current["_key"] == key:
                yield merge(current, row, risk)
                current = next(stored, None)
            else:
                yield merge(None, row, risk)
        while remove_missing and current is not None:
            replacement = gone(current, risk, updated)
            if replacement is None:
                removals.append(current["_key"])
            else:
                yield replacement
            current = next(stored, None)

    result.saved = store.save(changes())
    result.removed = store.delete(removals) if removals else 0
    return result


def _ascending(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows in strictly ascending key order: a page read again after our own inserts shifted the
    offsets repeats rows we already had, and those are skipped."""
    last: str | None = None
    for row in rows:
        key = str(row.get("_key", ""))
        if last is None or key > last:
            last = key
            yield row


def _number(value: Any) -> int | str:
    try:
        return int(value)
    except (TypeError, ValueError):
        return ""
