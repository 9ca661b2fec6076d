"""Open a state database (SQLite): create it, bring its schema up to date, or set a damaged one aside.

The add-on keeps three kinds of state in SQLite files: each input's checkpoint (`splunk_app.state`), a
run's risk-table spool (`splunk_app.risk.sync`) and the alert actions' group cache (`splunk_app.actions`).
They all open through `connect`, so they share one answer to "what if the file is not what we left":

- A new database is built under a temporary name and renamed into place, so a file at the path has had its
  schema from the start: an empty file, or one without a schema version, is damage, not a new database.
- The schema version is SQLite's `PRAGMA user_version`. `Schema.steps[i]` takes version i to i + 1, each
  in its own transaction; a new database runs every step, an older one the steps it lacks. A newer
  version than this code knows (a downgraded add-on) cannot be read safely and counts as damage.
- Damage (not a database, malformed pages, a failed `PRAGMA quick_check`, another schema, a folder where
  the file should be, a write-ahead log that is garbled, or missing while its index file says it was in
  use) never stops the caller: the file and its companions are renamed aside with a `.damaged-<time>`
  suffix (never deleted, so an administrator can look), ONE warning names them and says what happens next
  (`Schema.consequence`), and a fresh database takes their place.
- Anything else (no permission, a full disk, another process holding the file) is not damage: it raises
  `StateError`, an OSError, and the file is left alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import struct
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

LOG = logging.getLogger(__name__)
BUSY_SECONDS = 10.0  # how long to wait for another process holding the file before giving up
# Pages the write-ahead log may hold before they are copied into the database (each copy fsyncs): about
# 100 MB at 4 KB pages, truncated when a run finishes. A first pull writes pages all over the table, so
# fewer copies count: a checkpoint of 1,000,000 keys took 36 s at 4,000 pages and 23.5 s at 25,000
# (SQLite's default is 1,000). synchronous=OFF would take 18 s, at the price of a checkpoint that a power
# cut can corrupt.
WAL_PAGES = 25000
_COMPANIONS = ("-wal", "-shm", "-journal")
_WAL_MAGIC = (0x377F0682, 0x377F0683)
_WAL_HEADER = 32


class StateError(OSError):
    """A state database that cannot be used for a reason other than damage; the message says which."""


class Damaged(Exception):
    """The file cannot be used as it is: set it aside and start afresh."""


@dataclass(frozen=True)
class Schema:
    """What a kind of state file holds and how each version is reached."""

    what: str  # names the file in the warning: "the checkpoint of input 'x'"
    steps: tuple[str, ...]  # steps[i]: SQL that takes user_version i to i + 1
    consequence: str  # what the warning says happens next: "every record is sent again"

    @property
    def version(self) -> int:
        return len(self.steps)


def connect(path: str, schema: Schema, *, durable: bool = True) -> sqlite3.Connection:
    """An open, checked, up-to-date database at `path`, in autocommit mode (use `transaction`).

    `durable` state (a checkpoint, a cache) uses the write-ahead log with synchronous=NORMAL: see
    `splunk_app.state` for why. Scratch state (a spool, discarded when a run dies) uses neither journal
    nor sync: a run that dies leaves nothing anyone reads."""
    try:
        return _open(path, schema, durable)
    except Damaged as damage:
        aside = _set_aside(path)
        LOG.warning(
            "%s (%s) cannot be used: %s. Moved aside to %s; starting afresh, %s.",
            schema.what,
            path,
            damage,
            aside,
            schema.consequence,
        )
    try:
        return _open(path, schema, durable)
    except Damaged as damage:  # a fresh file this process just made: not a damage to work around
        raise StateError(f"{schema.what} ({path}) cannot be created: {damage}") from damage


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: all of the block's changes are committed together, or none."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _open(path: str, schema: Schema, durable: bool) -> sqlite3.Connection:
    if os.path.isdir(path):
        raise Damaged("a folder is where the file should be")
    if not os.path.exists(path):
        _create(path, schema, durable)
    elif os.path.getsize(path) == 0:
        raise Damaged("it is empty")
    elif durable:
        _check_log(path)
    try:
        connection = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    except sqlite3.Error as err:
        raise StateError(f"{schema.what} ({path}) cannot be opened: {err}") from err
    try:
        found = connection.execute("PRAGMA user_version").fetchone()[0]  # before any write to the file
        if found == 0:
            raise Damaged("it has no schema version (not this add-on's)")
        if found > schema.version:
            raise Damaged(f"it has schema version {found}, newer than this add-on's {schema.version}")
        _configure(connection, durable)
        _migrate(connection, schema, found)
        problem = connection.execute("PRAGMA quick_check(1)").fetchone()[0]
        if problem != "ok":
            raise Damaged("SQLite's quick_check says " + " ".join(str(problem).split()))
    except Damaged:
        connection.close()
        raise
    except sqlite3.Error as err:
        connection.close()
        if _is_damage(err):
            raise Damaged(f"SQLite says {err}") from err
        raise StateError(f"{schema.what} ({path}) cannot be used: {err}") from err
    return connection


def _create(path: str, schema: Schema, durable: bool) -> None:
    """Build the database under a temporary name of this process's own, then link it into place: of two
    processes creating the same file at once, one links its file and the other uses that one (neither
    removes or replaces the other's)."""
    temporary = f"{path}.new-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        connection = sqlite3.connect(temporary, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            _configure(connection, durable)
            _migrate(connection, schema, 0)
        finally:
            connection.close()
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs is as good
            os.link(temporary, path)
    except (sqlite3.Error, OSError) as err:
        raise StateError(f"{schema.what} ({path}) cannot be created: {err}") from err
    finally:
        for name in (temporary, *(temporary + suffix for suffix in _COMPANIONS)):
            with contextlib.suppress(OSError):
                os.unlink(name)
    _fsync_folder(os.path.dirname(path) or ".")


def _configure(connection: sqlite3.Connection, durable: bool) -> None:
    if durable:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
    else:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")


def _migrate(connection: sqlite3.Connection, schema: Schema, found: int) -> None:
    for version in range(found, schema.version):
        with transaction(connection):
            for statement in schema.steps[version].split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version + 1}")


def _check_log(path: str) -> None:
    """A write-ahead log left by a killed process must be one; its index without it means it was lost.
    (A process closing the file deletes the log just before the index: one opening in that instant takes
    the file for damaged. The cost is a re-send, and no input runs twice at once under splunkd.)"""
    wal = path + "-wal"
    try:
        with open(wal, "rb") as file:
            header = file.read(_WAL_HEADER)
    except FileNotFoundError:
        if os.path.exists(path + "-shm"):
            raise Damaged("its write-ahead log is missing while its index says it was in use") from None
        return
    if header and (len(header) < _WAL_HEADER or struct.unpack(">I", header[:4])[0] not in _WAL_MAGIC):
        raise Damaged("its write-ahead log is garbled")


def _is_damage(err: sqlite3.Error) -> bool:
    """Malformed or foreign content ("file is not a database", "database disk image is malformed"), as
    opposed to the operational errors: locks, permissions, a full disk."""
    return isinstance(err, sqlite3.DatabaseError) and not isinstance(err, sqlite3.OperationalError)


def _set_aside(path: str) -> str:
    """Rename the file and its companions to `<path>.damaged-<time>[-n]`; the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    aside = f"{path}.damaged-{stamp}"
    number = 1
    while os.path.lexists(aside):
        number += 1
        aside = f"{path}.damaged-{stamp}-{number}"
    try:
        os.replace(path, aside)
        for suffix in _COMPANIONS:
            if os.path.lexists(path + suffix):
                os.replace(path + suffix, aside + suffix)
    except OSError as err:
        raise StateError(f"{path} is damaged and cannot be moved aside: {err}") from err
    return aside


def _fsync_folder(folder: str) -> None:
    with contextlib.suppress(OSError):  # not every platform lets a folder be opened
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
