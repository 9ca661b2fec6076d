"""The risk table and identity rules, without Splunk."""

from __future__ import annotations

import pytest

from splunk_app.risk.identity import Match
from splunk_app.risk.table import NO_USER, TableError, read_csv, table_from_rows

from .harness import write_table

ROWS = [
    {"email": "Alice@Example.com", "safe_grade": "a", "watchlist": "false", "department": "Finance"},
    {"_key": "bob@example.com", "safe_grade": "F", "watchlist": True, "watchlist_count": 4, "updated": 1.7e9},
    {
        "email": "carol@example.com",
        "safe_grade": "C",
        "watchlist": "true",
        "watchlist_count": "2",
        "priority": "high",
    },
    {"email": "", "safe_grade": "F"},
]


@pytest.fixture
def table():
    return table_from_rows(ROWS, default_domain="@Example.COM")


@pytest.mark.parametrize(
    ("written", "identity"),
    [
        ("alice@example.com", "alice@example.com"),
        ("  ALICE@EXAMPLE.COM ", "alice@example.com"),
        ("CORP\\alice", "alice@example.com"),
        ("corp\\Alice@Example.com", "alice@example.com"),
        ("Alice", "alice@example.com"),
        ("bob", "bob@example.com"),
        ("alice@corp.local", None),  # a UPN suffix is the company's only through the alias table
        ("alice@attacker.example", None),
    ],
)
def test_an_identity_matches_in_every_form(table, written, identity):
    assert table.resolve(written).email == identity


def test_an_unknown_user_is_no_one(table):
    assert table.find("CORP\\Mallory") == (None, "none")
    assert table.describe(["CORP\\Mallory"]) == (NO_USER, "none")
    assert table.find("   ") == (None, "none")
    assert len(table) == 3  # the row without an email is left out


def test_without_a_default_domain_a_single_mail_domain_matches_by_local_part():
    table = table_from_rows(ROWS)
    assert table.find("bob@example.com")[0][0] == "F"
    assert table.resolve("CORP\\bob") == Match("bob@example.com", "local_part")
    assert table.resolve("bob") == Match("bob@example.com", "local_part")


def test_values_from_kv_documents_become_splunk_text(table):
    bob, _how = table.find("bob@example.com")
    assert bob[:10] == ("F", "", "", "", "", "true", "4", "", "critical", "1700000000")
    assert table.find("alice@example.com")[0][0] == "A"
    assert table.find("carol@example.com")[0][8] == "high"  # the table's own priority wins


def test_several_users_list_everyone_and_the_riskiest_wins(table):
    found, how = table.describe(["carol@example.com", "alice", "nobody@example.com", "Carol@example.com"])
    assert found[10] == ["carol@example.com", "alice@example.com"]  # only users the table holds
    assert found[11] == ["C", "A"]
    assert (found[0], found[5], found[6], found[8], how) == ("C", "true", "2", "high", "email")
    worst, how = table.describe(["alice", "bob", "carol"])
    assert (worst[0], worst[5], worst[6], how) == ("F", "true", "4", "local_part")
    assert table.describe(["bob", "BOB@example.com"]) == table.find("bob")
    assert table.describe([]) == (NO_USER, "none")


def test_a_listed_user_raises_the_watchlist_even_when_another_is_worse():
    table = table_from_rows(
        [
            {"email": "a@x.com", "safe_grade": "F"},
            {"email": "b@x.com", "safe_grade": "B", "watchlist": "true", "watchlist_count": "3"},
        ]
    )
    found, _how = table.describe(["a@x.com", "b@x.com"])
    assert (found[0], found[5], found[6]) == ("F", "true", "3")


def test_a_csv_table(tmp_path):
    table = read_csv(write_table(tmp_path / "risk.csv"), "example.com")
    assert len(table) == 7
    assert table.find("CORP\\bob")[0][:10] == (
        "F",
        "F",
        "D",
        "F",
        "C",
        "true",
        "4",
        "Sales",
        "critical",
        "1763895601",
    )


def test_a_csv_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "risk.csv"
    path.write_text("email,safe_grade\nbob@example.com,B\n", encoding="utf-8-sig")
    assert read_csv(path).find("bob@example.com")[0][0] == "B"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read the risk table"),
        (b"user,grade\n", "has no 'email' column"),
        (b"email\n\xff\n", "cannot read the risk table"),
    ],
)
def test_an_unreadable_csv_says_which_file_and_why_without_its_path(tmp_path, content, says):
    path = tmp_path / "risk.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TableError, match=says) as raised:
        read_csv(path)
    assert "risk.csv" in str(raised.value) and str(tmp_path) not in str(raised.value)
