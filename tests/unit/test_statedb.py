"""Opening a state database: created whole, migrated through user_version, and every damage we could think
of set aside with one warning while a fresh database takes its place."""

from __future__ import annotations

import logging
import os
import random
import shutil
import sqlite3
import stat

import pytest

from splunk_app import statedb

SCHEMA = statedb.Schema(
    "the test state",
    ("CREATE TABLE item (key INTEGER PRIMARY KEY, value TEXT NOT NULL)",),
    "every item is sent again",
)
ROWS = 3000


def build(path, *, close=True):
    """A database of ROWS items; with close=False, as a killed process leaves it (write-ahead log and its
    index beside it), copied while the writer is still open."""
    db = statedb.connect(str(path), SCHEMA)
    for start in range(0, ROWS, 500):  # several commits, as a run's pages
        with statedb.transaction(db):
            db.executemany(
                "INSERT INTO item VALUES (?, ?)", [(i, "x" * 40) for i in range(start, start + 500)]
            )
    if close:
        db.close()
        return path
    killed = path.parent / "killed"
    killed.mkdir()
    for name in os.listdir(path.parent):
        if name.startswith(path.name):
            shutil.copy(path.parent / name, killed / name)
    db.close()
    return killed / path.name


def _overwrite(path, offset, data):
    with open(path, "r+b") as file:
        file.seek(offset)
        file.write(data)


DAMAGES = {
    "emptied": lambda p: p.write_bytes(b""),
    "truncated to half": lambda p: os.truncate(p, p.stat().st_size // 2),
    "truncated inside the header": lambda p: os.truncate(p, 60),
    "garbled header": lambda p: _overwrite(p, 0, b"garbage!" * 4),
    "garbled first page": lambda p: _overwrite(p, 100, random.Random(1).randbytes(2000)),
    "garbled middle page": lambda p: _overwrite(p, p.stat().st_size // 2, random.Random(2).randbytes(4096)),
    "random bytes": lambda p: p.write_bytes(random.Random(3).randbytes(p.stat().st_size)),
    "another schema version": lambda p: _set_version(p, SCHEMA.version + 1),
    "no schema version": lambda p: _set_version(p, 0),
    "a folder": lambda p: (p.unlink(), p.mkdir(), (p / "inside").write_text("kept")),
    "garbled write-ahead log": lambda p: _overwrite(f"{p}-wal", 0, b"not a log" * 4),
    "truncated write-ahead log": lambda p: os.truncate(f"{p}-wal", 20),
    "missing write-ahead log": lambda p: os.unlink(f"{p}-wal"),
}
NEEDS_A_LOG = {"garbled write-ahead log", "truncated write-ahead log", "missing write-ahead log"}


def _set_version(path, version):
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_file_is_set_aside_with_one_warning_and_a_fresh_one_is_used(tmp_path, caplog, damage):
    (tmp_path / "s").mkdir()
    path = build(tmp_path / "s" / "state.sqlite", close=damage not in NEEDS_A_LOG)
    DAMAGES[damage](path)
    kept = {name: _content(path.parent / name) for name in os.listdir(path.parent)}

    with caplog.at_level(logging.WARNING, logger="splunk_app"):
        db = statedb.connect(str(path), SCHEMA)

    assert db.execute("SELECT count(*) FROM item").fetchone() == (0,)
    with statedb.transaction(db):
        db.execute("INSERT INTO item VALUES (1, 'new')")
    db.close()
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    asides = sorted(name for name in os.listdir(path.parent) if ".damaged-" in name)
    assert asides and str(path) in warning.getMessage() and asides[0] in warning.getMessage()
    assert "every item is sent again" in warning.getMessage()
    # nothing deleted: each damaged file is still there, byte for byte, under its new name
    for name, content in kept.items():
        aside = name.replace(path.name, asides[0], 1)
        assert _content(path.parent / aside) == content, name


def _content(path):
    return sorted(os.listdir(path)) if path.is_dir() else path.read_bytes()


def test_a_log_torn_by_a_kill_mid_write_is_not_damage_the_whole_commits_stay(tmp_path, caplog):
    path = build(tmp_path / "state.sqlite", close=False)
    wal = f"{path}-wal"
    os.truncate(wal, os.path.getsize(wal) - 100)  # the last frame half written
    with caplog.at_level(logging.WARNING):
        db = statedb.connect(str(path), SCHEMA)
    count = db.execute("SELECT count(*) FROM item").fetchone()[0]
    assert count == ROWS - 500 and not caplog.records  # the torn commit is gone, the others stay


def test_a_healthy_file_left_by_a_kill_keeps_every_commit(tmp_path, caplog):
    path = build(tmp_path / "state.sqlite", close=False)
    with caplog.at_level(logging.WARNING):
        db = statedb.connect(str(path), SCHEMA)
    assert db.execute("SELECT count(*) FROM item").fetchone() == (ROWS,) and not caplog.records


def test_an_older_schema_is_migrated_step_by_step_keeping_its_rows(tmp_path):
    path = build(tmp_path / "state.sqlite")
    newer = statedb.Schema(
        SCHEMA.what,
        (*SCHEMA.steps, "ALTER TABLE item ADD COLUMN seen INTEGER NOT NULL DEFAULT 7"),
        SCHEMA.consequence,
    )
    db = statedb.connect(str(path), newer)
    assert db.execute("PRAGMA user_version").fetchone() == (2,)
    assert db.execute("SELECT count(*), min(seen) FROM item").fetchone() == (ROWS, 7)


def test_a_creation_killed_half_way_leaves_no_file_at_the_path(tmp_path, monkeypatch):
    def killed(connection, schema, found):
        raise KeyboardInterrupt  # the closest a test gets to SIGKILL inside the creation

    monkeypatch.setattr(statedb, "_migrate", killed)
    with pytest.raises(KeyboardInterrupt):
        statedb.connect(str(tmp_path / "state.sqlite"), SCHEMA)
    monkeypatch.undo()
    assert not (tmp_path / "state.sqlite").exists()
    db = statedb.connect(str(tmp_path / "state.sqlite"), SCHEMA)  # and the next run simply creates it
    assert db.execute("SELECT count(*) FROM item").fetchone() == (0,)
    assert sorted(os.listdir(tmp_path)) == ["state.sqlite", "state.sqlite-shm", "state.sqlite-wal"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_folder_without_permission_is_an_error_not_damage(tmp_path):
    path = build(tmp_path / "state.sqlite")
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(statedb.StateError):
            statedb.connect(str(tmp_path / "other.sqlite"), SCHEMA)
    finally:
        tmp_path.chmod(stat.S_IRWXU)
    assert path.exists() and not [name for name in os.listdir(tmp_path) if ".damaged-" in name]


def test_a_file_another_writer_holds_is_an_error_not_damage(tmp_path, monkeypatch):
    monkeypatch.setattr(statedb, "BUSY_SECONDS", 0.1)
    path = build(tmp_path / "state.sqlite")
    newer = statedb.Schema(SCHEMA.what, (*SCHEMA.steps, "CREATE TABLE more (x)"), SCHEMA.consequence)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(statedb.StateError, match="locked"):
            statedb.connect(str(path), newer)  # its migration must write
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not [name for name in os.listdir(tmp_path) if ".damaged-" in name]
