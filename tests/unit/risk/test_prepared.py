"""The prepared form of the risk table: used only when made from the very table at hand and whole; anything
else (stale, truncated, garbled, foreign, writable by others) is rebuilt, and answers never change."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from splunk_app.risk import prepared, table
from splunk_app.risk.table import FIELDS, read_csv

USERS = [
    ("alice@example.com", "A", "Finance"),
    ("bob@example.com", "F", "Sales, EMEA"),
    ("bob@example.co.uk", "C", 'R&D "Labs"'),
    ("érin@example.com", "D", "Ünits"),
]
VALUES = ["alice@example.com", "CORP\\alice", "BOB@example.com", "bob", "érin", "nobody@example.com", "-"]


def _write(path: Path, users=USERS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        for email, grade, department in users:
            writer.writerow(
                {"email": email, "safe_grade": grade, "department": department, "watchlist": "true"}
            )
    return path


def _answers(table) -> list:
    return [table.find(value) for value in VALUES]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    folder = prepared.cache_folder(str(tmp_path / "splunk"))
    assert folder is not None
    return folder


def _prepared_file(cache: Path) -> Path:
    (path,) = cache.glob("*.prepared")
    return path


def test_the_first_read_prepares_and_the_next_reads_the_prepared_form_with_the_same_answers(tmp_path, cache):
    source = _write(tmp_path / "risk.csv")
    first = read_csv(source, cache=cache)
    second = read_csv(source, cache=cache)
    assert isinstance(first.profiles, dict) and isinstance(second.profiles, prepared.Profiles)
    assert _answers(second) == _answers(first) == _answers(read_csv(source))
    assert len(second) == len(USERS) and second.domains == first.domains


def test_a_changed_table_is_never_answered_from_the_old_form(tmp_path, cache):
    source = _write(tmp_path / "risk.csv")
    read_csv(source, cache=cache)
    read_csv(source, cache=cache)
    _write(
        source, [(email, "B" if grade == "F" else grade, dept) for email, grade, dept in USERS]
    )  # same size
    changed = read_csv(source, cache=cache)
    assert changed.find("bob@example.com")[0][0] == "B"
    assert read_csv(source, cache=cache).find("bob@example.com")[0][0] == "B"


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-3] + bytes([data[-3] ^ 0x20]) + data[-2:],  # one byte garbled
        lambda data: data + b"x",  # trailing bytes
        lambda data: b"not json\n" + data.split(b"\n", 1)[1],
        lambda data: data[:-8] + b"\xff" * 8,  # the header's length
        lambda data: data[:-8] + (len(data) - 8).to_bytes(8, "little"),  # a header as long as the file
        lambda data: data.replace(b'"version":1', b'"version":2', 1),
        lambda data: os.urandom(len(data)),
    ],
)
def test_a_damaged_prepared_file_is_not_used_but_replaced(tmp_path, cache, damage):
    source = _write(tmp_path / "risk.csv")
    expected = _answers(read_csv(source, cache=cache))
    path = _prepared_file(cache)
    path.write_bytes(damage(path.read_bytes()))
    again = read_csv(source, cache=cache)
    assert isinstance(again.profiles, dict)  # read from the CSV
    assert _answers(again) == expected
    assert isinstance(read_csv(source, cache=cache).profiles, prepared.Profiles)  # the form was made again


def test_a_prepared_file_others_may_write_is_not_trusted(tmp_path, cache):
    source = _write(tmp_path / "risk.csv")
    read_csv(source, cache=cache)
    _prepared_file(cache).chmod(0o666)
    assert isinstance(read_csv(source, cache=cache).profiles, dict)


def test_a_cache_folder_others_may_write_is_not_used(tmp_path):
    folder = tmp_path / "var" / "run" / "splunk" / "mimecast_awareness_risk"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    assert prepared.cache_folder(str(tmp_path)) is None


def test_values_with_newlines_and_separators_survive_the_prepared_form(tmp_path, cache):
    source = _write(tmp_path / "risk.csv", [("a@example.com", "F", "line one\nline two, \u00e9")])
    read_csv(source, cache=cache)
    again = read_csv(source, cache=cache)
    assert isinstance(again.profiles, prepared.Profiles)
    assert again.find("a@example.com")[0][7] == "line one\nline two, \u00e9"


def test_a_table_the_form_cannot_carry_is_read_from_its_source_each_time(tmp_path, cache):
    source = _write(tmp_path / "risk.csv", [("a\n@example.com", "F", ""), ("b\x1f@example.com", "C", "")])
    assert read_csv(source, cache=cache).find("a\n@example.com")[0][0] == "F"
    assert list(cache.glob("*.prepared")) == []
    assert read_csv(source, cache=cache).find("b\x1f@example.com")[0][0] == "C"


def test_old_prepared_files_are_pruned(tmp_path, cache):
    for number in range(prepared.KEEP + 3):
        read_csv(_write(tmp_path / f"risk{number}.csv"), cache=cache)
    assert len(list(cache.glob("*.prepared"))) == prepared.KEEP


def test_a_changed_risk_policy_is_never_answered_from_the_old_form(tmp_path, cache, monkeypatch):
    """A table's missing priorities come from the policy: a form made under another policy is not used."""
    source = _write(tmp_path / "risk.csv")
    read_csv(source, cache=cache)
    assert isinstance(read_csv(source, cache=cache).profiles, prepared.Profiles)
    monkeypatch.setattr(table, "policy_stamp", lambda: [1, 2, 3])
    assert isinstance(read_csv(source, cache=cache).profiles, dict)
