"""The risk inputs store each user's priority under the risk policy in force, the administrator's rows
(KV collection mimecast_risk_policy) included, as the searches read it; a policy that cannot be read is one
warning and the shipped policy, never a stopped input. Run through bin/ as splunkd runs it."""

from __future__ import annotations

from collections import Counter

from splunk_app.risk.policy import COLUMNS, shipped
from splunk_app.splunk.admin_tables import POLICY_COLLECTION

INPUT = "mimecast_at_safe_score"


def _common_grade(tenant) -> str:
    grades = Counter(user["risk"] for user in tenant.expected_users() if user["risk"])
    return grades.most_common(1)[0][0]


def _rows(grade: str, priority: str) -> list[dict[str, str]]:
    """The administrator's two rows for `grade`, keyed so that writing them again replaces them."""
    rank = str(shipped().rank(grade))
    return [
        {"_key": f"{grade}-{listed}", **dict(zip(COLUMNS, (grade, listed, rank, priority, "10", "false")))}
        for listed in ("false", "true")
    ]


def _priorities(splunkd) -> dict[str, str]:
    return {email: row["priority"] for email, row in splunkd.table().items()}


def _graded(splunkd, grade: str) -> set[str]:
    return {email for email, row in splunkd.table().items() if row["safe_grade"] == grade}


def test_an_administrators_row_sets_the_stored_priority_and_a_change_reaches_the_next_snapshot(
    splunkd, tenant
):
    grade = _common_grade(tenant)
    other = "low" if shipped().priority(grade) != "low" else "medium"
    splunkd.standin.create_collection(POLICY_COLLECTION, _rows(grade, other))

    assert splunkd.run(INPUT).returncode == 0

    graded = _graded(splunkd, grade)
    stored = _priorities(splunkd)
    assert graded and {stored[email] for email in graded} == {other}
    # The other grades keep the shipped priorities.
    assert all(
        stored[e] == shipped().priority(row["safe_grade"])
        for e, row in splunkd.table().items()
        if e not in graded
    )

    # The administrator changes the row: the rows stored keep the old priority until the next complete
    # snapshot rewrites them (docs/admin-tables.md); each run of this input is one.
    splunkd.standin.create_collection(POLICY_COLLECTION, _rows(grade, "critical"))
    assert {_priorities(splunkd)[email] for email in graded} == {other}
    assert splunkd.run(INPUT).returncode == 0
    assert {_priorities(splunkd)[email] for email in graded} == {"critical"}


def test_a_policy_that_cannot_be_read_is_one_line_and_the_input_runs_under_the_shipped_policy(
    splunkd, tenant
):
    grade = _common_grade(tenant)
    splunkd.standin.create_collection(POLICY_COLLECTION, _rows(grade, "low"))
    splunkd.standin.faults.kvstore_unreadable = POLICY_COLLECTION

    result = splunkd.run(INPUT)

    assert result.returncode == 0, result.stderr
    log = splunkd.log("safe_score")
    about = [line for line in log if POLICY_COLLECTION in line]
    assert len(about) == 1 and "WARNING" in about[0] and "shipped mimecast_risk_policy.csv" in about[0], log
    summaries = [line for line in log if "mc_summary=input" in line]
    assert len(summaries) == 1 and "outcome=success" in summaries[0], log
    table = splunkd.table()
    assert _graded(splunkd, grade)
    assert all(row["priority"] == shipped().priority(row["safe_grade"]) for row in table.values())
