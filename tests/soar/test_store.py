"""The SOAR app's records file on its own (no SDK involved): the containment store's queries, the signing
key, and the lease that lets one run at a time act on a group."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "soar_app" / "src"))

from mimecast_soar import store

from splunk_app import holders
from splunk_app.containment import Mark


@pytest.fixture
def records(tmp_path) -> store.Records:
    return store.Records(str(tmp_path / "records.sqlite"))


def test_find_by_value_and_by_either(records):
    records.save_many(
        [
            {"_key": "a", "sid": "r1", "latest_sid": "r3", "group_id": "g"},
            {"_key": "b", "sid": "r2", "latest_sid": "r2", "group_id": "g"},
            {"_key": "c", "sid": "r3", "latest_sid": "r3", "group_id": "h"},
        ]
    )
    assert [d["_key"] for d in records.find({"sid": "r2"})] == ["b"]
    assert [d["_key"] for d in records.find({"sid": "r3", "group_id": "g"})] == []
    either = {"$or": [{"latest_sid": "r3"}, {"sid": "r3"}]}  # what a revert asks for
    assert sorted(d["_key"] for d in records.find(either)) == ["a", "c"]
    assert sorted(d["_key"] for d in records.find({**either, "group_id": "h"})) == ["c"]
    assert len(list(records.find({}))) == 3
    records.delete_many(["a"])
    assert records.get("a") is None and records.get("b") is not None
    records.delete_many(["a"])
    assert records.get("a") is None and records.get("b") is not None


def test_the_record_key_is_made_once(records, tmp_path):
    key = records.record_key()
    assert len(key) == 32
    assert store.Records(records.path).record_key() == key
    assert store.Records(str(tmp_path / "other.sqlite")).record_key() != key


def test_one_holder_at_a_time(records, monkeypatch):
    monkeypatch.setattr(store, "LEASE_WAIT", 0.5)
    with records.lease("asset", "g1") as keep:
        keep()
        with pytest.raises(store.LeaseLost, match="another run kept acting"), records.lease("asset", "g1"):
            pass
        with records.lease("asset", "g2"):  # another group is free
            pass
    with records.lease("asset", "g1"):  # let go: free again
        pass


def test_a_lease_whose_holder_died_is_free(records):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    holder = f"{holders.PLACE}:{dead.stdout.strip()}:x"
    records.record_key()  # the file exists
    with sqlite3.connect(records.path) as db:
        db.execute("INSERT INTO lease VALUES ('asset|g1', ?, 9e18)", (holder,))
    with records.lease("asset", "g1") as keep:
        keep()


def test_keep_stops_a_run_whose_lease_was_taken(records):
    with records.lease("asset", "g1") as keep:
        with sqlite3.connect(records.path) as db:
            db.execute("UPDATE lease SET holder = 'elsewhere:1:y'")
        with pytest.raises(store.LeaseLost, match="took over"):
            keep()


def test_the_ledger_keeps_the_latest_mark_per_record_of_a_group(records):
    marks = [Mark("asset", "g1", "ann@x.example", 2), Mark("asset", "g2", "ann@x.example", 5)]
    records.advance(marks)
    records.advance([Mark("asset", "g1", "ann@x.example", 3, released=True)])
    with sqlite3.connect(records.path) as db:  # a damaged entry is no mark
        db.execute("INSERT INTO ledger VALUES ('asset|g1|bob@x.example', 'asset', 'g1', '{\"user\": 1}')")
    assert records.marks("asset", "g1") == {
        "asset|g1|ann@x.example": Mark("asset", "g1", "ann@x.example", 3, released=True)
    }
    assert list(records.marks("asset", "g2").values()) == [marks[1]]
    assert records.marks("other", "g1") == {}
