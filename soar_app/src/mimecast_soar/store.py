"""The SOAR app's own records, in one SQLite file per asset (opened through the add-on's statedb, so a
damaged file is set aside with one warning): the containment records the add-on's actions keep (this is
their `containment.Store`, where the add-on uses the KV store), their ledger (the `containment.Ledger`: the
latest generation of each record, so that an earlier copy of a record put back into this file moves
nobody), the key that signs them, the lease that lets one run at a time act on a group, and on-poll's
state.

On-poll's state is the last grade and watch-list status it saw per user, and an outbox of the changes it
found. A poll writes the new baseline and the changes it found in one transaction, then sends each change
and only then marks it sent: a poll killed before that transaction finds the same changes again, one killed
after it sends what is still in the outbox. A change sent but killed before its mark is sent again with the
same source data identifier, which SOAR takes as the same container."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Callable

from splunk_app import holders, statedb
from splunk_app.actions import LeaseLost
from splunk_app.containment import Mark, mark_from_document

SCHEMA = statedb.Schema(
    "the SOAR app's records",
    (
        # version 1
        "CREATE TABLE containment (key TEXT PRIMARY KEY, document TEXT NOT NULL);"
        "CREATE TABLE seen (email TEXT PRIMARY KEY, grade TEXT NOT NULL, watchlist INTEGER NOT NULL, "
        "count TEXT NOT NULL);"
        "CREATE TABLE outbox (id TEXT PRIMARY KEY, at REAL NOT NULL, change TEXT NOT NULL, "
        "sent INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE polled (one INTEGER PRIMARY KEY CHECK (one = 1), at REAL NOT NULL);"
        "CREATE TABLE lease (key TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at REAL NOT NULL);"
        "CREATE TABLE secret (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
        # version 2: the containment records' ledger (containment.Ledger); a file of version 1 gets the
        # table empty, and each record's entry as the record is next written
        "CREATE TABLE ledger (key TEXT PRIMARY KEY, account TEXT NOT NULL, group_id TEXT NOT NULL, "
        "document TEXT NOT NULL)",
    ),
    "time-boxed containments recorded before are no longer released by release expired, and on poll "
    "takes its next pull as a new baseline",
)


LEASE_SECONDS = 600.0  # longer than one action may run (the client's 5 minutes)
LEASE_WAIT = 150.0  # how long a run waits for a group another run holds


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
        self.where = f"the SOAR app's records file {os.path.basename(path)}"  # how errors name the store

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

    def save_many(self, documents: list[dict[str, Any]]) -> None:
        with self._open() as db, statedb.transaction(db):
            db.executemany(
                "INSERT OR REPLACE INTO containment VALUES (?, ?)",
                ((document["_key"], json.dumps(document)) for document in documents),
            )

    def delete(self, key: str) -> None:
        self.delete_many([key])

    def delete_many(self, keys: list[str]) -> None:
        with self._open() as db, statedb.transaction(db):
            db.executemany("DELETE FROM containment WHERE key = ?", ((key,) for key in keys))

    # The add-on's containment.Ledger. A mark only moves forward: the group's lease keeps two writers of
    # one group from writing its marks at once.

    def marks(self, account: str, group_id: str) -> dict[str, Mark]:
        with self._open() as db:
            rows = db.execute(
                "SELECT document FROM ledger WHERE account = ? AND group_id = ?", (account, group_id)
            ).fetchall()
        found = (mark_from_document(json.loads(row[0])) for row in rows)
        return {mark.key: mark for mark in found if mark is not None}

    def unreleased(self) -> list[Mark]:
        with self._open() as db:
            rows = db.execute("SELECT document FROM ledger").fetchall()
        found = (mark_from_document(json.loads(row[0])) for row in rows)
        return [mark for mark in found if mark is not None and not mark.released]

    def advance(self, marks: list[Mark]) -> None:
        with self._open() as db, statedb.transaction(db):
            db.executemany(
                "INSERT OR REPLACE INTO ledger VALUES (?, ?, ?, ?)",
                ((m.key, m.account, m.group_id, json.dumps(m.document())) for m in marks),
            )

    def record_key(self) -> bytes:
        """The key that signs this file's containment records, made once. It lives beside the records, in
        SOAR's state folder for the app: it tells this app's records from any written by something else, not
        from someone who can write that folder."""
        with self._open() as db, statedb.transaction(db):
            db.execute("INSERT OR IGNORE INTO secret VALUES ('record_key', ?)", (secrets.token_bytes(32),))
            return bytes(db.execute("SELECT value FROM secret WHERE name = 'record_key'").fetchone()[0])

    @contextlib.contextmanager
    def lease(self, account: str, group_id: str) -> Iterator[Callable[[], None]]:
        """One writer per (account, group) among this host's action runs: yields `keep`, to call before each
        change, which renews the lease and raises LeaseLost when another run took it. A lease ends when its
        holder lets it go, when its time is up, or when its holder process no longer exists (kill -9)."""
        key = f"{account}|{group_id}"
        holder = holders.new_holder()
        gives_up = time.time() + LEASE_WAIT
        while not self._take(key, holder):
            if time.time() >= gives_up:
                raise LeaseLost(
                    f"another run kept acting on group {group_id!r} for {LEASE_WAIT:.0f} s; this run changed "
                    "nothing: run it again once the other run has ended"
                )
            time.sleep(0.2)

        def keep() -> None:
            with self._open() as db, statedb.transaction(db):
                row = db.execute("SELECT holder FROM lease WHERE key = ?", (key,)).fetchone()
                if row is None or row[0] != holder:
                    raise LeaseLost(f"another run took over group {group_id!r}: this run stops acting")
                db.execute(
                    "UPDATE lease SET expires_at = ? WHERE key = ?", (time.time() + LEASE_SECONDS, key)
                )

        try:
            yield keep
        finally:
            with self._open() as db, statedb.transaction(db):
                db.execute("DELETE FROM lease WHERE key = ? AND holder = ?", (key, holder))

    def _take(self, key: str, holder: str) -> bool:
        with self._open() as db, statedb.transaction(db):
            row = db.execute("SELECT holder, expires_at FROM lease WHERE key = ?", (key,)).fetchone()
            if row is not None and row[1] > time.time() and not holders.ended_here(row[0]):
                return False
            db.execute(
                "INSERT OR REPLACE INTO lease VALUES (?, ?, ?)", (key, holder, time.time() + LEASE_SECONDS)
            )
            return True

    def find(self, query: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        """The documents that match `query`, in the part of the KV store's query language the containment
        code asks in: every field equal to its value, and {"$or": [query, ...]} matching any one."""
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
        if name == "$or":
            if not any(_matches(document, part) for part in wanted):
                return False
        elif document.get(name) != wanted:
            return False
    return True
