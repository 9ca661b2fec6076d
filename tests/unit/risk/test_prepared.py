"""The prepared form of the risk table and of the alias table: looked up by key, used only when made from
the very table at hand (and the risk policy) and whole; anything else (stale, truncated, garbled, foreign,
writable by others) is rebuilt, never read, and answers never change. Several searches preparing at once
prepare once."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from splunk_app.risk import prepared, table
from splunk_app.risk.identity import ALIAS_FILE
from splunk_app.risk.prepared import PreparedUsers, prepared_aliases
from splunk_app.risk.table import FIELDS, MemoryUsers, TableError, read_csv

ROOT = Path(__file__).resolve().parents[3]
USERS = [
    ("alice@example.com", "A", "Finance"),
    ("bob@example.com", "F", "Sales, EMEA"),
    ("bob@example.co.uk", "C", 'R&D "Labs"'),
    ("érin@example.com", "D", "Ünits"),
    ("bob@weird@example.com", "B", ""),  # an `@` in the local part: its local part is `bob@weird`
]
VALUES = [
    "alice@example.com",
    "CORP\\alice",
    "BOB@example.com",
    "bob",
    "érin",
    "CORP\\Érin",
    "nobody@example.com",
    "alice@attacker.example",
    "-",
]


def _write(path: Path, users=USERS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        for email, grade, department in users:
            writer.writerow(
                {"email": email, "safe_grade": grade, "department": department, "watchlist": "true"}
            )
    return path


def _answers(found) -> list:
    return [found.find(value) for value in VALUES]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    folder = prepared.cache_folder(str(tmp_path / "splunk"))
    assert folder is not None
    return folder


def _prepared_file(cache: Path) -> Path:
    (path,) = cache.glob(f"*{prepared.SUFFIX}")
    return path


def test_the_first_read_prepares_and_the_next_looks_users_up_with_the_same_answers(tmp_path, cache):
    source = _write(tmp_path / "risk.csv")
    first = read_csv(source, cache=cache)
    second = read_csv(source, cache=cache)
    assert isinstance(first.users, PreparedUsers) and isinstance(second.users, PreparedUsers)
    in_memory = read_csv(source)
    assert isinstance(in_memory.users, MemoryUsers)
    assert _answers(second) == _answers(first) == _answers(in_memory)
    assert second.resolve("bob") == table.Match(None, "ambiguous")  # bob@example.com, bob@example.co.uk
    assert second.resolve("CORP\\bob@weird") == table.Match(None, "none")  # an address, not the company's
    assert len(second) == len(USERS)
    assert second.users.form.lookups < 40  # a few lookups, not the table


def test_a_search_that_meets_many_users_holds_them_in_memory_with_the_same_answers(
    tmp_path, cache, monkeypatch
):
    source = _write(tmp_path / "risk.csv")
    read_csv(source, cache=cache)
    in_memory = read_csv(source)
    monkeypatch.setattr(table, "LOOKUPS", 3)
    found = read_csv(source, cache=cache)
    assert _answers(found) == _answers(in_memory)
    assert isinstance(found.users, MemoryUsers)
    later = ["érin@example.com", "UKCORP\\bob", "bob@weird@example.com", "weird@example.com"]
    assert [found.find(value) for value in later] == [in_memory.find(value) for value in later]


def test_a_changed_table_is_never_answered_from_the_old_form(tmp_path, cache):
    source = _write(tmp_path / "risk.csv")
    read_csv(source, cache=cache)
    _write(
        source, [(email, "B" if grade == "F" else grade, dept) for email, grade, dept in USERS]
    )  # same size
    changed = read_csv(source, cache=cache)
    assert changed.find("bob@example.com")[0][0] == "B"
    assert read_csv(source, cache=cache).find("bob@example.com")[0][0] == "B"


def test_a_changed_risk_policy_is_never_answered_from_the_old_form(tmp_path, cache, monkeypatch):
    """A table's missing priorities come from the policy: a form made under another policy is not used."""
    source = _write(tmp_path / "risk.csv")
    made = read_csv(source, cache=cache).users.form.inode
    assert read_csv(source, cache=cache).users.form.inode == made
    monkeypatch.setattr(table, "policy_stamp", lambda: [1, 2, 3])
    assert read_csv(source, cache=cache).users.form.inode != made


def _flip_in_row(data: bytes) -> bytes:
    """One byte of a user's stored values changed, where SQLite itself cannot see it."""
    at = data.index(b"Sales, EMEA")
    return data[:at] + b"T" + data[at + 1 :]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-1],
        lambda data: data + b"x" * 4096,  # a page too many
        lambda data: data[:100] + bytes(len(data) - 100),  # zeros after the header (a power cut)
        lambda data: data[:60] + (1).to_bytes(4, "big") + data[64:],  # another format version
        lambda data: data[:68] + b"ABCD" + data[72:],  # another application's SQLite file
        lambda data: os.urandom(len(data)),
        lambda data: b"x" * len(data),
    ],
)
def test_a_damaged_prepared_file_is_not_read_but_replaced(tmp_path, cache, damage):
    source = _write(tmp_path / "risk.csv")
    expected = _answers(read_csv(source))
    read_csv(source, cache=cache)
    path = _prepared_file(cache)
    path.write_bytes(damage(path.read_bytes()))
    again = read_csv(source, cache=cache)
    assert _answers(again) == expected
    assert isinstance(again.users, PreparedUsers)  # prepared again, from the CSV
    assert prepared.open_form(path, again.users.form.header["source"], prepared.RISK_TABLES) is not None


def test_a_row_damaged_inside_is_caught_at_lookup_and_the_form_rebuilt(tmp_path, cache):
    source = _write(tmp_path / "risk.csv")
    expected = _answers(read_csv(source))
    read_csv(source, cache=cache)
    path = _prepared_file(cache)
    path.write_bytes(_flip_in_row(path.read_bytes()))
    damaged = read_csv(source, cache=cache)
    assert isinstance(damaged.users, PreparedUsers)  # whole to look at: the damage shows only at the row
    damaged.reload = lambda: read_csv(source, cache=cache)
    assert _answers(damaged) == expected  # never "Tales, EMEA"
    assert b"Sales, EMEA" in _prepared_file(cache).read_bytes()

    path = _prepared_file(cache)
    path.write_bytes(_flip_in_row(path.read_bytes()))
    with pytest.raises(TableError, match="is damaged"):
        read_csv(source, cache=cache).find("bob@example.com")  # no way to read it again: the search says so
    assert list(cache.glob(f"*{prepared.SUFFIX}")) == []  # and the damaged form is gone


def test_a_row_damaged_inside_is_caught_when_a_search_reads_them_all_into_memory(
    tmp_path, cache, monkeypatch
):
    source = _write(tmp_path / "risk.csv")
    expected = _answers(read_csv(source))
    read_csv(source, cache=cache)
    path = _prepared_file(cache)
    path.write_bytes(_flip_in_row(path.read_bytes()))
    monkeypatch.setattr(table, "LOOKUPS", 0)  # the first lookup reads every row
    damaged = read_csv(source, cache=cache)
    damaged.reload = lambda: read_csv(source)
    assert _answers(damaged) == expected
    assert isinstance(damaged.users, MemoryUsers)


def test_a_row_whose_values_name_another_user_is_damage(tmp_path, cache):
    """Each row's check covers its key and values, so only a form written wrongly could hold one: never
    read as the key's user."""
    path = cache / f"forged{prepared.SUFFIX}"
    bob = ("F", "", "", "", "", "true", "", "Sales", "high", "", "bob@example.com", "F")

    def fill(writer: prepared.Writer) -> bool:
        writer.insert("users", [("alice@example.com", prepared.joined(bob))])
        writer.insert("domains", [("example.com", "1")])
        writer.extra.update(users=1, width=len(bob))
        return True

    assert prepared.write(path, ["forged"], prepared.RISK_TABLES, fill)
    form = prepared.open_form(path, ["forged"], prepared.RISK_TABLES)
    with pytest.raises(prepared.Damaged, match="name another user"):
        PreparedUsers(form, len(bob), 10).in_memory()


def test_a_prepared_file_others_may_write_is_not_trusted(tmp_path, cache):
    source = _write(tmp_path / "risk.csv")
    made = read_csv(source, cache=cache).users.form.inode
    _prepared_file(cache).chmod(0o666)
    assert read_csv(source, cache=cache).users.form.inode != made


def test_a_cache_folder_others_may_write_is_not_used(tmp_path):
    folder = tmp_path / "var" / "run" / "splunk" / "mimecast_awareness_risk"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    assert prepared.cache_folder(str(tmp_path)) is None


def test_values_with_newlines_and_quotes_survive_the_prepared_form(tmp_path, cache):
    source = _write(tmp_path / "risk.csv", [("a@example.com", "F", 'line one\nline two, "\u00e9"')])
    read_csv(source, cache=cache)
    again = read_csv(source, cache=cache)
    assert isinstance(again.users, PreparedUsers)
    assert again.find("a@example.com")[0][7] == 'line one\nline two, "\u00e9"'


def test_a_table_the_form_cannot_carry_is_read_from_its_source_each_time(tmp_path, cache):
    source = _write(tmp_path / "risk.csv", [("a@example.com", "F", "x\x1fy"), ("b@example.com", "C", "")])
    first = read_csv(source, cache=cache)
    assert isinstance(first.users, MemoryUsers) and first.find("a@example.com")[0][7] == "x\x1fy"
    assert list(cache.glob(f"*{prepared.SUFFIX}")) == []
    assert read_csv(source, cache=cache).find("b@example.com")[0][0] == "C"


def test_old_prepared_files_are_pruned_and_an_earlier_releases_removed(tmp_path, cache):
    (cache / "0000-1.prepared").write_bytes(b"the whole-table file of an earlier release")
    for number in range(prepared.KEEP + 3):
        read_csv(_write(tmp_path / f"risk{number}.csv"), cache=cache)
    assert len(list(cache.glob(f"*{prepared.SUFFIX}"))) == prepared.KEEP
    assert list(cache.glob("*.prepared")) == []


def test_a_reader_keeps_its_form_while_a_new_one_replaces_it(tmp_path, cache):
    source = _write(tmp_path / "risk.csv")
    old = read_csv(source, cache=cache)
    _write(source, [(email, "A", dept) for email, _grade, dept in USERS])
    new = read_csv(source, cache=cache)
    assert new.users.form.inode != old.users.form.inode
    assert old.find("bob@example.com")[0][0] == "F"  # the form it opened, whole
    assert new.find("bob@example.com")[0][0] == "A"


PREPARE = """
import sys
from pathlib import Path
from splunk_app.risk import prepared
from splunk_app.risk.table import read_csv
found = read_csv(Path(sys.argv[1]), cache=prepared.cache_folder(sys.argv[2]))
for value in sys.argv[3:]:
    user, _how = found.find(value)
    print(f"{user[10]}:{user[0]}" if user else "None:None", end=" ")
print(found.users.form.inode)
"""


@pytest.mark.parametrize("processes", [2, 4])
def test_searches_preparing_a_changed_table_at_once_prepare_it_once_and_agree(tmp_path, processes):
    users = [(f"user{number}@example.com", "ABCDF"[number % 5], "Dept") for number in range(20_000)]
    source = _write(tmp_path / "risk.csv", users)
    home = str(tmp_path / "splunk")
    asked = ["CORP\\user17", "user19999@example.com", "USER3@EXAMPLE.COM"]
    expected = [  # the first table, then the changed one: regraded, and without its last user
        ("user17@example.com:C", "user19999@example.com:F", "user3@example.com:D"),
        ("user17@example.com:F", "None:None", "user3@example.com:F"),
    ]
    for answer in expected:
        running = [
            subprocess.Popen(
                [sys.executable, "-c", PREPARE, str(source), home, *asked],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            for _ in range(processes)
        ]
        answers = [process.communicate(timeout=300) for process in running]
        assert [process.returncode for process in running] == [0] * processes, answers
        assert len({out.split()[-1] for out, _err in answers}) == 1  # one preparation, opened by all
        assert {tuple(out.split()[:-1]) for out, _err in answers} == {answer}
        _write(source, [(email, "F", "Changed") for email, _grade, _dept in users[:-1]])


def test_the_alias_table_is_prepared_and_its_bad_rows_said_at_every_search(tmp_path, cache):
    path = tmp_path / ALIAS_FILE
    path.write_text(
        "alias,email\nCORP\\jdoe,jane@example.com\nbad,\n@corp.local,@example.com\n", encoding="utf-8"
    )
    said: list[list[str]] = []
    for _search in range(2):
        warnings: list[str] = []
        aliases = prepared_aliases(path, warnings.append, cache)
        said.append(warnings)
        assert aliases.users.get("corp\\jdoe") == "jane@example.com"
        assert aliases.domains.get("corp.local") == "example.com"
        assert aliases.users.get("nobody") is None and len(aliases) == 2
    assert said[0] == said[1] and len(said[0]) == 1 and "row 3" in said[0][0]
    assert isinstance(aliases.users, prepared.Mapping) and not isinstance(aliases.users, dict)  # looked up
    path.write_text("alias,email\nCORP\\jdoe,john@example.com\n", encoding="utf-8")
    assert prepared_aliases(path, said.append, cache).users.get("corp\\jdoe") == "john@example.com"
    assert len(prepared_aliases(tmp_path / "absent.csv", said.append, cache)) == 0


def test_a_search_killed_while_preparing_leaves_nothing_read_and_holds_no_one_up(tmp_path):
    """kill -9 half-way through writing the form: the half-written file is never opened (it never had the
    form's name), its lock went with the process, and the next search prepares and answers at once."""
    users = [(f"user{number}@example.com", "ABCDF"[number % 5], "Dept") for number in range(200_000)]
    source = _write(tmp_path / "risk.csv", users)
    home = str(tmp_path / "splunk")
    cache = prepared.cache_folder(home)
    assert cache is not None
    preparing = subprocess.Popen(
        [sys.executable, "-c", PREPARE, str(source), home, "CORP\\user17"],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 60
    while not any(path.stat().st_size > 1 << 20 for path in cache.glob(".prepared-*.tmp")):
        assert preparing.poll() is None and time.monotonic() < deadline, "the preparation ended too soon"
        time.sleep(0.01)
    preparing.kill()
    preparing.communicate()

    assert list(cache.glob(f"*{prepared.SUFFIX}")) == []  # only the half-written temporary file is there
    clock = time.monotonic()
    found = read_csv(source, cache=cache)
    assert time.monotonic() - clock < prepared.LOCK_WAIT / 10  # the dead process's lock held no one
    assert isinstance(found.users, PreparedUsers)
    assert found.find("CORP\\user17")[0][0] == "C"
    assert found.find("user199999@example.com")[0][0] == "F"  # the whole table, not a part of it
