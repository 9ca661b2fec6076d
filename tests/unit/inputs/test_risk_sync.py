"""The risk table: each input writes its own columns, keeps the others', and handles users that a
complete snapshot no longer holds."""

from __future__ import annotations

import pytest

from splunk_app.inputs.catalogue import by_name
from splunk_app.risk import sync as risk_sync
from splunk_app.risk.policy import GRADE_LENGTH, shipped
from splunk_app.risk.table import FIELDS

from .fakes import MemoryStore

NOW = 1795001400.0


def columns(data_set):
    return by_name(data_set).risk


def rows(data_set, records):
    return sorted(
        (risk_sync.row_from(columns(data_set), r, NOW) for r in records), key=lambda row: row["_key"]
    )


def test_rows_hold_the_data_sets_own_columns():
    (row,) = rows(
        "safe_score", [{"emailAddress": "A@X.com", "risk": "d", "humanError": "", "userState": "ACTIVE"}]
    )
    assert row["_key"] == row["email"] == "a@x.com"
    assert row["safe_grade"] == "D" and row["human_error"] == "" and row["updated"] == int(NOW)
    (row,) = rows("watchlist", [{"email": "a@x.com", "watchlistCount": "3"}])
    assert row["watchlist"] == "true" and row["watchlist_count"] == 3
    assert risk_sync.row_from(columns("performance"), {"name": "no email"}, NOW) is None


def test_a_column_that_cannot_be_read_stays_empty_with_one_warning_naming_the_user(caplog):
    record = {"emailAddress": "a@x.com", "risk": float("inf"), "humanError": "B", "knowledge": {"x": 1}}
    with caplog.at_level("WARNING"):
        (row,) = rows("safe_score", [record])
    assert (row["safe_grade"], row["human_error"], row["knowledge"]) == ("", "B", "")
    assert [r.message.split(" (")[0] for r in caplog.records] == [
        "risk table: safe_grade of user a@x.com cannot be read",
        "risk table: knowledge of user a@x.com cannot be read",
    ]
    (row,) = rows("performance", [{"email": "b@x.com", "numCorrect": float("inf"), "numIncorrect": "x1"}])
    assert (row["num_correct"], row["num_incorrect"], row["num_not_watched"]) == ("", "", "")


def test_the_three_inputs_do_not_clobber_each_other():
    store = MemoryStore()
    risk_sync.sync(
        store,
        rows("safe_score", [{"emailAddress": "a@x.com", "risk": "F"}]),
        columns("safe_score"),
        NOW,
        True,
    )
    risk_sync.sync(
        store, rows("watchlist", [{"email": "a@x.com", "watchlistCount": 2}]), columns("watchlist"), NOW, True
    )
    performance = [{"email": "a@x.com", "numCorrect": 4, "numIncorrect": 1, "numNotWatched": 0}]
    risk_sync.sync(store, rows("performance", performance), columns("performance"), NOW, True)
    row = store.rows["a@x.com"]
    assert set(FIELDS) <= set(row)
    assert (row["safe_grade"], row["priority"], row["watchlist"], row["watchlist_count"]) == (
        "F",
        "critical",
        "true",
        2,
    )
    assert (row["num_correct"], row["num_incorrect"]) == (4, 1)


def test_a_complete_safe_score_snapshot_removes_users_it_no_longer_holds():
    store = MemoryStore()
    everyone = [{"emailAddress": f"u{i}@x.com", "risk": "B"} for i in range(10)]
    risk_sync.sync(store, rows("safe_score", everyone), columns("safe_score"), NOW, True)
    result = risk_sync.sync(store, rows("safe_score", everyone[::2]), columns("safe_score"), NOW, True)
    assert sorted(store.rows) == sorted(f"u{i}@x.com" for i in range(0, 10, 2))
    assert result.removed == 5


def test_a_complete_watch_list_takes_users_off_the_list_but_keeps_their_row():
    store = MemoryStore()
    risk_sync.sync(
        store,
        rows("safe_score", [{"emailAddress": "a@x.com", "risk": "A"}]),
        columns("safe_score"),
        NOW,
        True,
    )
    risk_sync.sync(
        store, rows("watchlist", [{"email": "a@x.com", "watchlistCount": 2}]), columns("watchlist"), NOW, True
    )
    risk_sync.sync(store, [], columns("watchlist"), NOW, True)
    row = store.rows["a@x.com"]
    assert (row["watchlist"], row["watchlist_count"], row["safe_grade"]) == ("false", 0, "A")


def test_a_filtered_snapshot_removes_nobody():
    store = MemoryStore()
    everyone = [{"emailAddress": f"u{i}@x.com", "risk": "B"} for i in range(6)]
    risk_sync.sync(store, rows("safe_score", everyone), columns("safe_score"), NOW, True)
    risk_sync.sync(
        store,
        rows("watchlist", [{"email": "u1@x.com", "watchlistCount": 1}]),
        columns("watchlist"),
        NOW,
        False,
    )
    assert len(store.rows) == 6


def test_new_users_inserted_while_the_table_is_read_page_by_page_are_neither_lost_nor_doubled():
    store = MemoryStore(page=2)
    existing = [{"emailAddress": f"u{i:02d}@x.com", "risk": "B"} for i in range(0, 20, 2)]
    risk_sync.sync(store, rows("safe_score", existing), columns("safe_score"), NOW, True)
    everyone = [{"emailAddress": f"u{i:02d}@x.com", "risk": "C"} for i in range(20)]
    result = risk_sync.sync(store, rows("safe_score", everyone), columns("safe_score"), NOW, True)
    assert result.saved == 20 and result.removed == 0
    assert sorted(store.rows) == sorted(f"u{i:02d}@x.com" for i in range(20))
    assert {row["safe_grade"] for row in store.rows.values()} == {"C"}


def test_the_spool_reads_back_in_key_order_last_row_winning(tmp_path, monkeypatch):
    monkeypatch.setattr(risk_sync, "SPOOL_BATCH", 3)
    spool = risk_sync.Spool(str(tmp_path), "in-risk-")
    for key, value in [("d", 1), ("b", 1), ("a", 1), ("c", 1), ("b", 2), ("e", 1), ("a", 3), ("é", 1)]:
        spool.add({"_key": key, "v": value})
    assert [(row["_key"], row["v"]) for row in spool.rows()] == [
        ("a", 3),
        ("b", 2),
        ("c", 1),
        ("d", 1),
        ("e", 1),
        ("é", 1),
    ]
    assert spool.count == 8
    spool.close()
    assert list(tmp_path.iterdir()) == []


def test_a_killed_runs_spool_is_discarded_by_the_next_run(tmp_path):
    killed = risk_sync.Spool(str(tmp_path), "in-risk-")
    killed.add({"_key": "old", "v": 1})
    killed.rows()  # flushed to its file, and never closed: the run died here
    other = risk_sync.Spool(str(tmp_path), "other-risk-")
    other.add({"_key": "theirs", "v": 1})
    assert [row["_key"] for row in risk_sync.Spool(str(tmp_path), "in-risk-").rows()] == []
    assert [row["_key"] for row in other.rows()] == ["theirs"]


def test_a_lone_surrogate_reaches_the_table_as_a_replacement_character(tmp_path):
    (row,) = rows("watchlist", [{"email": "a@x.com", "name": "Ann \ud800", "watchlistCount": 1}])
    assert row["name"] == "Ann \ufffd"
    spool = risk_sync.Spool(str(tmp_path), "in-risk-")
    spool.add(row)  # the spool and the KV store keep UTF-8
    assert [r["name"] for r in spool.rows()] == ["Ann \ufffd"]
    spool.close()


def synced(store, data_set, records, remove_missing=True):
    """One complete snapshot of `data_set` synced into `store`: the changes it reported, in key order."""
    heard: list[risk_sync.Change] = []
    result = risk_sync.sync(
        store, rows(data_set, records), columns(data_set), NOW, remove_missing, changed=heard.append
    )
    assert result.changed == len(heard)
    return heard


def change(user, what, grades=("", ""), listed=("", "")):
    return risk_sync.Change(user, what, grades[0], grades[1], listed[0], listed[1])


def graded(**grades):
    return [{"emailAddress": f"{user}@x.com", "risk": grade} for user, grade in grades.items()]


def listed(**counts):
    return [{"email": f"{user}@x.com", "watchlistCount": count} for user, count in counts.items()]


def test_the_first_fill_by_the_three_inputs_in_any_order_reports_no_change():
    store = MemoryStore()
    assert synced(store, "watchlist", listed(b=2)) == []
    assert synced(store, "safe_score", graded(a="A", b="D", c="F")) == []
    assert synced(store, "performance", [{"email": "d@x.com", "numCorrect": 1}], remove_missing=False) == []
    assert synced(store, "watchlist", listed(b=2, c=1)) == []  # c's watch-list status was never reported
    assert (store.rows["c@x.com"]["watchlist"], store.rows["a@x.com"]["watchlist_count"]) == ("true", 0)


def test_a_grade_drop_a_watch_list_join_and_a_user_leaving_are_each_one_change():
    store = MemoryStore()
    synced(store, "safe_score", graded(a="B", b="C", c="A"))
    synced(store, "watchlist", listed(b=1))
    assert synced(store, "safe_score", graded(a="D", b="C")) == [
        change("a@x.com", "grade", ("B", "D"), ("false", "false")),
        change("c@x.com", "left", ("A", ""), ("false", "")),
    ]
    assert synced(store, "watchlist", listed(a=3, b=1)) == [
        change("a@x.com", "watchlist", ("D", "D"), ("false", "true"))
    ]
    assert synced(store, "watchlist", listed(a=4)) == [
        change("b@x.com", "watchlist", ("C", "C"), ("true", "false"))
    ]
    assert synced(store, "safe_score", graded(a="D", b="C")) == []


def test_a_grade_that_goes_missing_or_cannot_be_read_is_no_change_and_its_return_neither():
    store = MemoryStore()
    synced(store, "safe_score", graded(a="B", b="B"))
    assert synced(store, "safe_score", graded(a="", b="=cmd|' /C calc'!A0")) == []
    assert (store.rows["a@x.com"]["safe_grade"], store.rows["b@x.com"]["safe_grade"]) == ("", "")
    assert synced(store, "safe_score", graded(a="C", b="B")) == []
    assert synced(store, "safe_score", graded(a="D", b="B")) == [
        change("a@x.com", "grade", ("C", "D"), ("", ""))
    ]


def test_a_grade_the_policy_does_not_name_is_kept_and_a_change_once():
    """Mimecast adding E: moving from B into it is a real change, the same E again is none, and back out of
    it is one more."""
    store = MemoryStore()
    synced(store, "safe_score", graded(a="B", b="B"))
    assert synced(store, "safe_score", graded(a=" e ", b="B")) == [
        change("a@x.com", "grade", ("B", "E"), ("", ""))
    ]
    assert store.rows["a@x.com"]["safe_grade"] == "E"
    assert store.rows["a@x.com"]["priority"] == shipped().priority(None)
    assert synced(store, "safe_score", graded(a="E", b="B")) == []
    assert synced(store, "safe_score", graded(a="D", b="B")) == [
        change("a@x.com", "grade", ("E", "D"), ("", ""))
    ]


@pytest.mark.parametrize("sent", ["E", "b+", "A-", "\tC1 ", "X" * GRADE_LENGTH, "unknown"])
def test_what_looks_like_a_grade_is_kept_in_upper_case(sent):
    assert risk_sync.grade(sent) == sent.strip(" \t").upper()


@pytest.mark.parametrize(
    "sent",
    [
        "X" * (GRADE_LENGTH + 1),
        "-B",
        "+1",
        "=A1",
        "@A",
        "|B",
        "A B",
        "A|B",
        "A,B",
        'A"',
        "Ä",
        "1",
        "B\n",
        5,
        4.0,
        True,
        ["A"],
        {"grade": "A"},
    ],
)
def test_what_does_not_look_like_a_grade_is_unreadable(sent):
    with pytest.raises(risk_sync.Unreadable, match="is not a SAFE grade"):
        risk_sync.grade(sent)


def test_a_watch_list_count_that_is_not_a_number_still_says_the_user_is_on_the_list():
    store = MemoryStore()
    synced(store, "safe_score", graded(a="B"))
    synced(store, "watchlist", listed(z=1))
    assert synced(store, "watchlist", listed(a="many", z=1)) == [
        change("a@x.com", "watchlist", ("B", "B"), ("false", "true"))
    ]
    assert store.rows["a@x.com"]["watchlist_count"] == ""
    assert synced(store, "watchlist", listed(a="lots", z=1)) == []


def test_an_emptied_snapshot_is_one_warning_and_removes_nobody(caplog):
    store = MemoryStore()
    synced(store, "safe_score", graded(**{f"u{i}": "B" for i in range(8)}))
    with caplog.at_level("WARNING"):
        assert synced(store, "safe_score", []) == []
        assert synced(store, "performance", []) == []
    assert len(store.rows) == 8
    assert [r.message.split(";")[0] for r in caplog.records] == [
        "risk table: a complete snapshot held no users"
    ] * 2
    assert synced(MemoryStore(), "safe_score", []) == []  # an empty table stays empty, quietly
