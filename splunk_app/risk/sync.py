"""Keep the risk table current from complete snapshots without the inputs clobbering each other.

Each data set that feeds the table (SAFE score, watch list, performance) owns some columns. During a run
it spools its rows to disk (an SQLite file keyed by `_key`, so memory stays flat); after a complete
snapshot the spool, read in key order, is merge-joined with the stored table, read in `_key` order, and
every row is saved merged with what the other inputs stored. Users the snapshot no longer holds are
removed (SAFE score, performance) or taken off the watch list (watch list) -- only when the input is
unfiltered, since a filtered snapshot says nothing about the users it leaves out, and never all at once: a
complete snapshot with nobody in it, for an input that removes users, is taken for a broken pull.

The merge is also where a user's SAFE grade or watch-list status is seen to change: each change (and each
user removed) is handed to the caller, which writes it as an event. A user's first grade and first
watch-list status are where their history starts, not a change, so the first fill of a table (by any of
the inputs, in any order) writes none.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from splunk_app import statedb
from splunk_app.mimecast.records import email_of
from splunk_app.risk.policy import GRADE_LENGTH, grade_name, watchlisted
from splunk_app.risk.table import FIELDS, priority_for

SHARED = ("email", "name", "department", "user_state")
SPOOL_BATCH = 500  # rows held in memory before they go to the spool file in one transaction
SPOOL_SCHEMA = statedb.Schema(
    "a risk-table spool",
    (
        # version 1
        "CREATE TABLE spooled (key TEXT NOT NULL, row TEXT NOT NULL)",
    ),
    "the run spools its rows afresh",
)
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

    def written(self) -> None:
        """Called once a sync has written the table: the store prepares what its readers need."""


def grade(value: Any) -> str:
    """A SAFE grade column as Mimecast sent it (in upper case), when it looks like a grade (the policy's
    `GRADE_FORM`): one the policy does not name yet (say E) is kept, and ranked by the policy's row unknown
    wherever a rank is needed; empty when Mimecast sent none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    found = grade_name(value)
    if not found:
        raise Unreadable(
            f"{_shown(value)} is not a SAFE grade (a letter, then up to {GRADE_LENGTH - 1} "
            "letters, digits, + or -)"
        )
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
    """A text column. The table is a copy for lookups, stored as UTF-8: a lone surrogate (valid in JSON,
    not in UTF-8) becomes U+FFFD there, while the event keeps the record as it came."""
    text = "" if value is None or isinstance(value, (dict, list)) else str(value)
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def row_from(risk: RiskColumns, record: Mapping[str, Any], updated: float) -> dict[str, Any] | None:
    """The columns a data set owns, from one API record; None when the record has no email. A value that
    cannot be read leaves its column empty, with one WARNING naming the user: the rest of the row stands."""
    email = email_of(record)
    if not email:
        return None
    email = _text(email)
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
    changed: int = 0


LEFT = "left"


@dataclass(frozen=True)
class Change:
    """A user whose grade or watch-list status the table now holds otherwise, or who left the table.
    `what`: `grade`, `watchlist`, `grade watchlist` or `left`; a status nobody has reported yet is empty."""

    user: str
    what: str
    old_grade: str
    new_grade: str
    old_watchlist: str
    new_watchlist: str


def status(row: Mapping[str, Any] | None) -> tuple[str, str]:
    """The grade and watch-list status (`true`/`false`) a row holds, each empty where no input has reported
    it: no grade, or a row the watch-list input has not yet seen (it sets a count for everyone it has)."""
    if row is None:
        return "", ""
    grade = grade_name(row.get("safe_grade"))
    listed = watchlisted(row.get("watchlist"))
    reported = listed or row.get("watchlist_count") not in (None, "")
    return grade, ("true" if listed else "false") if reported else ""


def change(before: Mapping[str, Any], after: Mapping[str, Any] | None) -> Change | None:
    """What changed for a stored user: None unless a reported grade or watch-list status now differs (a grade
    that went missing is no change), or the user left (`after` is None)."""
    old, new = status(before), status(after)
    if after is None:
        what = LEFT
    else:
        what = " ".join(
            name for name, was, now in zip(("grade", "watchlist"), old, new) if was and now and was != now
        )
        if not what:
            return None
    return Change(str(before["_key"]), what, old[0], new[0], old[1], new[1])


class Spool:
    """The rows of one run in a scratch SQLite file, read back in key order; of several rows for one key,
    the last one added. Scratch: no journal, no sync, and a killed run's file is removed by the next run
    (its rows were never synced and never will be). Rows are appended as they come and sorted once, by
    SQLite's external sort (which spills to the system's temporary folder): at 1,000,000 rows that took
    15 s where keeping them in key order while adding took 61 s."""

    def __init__(self, folder: str, prefix: str) -> None:
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, prefix + "spool.sqlite")
        self.count = 0
        self._buffer: list[tuple[str, str]] = []
        self._remove()
        self._db = statedb.connect(self.path, SPOOL_SCHEMA, durable=False)

    def add(self, row: dict[str, Any]) -> None:
        self._buffer.append((row["_key"], json.dumps(row, ensure_ascii=False)))
        self.count += 1
        if len(self._buffer) >= SPOOL_BATCH:
            self._flush()

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every row in key order (SQLite compares UTF-8 bytes: the order of Python's str)."""
        self._flush()
        last: tuple[str, str] | None = None
        for key, text in self._db.execute("SELECT key, row FROM spooled ORDER BY key, rowid"):
            if last is not None and last[0] != key:
                yield json.loads(last[1])
            last = (key, text)
        if last is not None:
            yield json.loads(last[1])

    def close(self) -> None:
        self._buffer = []
        self._db.close()
        self._remove()

    def _flush(self) -> None:
        if self._buffer:
            with statedb.transaction(self._db) as db:
                db.executemany("INSERT INTO spooled VALUES (?, ?)", self._buffer)
            self._buffer = []

    def _remove(self) -> None:
        for name in (self.path, self.path + "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)


def sync(
    store: RiskStore,
    rows: Iterable[dict[str, Any]],
    risk: RiskColumns,
    updated: float,
    remove_missing: bool,
    *,
    changed: Callable[[Change], None] = lambda _change: None,
) -> SyncResult:
    """Merge a complete snapshot's rows (in key order) into the stored table; `changed` hears of each
    user whose grade or watch-list status changes, or who leaves, just before the batch that saves it."""
    result = SyncResult()
    removals: list[str] = []  # grows with the users who left since the last run, not with the tenant
    ordered = iter(rows)
    first = next(ordered, None)
    if first is None and remove_missing and risk.departed is None and _holds_anyone(store):
        logger.warning(
            "risk table: a complete snapshot held no users; the table keeps its users (a broken pull "
            "would otherwise remove them all) until a snapshot names some"
        )
        return result

    def note(before: dict[str, Any], after: dict[str, Any] | None) -> None:
        found = change(before, after)
        if found is not None:
            result.changed += 1
            changed(found)

    def leave(current: dict[str, Any]) -> Iterator[dict[str, Any]]:
        replacement = gone(current, risk, updated)
        note(current, replacement)
        if replacement is None:
            removals.append(current["_key"])
        else:
            yield replacement

    def changes() -> Iterator[dict[str, Any]]:
        stored = _ascending(store.scan())
        current = next(stored, None)
        for row in itertools.chain([first] if first is not None else [], ordered):
            key = row["_key"]
            while current is not None and current["_key"] < key:
                if remove_missing:
                    yield from leave(current)
                current = next(stored, None)
            if current is not None and current["_key"] == key:
                merged = merge(current, row, risk)
                note(current, merged)
                yield merged
                current = next(stored, None)
            else:
                yield merge(None, row, risk)
        while remove_missing and current is not None:
            yield from leave(current)
            current = next(stored, None)

    result.saved = store.save(changes())
    result.removed = store.delete(removals) if removals else 0
    store.written()
    return result


def _holds_anyone(store: RiskStore) -> bool:
    return next(iter(store.scan()), None) is not None


def _ascending(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows in strictly ascending key order: a page read again after our own inserts shifted the
    offsets repeats rows we already had, and those are skipped."""
    last: str | None = None
    for row in rows:
        key = str(row.get("_key", ""))
        if last is None or key > last:
            last = key
            yield row
