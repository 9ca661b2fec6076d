"""What an input already emitted: one content hash per record key, so a run writes only what changed
(and everything again before it is full_snapshot_hours old), and a killed run loses nothing.

On disk: `<checkpoint_dir>/<file_stem(input)>.sqlite`, an SQLite database (schema version 1, through
`PRAGMA user_version`; opened, migrated and, when damaged, set aside by `splunk_app.statedb`):
- `record(key, digest, emitted_at, seen_at)`: 64-bit fingerprints of the record key and of its content,
  when it was last emitted, and the run that last saw it (so a complete snapshot can drop the rest);
- `extra(name, value)`: small run state that moves with a page (the training input's cursor), as JSON.

The caller writes and flushes a page's events, then `commit`s the page: one transaction. A kill before
the commit repeats that page on the next run; a kill after it repeats nothing.

Journal: the write-ahead log (WAL) with synchronous=NORMAL. A commit then appends the page to the log
without an fsync, and a kill -9 cannot undo it: the log is in the operating system's cache, which the next
run reads. Only a power cut can lose the last commits, and losing them means sending those pages again,
never losing a record (their events left the process before the commit). Rollback journals would fsync
two files per page, and a hot journal lost after a crash leaves a corrupt file where a lost WAL leaves an
older, consistent one. WAL needs shared memory between processes on one host, which is why it wants
`checkpoint_dir` on local disk (it is: splunkd's own `$SPLUNK_DB/modinputs`). WAL needs SQLite 3.7 or
later; the Python 3.9 and 3.13 that the package tests run the installed app under link SQLite 3.40.

A record stamped later than the run's time (the clock stepped back) counts as due, so a full-snapshot
re-send is never postponed by a clock that jumped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterable
from typing import Any

from splunk_app import statedb

SCHEMA_STEPS = (
    # version 1
    "CREATE TABLE record (key INTEGER PRIMARY KEY, digest INTEGER NOT NULL, "
    "emitted_at INTEGER NOT NULL, seen_at INTEGER NOT NULL);"
    "CREATE TABLE extra (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def file_stem(input_name: str) -> str:
    """A file name for an input stanza (`mimecast_at_safe_score://prod`): readable and collision-free."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", input_name)[:80]
    return f"{readable}-{hashlib.blake2b(input_name.encode('utf-8'), digest_size=5).hexdigest()}"


def _fingerprint(text: str) -> int:
    """64 bits (signed, as SQLite stores integers) of a key or a content hash: collisions are negligible
    below billions of records."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


class Checkpoint:
    """The emitted state of one input. `due` says whether a record must be written in this run."""

    def __init__(
        self, folder: str, input_name: str, full_snapshot_seconds: float, interval_seconds: float = 0
    ):
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as err:
            raise statedb.StateError(f"the checkpoint folder cannot be created: {err}") from err
        self.path = os.path.join(folder, file_stem(input_name) + ".sqlite")
        # Re-send a record when, by the next run, its last copy would be older than the full-snapshot
        # period: a search over the last full_snapshot_hours then always finds every record.
        self.resend_after = max(0.0, full_snapshot_seconds - max(0.0, interval_seconds))
        schema = statedb.Schema(
            f"the checkpoint of input {input_name!r}", SCHEMA_STEPS, "every record is sent again"
        )
        self._db = statedb.connect(self.path, schema)
        self.extra: dict[str, Any] = {
            name: json.loads(value) for name, value in self._db.execute("SELECT name, value FROM extra")
        }
        self._seen: list[tuple[int, int]] = []  # (run time, key) found by `due`, saved by the next commit

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM record").fetchone()[0])

    def __contains__(self, key: str) -> bool:
        found = self._db.execute("SELECT 1 FROM record WHERE key = ?", (_fingerprint(key),))
        return found.fetchone() is not None

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def due(self, key: str, digest: str, now: float) -> bool:
        """True when the record is new, changed, stamped in the future, or last emitted too long ago;
        marks it seen at `now` (saved with the page)."""
        fingerprint = _fingerprint(key)
        row = self._db.execute(
            "SELECT digest, emitted_at FROM record WHERE key = ?", (fingerprint,)
        ).fetchone()
        if row is None:
            return True
        self._seen.append((int(now), fingerprint))
        digest_was, emitted_at = row
        return digest_was != _fingerprint(digest) or emitted_at > now or now - emitted_at >= self.resend_after

    def commit(self, emitted: Iterable[tuple[str, str]], now: float, **extra: Any) -> None:
        """Record a page whose events were all handed on, with any small run state that must move with
        it (a training cursor): one transaction."""
        when = int(now)
        rows = [(_fingerprint(key), _fingerprint(digest), when, when) for key, digest in emitted]
        changed = {name: value for name, value in extra.items() if self.extra.get(name) != value}
        if not rows and not changed and not self._seen:
            return
        with statedb.transaction(self._db) as db:
            self._save_seen(db)
            db.executemany("INSERT OR REPLACE INTO record VALUES (?, ?, ?, ?)", rows)
            db.executemany(
                "INSERT OR REPLACE INTO extra VALUES (?, ?)",
                [(name, json.dumps(value)) for name, value in changed.items()],
            )
        self.extra.update(changed)

    def finish(self, complete: bool, now: float) -> int:
        """End the run. After a complete snapshot, forget the records it did not hold (so they are
        emitted again if they come back); returns how many."""
        with statedb.transaction(self._db) as db:
            self._save_seen(db)
            gone = (
                db.execute("DELETE FROM record WHERE seen_at != ?", (int(now),)).rowcount if complete else 0
            )
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the next run starts from a short log
        return gone

    def close(self) -> None:
        self._db.close()

    def _save_seen(self, db: sqlite3.Connection) -> None:
        db.executemany("UPDATE record SET seen_at = ? WHERE key = ?", self._seen)
        self._seen = []
