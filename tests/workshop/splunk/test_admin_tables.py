"""Where the administrator's tables come from (splunkd stand-in): the KV store collections an upgrade keeps,
the shipped CSV files as the default."""

from __future__ import annotations

import pytest

from splunk_app.risk import identity, policy
from splunk_app.risk.policy import COLUMNS, PolicyError, shipped
from splunk_app.risk.table import COLLECTION
from splunk_app.splunk import admin_tables
from splunk_app.splunk.admin_tables import (
    ALIAS_COLLECTION,
    POLICY_COLLECTION,
    follow_policy,
    load_aliases,
    load_policy,
)
from splunk_app.splunk.risk_store import KVRiskStore


@pytest.fixture(autouse=True)
def _shipped_policy_in_force():
    """load_policy puts its policy in force for the process: each test starts and ends with the shipped."""
    policy.enforce(shipped(), "")
    yield
    policy.enforce(shipped(), "")


@pytest.fixture
def app(tmp_path):
    (tmp_path / "lookups").mkdir()
    (tmp_path / "lookups" / identity.ALIAS_FILE).write_text("alias,email\nCORP\\jdoe,jane@example.com\n")
    return tmp_path


def test_the_collections_rows_are_the_alias_table(splunkd, service, app):
    splunkd.create_collection(
        ALIAS_COLLECTION, [{"_key": "a", "alias": "CORP\\jd", "email": "jane@example.com"}]
    )
    warnings: list[str] = []

    aliases = load_aliases(service, app, warnings.append)

    assert aliases.users == {"corp\\jd": "jane@example.com"} and warnings == []


@pytest.mark.parametrize("collection", ["empty", "missing", "no service"])
def test_without_rows_the_csv_is_the_alias_table(splunkd, service, app, collection):
    if collection == "empty":
        splunkd.create_collection(ALIAS_COLLECTION, [])

    aliases = load_aliases(None if collection == "no service" else service, app, pytest.fail)

    assert aliases.users == {"corp\\jdoe": "jane@example.com"}


def test_a_collection_that_cannot_be_read_is_one_warning_and_the_csv(splunkd, service, app):
    splunkd.create_collection(ALIAS_COLLECTION, [{"_key": "a", "alias": "x", "email": "x@example.com"}])
    splunkd.faults.kvstore_unavailable = True
    warnings: list[str] = []

    aliases = load_aliases(service, app, warnings.append)

    assert warnings == [
        "the KV store collection mimecast_identity_aliases cannot be read (splunkd answered 503); "
        "the aliases of mimecast_identity_aliases.csv are used"
    ]
    assert aliases.users == {"corp\\jdoe": "jane@example.com"}


def test_a_bad_row_is_named_by_the_collection_and_the_read_is_bounded(splunkd, service, app, monkeypatch):
    monkeypatch.setattr(identity, "MAX_ALIAS_ROWS", 3)
    monkeypatch.setattr(admin_tables, "MAX_ALIAS_ROWS", 3)
    rows = [{"_key": f"{n:02d}", "alias": f"user{n}", "email": f"user{n}@example.com"} for n in range(2500)]
    rows[0] = {"_key": "00", "alias": "nobody"}
    splunkd.create_collection(ALIAS_COLLECTION, rows)
    warnings: list[str] = []

    aliases = load_aliases(service, app, warnings.append)

    assert warnings == [
        "the KV store collection mimecast_identity_aliases row 2: it needs both an alias and an email; "
        "the row is ignored",
        "the alias table has more than 3 rows; the rest are ignored",
    ]
    assert len(aliases) == 2
    reads = [request for request in splunkd.requests if ALIAS_COLLECTION in request.path]
    assert len(reads) == 1  # one page of 1,000 holds the 4 rows read: the other pages are never asked for


def test_the_policy_is_the_shipped_one_without_rows_and_changes_with_them(splunkd, service):
    assert load_policy(service) is shipped() and policy.stamp()[-1] == ""  # no collection at all
    splunkd.create_collection(POLICY_COLLECTION, [])
    assert load_policy(service) is shipped()
    before = policy.stamp()
    rows = [dict(zip(COLUMNS, ("B", listed, "2", "high", "30", listed))) for listed in ("false", "true")]
    splunkd.create_collection(POLICY_COLLECTION, rows)

    changed = load_policy(service)

    # Rows written without the ES detection scores keep the shipped row's, as the policy macro's lookups do.
    b = shipped().rule("B")
    assert changed.rule("b") == policy.Rule(2, "high", 30, False, b.change_risk_score, b.phish_risk_score)
    assert changed.rule("A") == shipped().rule("A")
    assert policy.in_force() is changed  # what the risk table's priorities and ranks follow
    assert policy.stamp() != before  # so a prepared copy of the table made under the old policy is rebuilt


def test_the_training_input_pulls_the_users_the_administrators_policy_counts_as_risky(splunkd, service):
    users = [("a@example.com", "A", False), ("c@example.com", "C", False), ("d@example.com", "D", False)]
    splunkd.create_collection(
        COLLECTION,
        [{"_key": e, "email": e, "safe_grade": g, "watchlist": w} for e, g, w in users],
    )
    assert sorted(KVRiskStore(service).training_users(follow_policy(service, print))) == ["d@example.com"]
    rows = [dict(zip(COLUMNS, ("C", listed, "3", "high", "40", "true"))) for listed in ("false", "true")]
    splunkd.create_collection(POLICY_COLLECTION, rows)

    found = KVRiskStore(service).training_users(follow_policy(service, print))
    assert sorted(found) == ["c@example.com", "d@example.com"]


@pytest.mark.parametrize(
    ("grade", "listed"), [("d", "false"), (" D", "false"), ("unknown", "true"), ("D", "True"), ("D", "1")]
)
def test_a_row_the_searches_would_not_match_as_python_does_is_refused(splunkd, service, grade, listed):
    splunkd.create_collection(
        POLICY_COLLECTION, [dict(zip(COLUMNS, (grade, listed, "4", "critical", "60", "true")))]
    )

    with pytest.raises(PolicyError, match=r"mimecast_risk_policy row 2: write grade in capitals"):
        load_policy(service)


@pytest.mark.parametrize("broken", ["unreadable", "unusable"])
def test_a_writer_follows_the_shipped_policy_with_one_warning_when_the_rows_cannot_be_used(
    splunkd, service, broken
):
    rows = [dict(zip(COLUMNS, ("D", listed, "4", "low", "60", "true"))) for listed in ("false", "true")]
    splunkd.create_collection(POLICY_COLLECTION, rows)
    load_policy(service)  # an earlier administrator's policy in force: the failure does not keep it
    if broken == "unreadable":
        splunkd.faults.kvstore_unavailable = True
    else:
        splunkd.create_collection(POLICY_COLLECTION, [{**rows[0], "priority": "urgent"}])
    warnings: list[str] = []

    assert follow_policy(service, warnings.append) is shipped()

    assert policy.in_force() is shipped()
    assert len(warnings) == 1 and "shipped mimecast_risk_policy.csv" in warnings[0], warnings
    assert ("503" if broken == "unreadable" else "priority must be one of") in warnings[0]
