"""The risk policy table: read once, checked row by row, and the only source of grade rank, ES priority,
ES risk score and who counts as risky."""

from __future__ import annotations

import pytest

from devkit import splunkd
from splunk_app.risk.policy import (
    POLICY_FILE,
    PolicyError,
    Rule,
    app_root,
    grade_name,
    read_policy,
    shipped,
)
from splunk_app.risk.table import priority_for, risk_rank, table_from_rows
from splunk_app.splunk.risk_store import risky_query

HEADER = "grade,watchlist,rank,priority,risk_score,risky\n"
SMALL = HEADER + "A,false,1,low,0,false\nA,true,1,low,20,true\nunknown,false,0,unknown,0,false\n"
SMALL += "unknown,true,0,unknown,20,true\n"


def test_the_shipped_table_is_the_apps_lookup():
    assert (app_root() / "lookups" / POLICY_FILE).is_file()
    policy = shipped()
    assert [(grade, policy.rank(grade), policy.priority(grade)) for grade in policy.grades()] == [
        ("A", 1, "low"),
        ("B", 2, "medium"),
        ("C", 3, "high"),
        ("D", 4, "critical"),
        ("F", 5, "critical"),
    ]


@pytest.mark.parametrize("grade", [None, "", "  ", "unknown", "X", "e"])
def test_no_grade_follows_the_unknown_row(grade):
    assert shipped().rule(grade) == Rule(0, "unknown", 0, False, 0, 20)
    assert shipped().rule(grade, True) == Rule(0, "unknown", 20, True, 30, 40)
    assert priority_for(grade) == "unknown"


def test_grades_are_read_in_any_case_and_the_table_priority_and_rank_come_from_it():
    assert shipped().rule(" d ", False) == Rule(4, "critical", 60, True, 40, 50)
    table = table_from_rows([{"email": "a@x.com", "safe_grade": "c"}])
    profile, _how = table.find("a@x.com")
    assert profile[8] == "high"
    assert risk_rank(profile)[0] == 3


def test_a_changed_policy_changes_who_the_training_input_pulls(tmp_path):
    path = tmp_path / POLICY_FILE
    rows = SMALL.replace("A,true,1,low,20,true", "A,true,1,low,20,false") + "F,false,5,high,80,true\n"
    path.write_text(rows + "F,true,5,high,100,true\n", encoding="utf-8")
    policy = read_policy(path)
    unnamed = [{"safe_grade": {"$ne": "A"}}, {"safe_grade": {"$ne": "F"}}]
    assert risky_query(policy) == {"$or": [{"safe_grade": "F"}, {"$and": [*unnamed, {"watchlist": "true"}]}]}
    assert risky_query(shipped()) == {
        "$or": [{"watchlist": "true"}, {"safe_grade": "D"}, {"safe_grade": "F"}]
    }


def test_a_grade_the_policy_does_not_name_is_as_risky_as_its_unknown_row(tmp_path):
    """Who the training input pulls, by the KV store query semantics of the splunkd stand-in: a user graded E
    (Mimecast adding a grade) or not graded counts as risky when the unknown row says so."""
    path = tmp_path / POLICY_FILE
    path.write_text(SMALL.replace("unknown,false,0,unknown,0,false", "unknown,false,0,unknown,0,true"))
    users = {"a": {"safe_grade": "A"}, "e": {"safe_grade": "E"}, "none": {"safe_grade": ""}, "gone": {}}
    query = risky_query(read_policy(path))
    assert {user for user, doc in users.items() if splunkd._matches(doc, query)} == {"e", "none", "gone"}
    shipped_query = risky_query(shipped())
    listed = {user: {**doc, "watchlist": "true"} for user, doc in users.items()}
    assert not any(splunkd._matches(doc, shipped_query) for doc in users.values())
    assert all(splunkd._matches(doc, shipped_query) for doc in listed.values())


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("grade,rank\nA,1\n", "has no watchlist, priority, risk_score, risky column"),
        (SMALL + "B,false,2,urgent,20,false\n", "row 6: priority must be one of"),
        (SMALL + "B,false,two,medium,20,false\n", "row 6: rank and the risk scores must be whole numbers"),
        (SMALL + "B,false,2,medium,20,maybe\n", "row 6: watchlist and risky must be true or false"),
        (SMALL + "B,false,2,medium,-5,false\n", "row 6: rank must be 0 to 100"),
        (SMALL + "a,false,1,low,0,false\n", "row 6: a second row for A off the watch list"),
        (SMALL + ",false,2,medium,20,false\n", "row 6: grade must be a letter"),
        (SMALL + "=B,false,2,medium,20,false\n", "row 6: grade must be a letter"),
        (SMALL + "B C,false,2,medium,20,false\n", "row 6: grade must be a letter"),
        (SMALL + "B" * 17 + ",false,2,medium,20,false\n", "row 6: grade must be a letter"),
        (SMALL + "B,false,2,medium,20,false\n", "needs a row for B on the watch list"),
        (SMALL.replace("unknown,true,0,unknown,20,true\n", ""), "needs a row for unknown on the watch list"),
        (
            SMALL.replace("A,true,1,low", "A,true,2,low"),
            "grade A has another rank or priority on the watch list",
        ),
    ],
)
def test_a_bad_policy_table_is_refused_naming_the_row(tmp_path, text, says):
    path = tmp_path / POLICY_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=says) as raised:
        read_policy(path)
    assert str(tmp_path) not in str(raised.value)


def test_one_rule_says_what_a_grade_looks_like_for_the_policy_and_for_mimecast(tmp_path):
    """A policy row may name any grade Mimecast's values can hold (E, B+), and no other."""
    assert [grade_name(v) for v in ("e", " B+\t", "A-", "C1", "UNKNOWN")] == [
        "E",
        "B+",
        "A-",
        "C1",
        "UNKNOWN",
    ]
    assert [grade_name(v) for v in ("", "-B", "B C", "B" * 17, "=1", "Ä", None, 3)] == [""] * 8
    path = tmp_path / POLICY_FILE
    path.write_text(SMALL + "B+,false,2,medium,20,false\nB+,true,2,medium,40,true\n", encoding="utf-8")
    assert read_policy(path).grades() == ["A", "B+"]


def test_a_table_from_before_the_change_and_phishing_scores_reads_and_scores_them_0(tmp_path):
    path = tmp_path / POLICY_FILE
    path.write_text(SMALL, encoding="utf-8")
    assert read_policy(path).rule("A", True) == Rule(1, "low", 20, True, 0, 0)
    path.write_text(
        HEADER.replace("\n", ",change_risk_score\n") + SMALL[len(HEADER) :].replace("\n", ",x\n"),
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="row 2: rank and the risk scores must be whole numbers"):
        read_policy(path)


def test_an_unreadable_policy_says_so_without_its_path(tmp_path):
    with pytest.raises(PolicyError, match=r"cannot read mimecast_risk_policy\.csv") as raised:
        read_policy(tmp_path / "absent.csv")
    assert str(tmp_path) not in str(raised.value)
