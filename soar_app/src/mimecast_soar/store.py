"""The SOAR app's own records, in one SQLite file per asset (opened through the add-on's statedb, so a
damaged file is set aside with one warning): the containment records the add-on's actions keep (this is
their `containment.Store`, where the add-on uses the KV store), and on-poll's state.

On-poll's state is the last grade and watch-list status it saw per user, and an outbox of the changes it
found. A poll writes the new baseline and the changes it found in one transaction, then sends each change
and only then marks it sent: a poll killed before that transaction finds the same changes again, one killed
after it sends what is still in the outbox. A change sent but killed before its mark is sent again with the
same source data identifier, which SOAR takes as the same container."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from splunk_app import statedb

SCHEMA = statedb.Schema(
    "the SOAR app's records",
    (
        # version 1
        "CREATE TABLE containment (key TEXT PRIMARY KEY, document TEXT NOT NULL);"
        "CREATE TABLE seen (email TEXT PRIMARY KEY, grade TEXT NOT NULL, watchlist INTEGER NOT NULL, "
        "count TEXT NOT NULL);"
        "CREATE TABLE outbox (id TEXT PRIMARY KEY, at REAL NOT NULL, change TEXT NOT NULL, "
        "sent INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE polled (one INTEGER PRIMARY KEY CHECK (one = 1), at REAL NOT NULL)",
    ),
    "time-boxed containments recorded before are no longer released by release expired, and on poll "
    "takes its next pull as a new baseline",
)


@dataclass(frozen=True)
class Seen:
    """What on-poll last saw of a user."""

    grade: str
    watchlist: bool
    count: str


class Records:
    """One asset's records in `path`."""

    def __init__(self, path: str) -> None:
        self.path = path

    # The add-on's containment.Store.

    def get(self, key: str) -> Mapping[str, Any] | None:
        with self._open() as db:
            row = db.execute("SELECT document FROM containment WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def save(self, document: dict[str, Any]) -> None:
        with self._open() as db, statedb.transaction(db):
            db.execute(
                "INSERT OR REPLACE INTO containment VALUES (?, ?)", (document["_key"], json.dumps(document))
            )

    def delete(self, key: str) -> None:
        with self._open() as db, statedb.transaction(db):
            db.execute("DELETE FROM containment WHERE key = ?", (key,))

    def find(self, query: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        """The documents that match every field of `query`: a value, or {"$lte": bound}."""
        with self._open() as db:
            documents = [json.loads(row[0]) for row in db.execute("SELECT document FROM containment")]
        return iter([document for document in documents if _matches(document, query)])

    # On-poll's state.

    def seen(self) -> dict[str, Seen] | None:
        """The last poll's view of every user; None before the first poll."""
        with self._open() as db:
            if db.execute("SELECT 1 FROM polled").fetchone() is None:
                return None
            rows = db.execute("SELECT email, grade, watchlist, count FROM seen").fetchall()
        return {email: Seen(grade, bool(listed), count) for email, grade, listed, count in rows}

    def record_poll(self, now: float, seen: Mapping[str, Seen], changes: Iterable[tuple[str, dict]]) -> None:
        """The new baseline and the changes found against the old one, in one transaction."""
        with self._open() as db, statedb.transaction(db):
            db.execute("DELETE FROM seen")
            db.executemany(
                "INSERT INTO seen VALUES (?, ?, ?, ?)",
                ((email, s.grade, int(s.watchlist), s.count) for email, s in seen.items()),
            )
            db.executemany(
                "INSERT OR IGNORE INTO outbox (id, at, change) VALUES (?, ?, ?)",
                ((change_id, now, json.dumps(change)) for change_id, change in changes),
            )
            db.execute("INSERT OR REPLACE INTO polled VALUES (1, ?)", (now,))

    def unsent(self, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """Changes not yet sent, oldest first."""
        with self._open() as db:
            rows = db.execute(
                "SELECT id, change FROM outbox WHERE sent = 0 ORDER BY at, id LIMIT ?", (limit,)
            ).fetchall()
        return [(change_id, json.loads(text)) for change_id, text in rows]

    def mark_sent(self, change_id: str) -> None:
        with self._open() as db, statedb.transaction(db):
            db.execute("UPDATE outbox SET sent = 1 WHERE id = ?", (change_id,))

    def _open(self) -> contextlib.closing[sqlite3.Connection]:
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        except OSError as err:
            raise statedb.StateError(f"the SOAR app's state folder cannot be created: {err}") from err
        return contextlib.closing(statedb.connect(self.path, SCHEMA))


def _matches(document: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    for name, wanted in query.items():
        value = document.get(name)
        if isinstance(wanted, dict):
            bound = wanted.get("$lte")
            try:
                if value is None or float(value) > float(bound):
                    return False
            except (TypeError, ValueError):
                return False
        elif value != wanted:
            return False
    return True
