"""What goes wrong between two steps of a containment, run as splunkd runs the actions: a lost or cut
answer after Mimecast applied the add, a KV store that refuses writes, a full audit spool, a rate limit
with an hour to wait. Each is one ERROR line that names what failed and a non-zero exit, and nobody stays
in the group once the sweep has run after the expiry."""

from __future__ import annotations

from devkit.simulator import Faults

from .conftest import CONTAINMENT, GROUP, LEDGER, audit_events, rows_for

ADD, SWEEP = "mimecast_add_to_group", "mimecast_containment_sweep"
SWEEP_SEARCH = {"search_name": "Mimecast Awareness - Containment sweep", "owner": "nobody"}
USERS = tuple(f"u{i}@simulated.example" for i in range(16))
BEFORE = "ann@simulated.example"  # in the group before any action


def _expire_and_sweep(run_action, tenant):
    tenant.faults = Faults()
    tenant.date_offset = 2 * 86400
    return run_action(SWEEP, [], fields=SWEEP_SEARCH)


def _left_for_good(run_action, tenant) -> set[str]:
    swept = _expire_and_sweep(run_action, tenant)
    assert swept.status == 0, swept.lines
    return tenant.group_members(GROUP) - {BEFORE}


def test_lost_answers_after_mimecast_applied_the_add_are_one_error_and_end_on_time(run_action, tenant):
    tenant.add_members(GROUP, [BEFORE])
    tenant.faults = Faults(lost_answers=3, path="/add-group-member")  # the call and both retries

    run = run_action(ADD, rows_for(BEFORE, *USERS), for_days="1")

    assert run.status == 1 and "outcome=partial" in run.summary
    (error,) = run.level("ERROR")
    assert "add_group_member" in error and "HTTP 500" in error and "u15@simulated.example" in error
    assert tenant.group_members(GROUP) == {BEFORE, *USERS}  # applied, though never answered
    assert _left_for_good(run_action, tenant) == set()
    assert tenant.group_members(GROUP) == {BEFORE}


def test_a_cut_answer_then_already_exists_counts_as_added(run_action, splunkd, tenant, splunk_home):
    tenant.faults = Faults(cut_responses=1, path="/add-group-member")  # the retry hears "already exists"

    run = run_action(ADD, rows_for(*USERS), for_days="1")

    assert run.status == 0
    assert run.outcomes() == [(user, "added") for user in USERS]
    assert {doc["state"] for doc in splunkd.collection(CONTAINMENT)} == {"held"}
    assert _left_for_good(run_action, tenant) == set()
    changes = sorted((event["change"], event["user"]) for event in audit_events(splunk_home))
    assert changes == sorted([("added", u) for u in USERS] + [("expired", u) for u in USERS])


def test_a_kv_store_that_refuses_the_intent_records_means_nobody_is_added(run_action, splunkd, tenant):
    splunkd.faults.kvstore_write_errors = 1
    splunkd.faults.kvstore_write_collection = CONTAINMENT

    run = run_action(ADD, rows_for(*USERS), for_days="1")

    assert run.status == 1
    (error,) = run.level("ERROR")
    assert "nothing was added" in error and "KV store collection mimecast_containment" in error
    assert "503" in error and "u0@simulated.example" in error
    assert tenant.group_members(GROUP) == set()
    assert not any(request.path.endswith("/add-group-member") for request in tenant.requests)


def test_a_kv_store_that_refuses_the_confirmations_is_an_error_and_the_sweep_still_ends_it(
    run_action, splunkd, tenant
):
    splunkd.faults.kvstore_write_errors = 1
    splunkd.faults.kvstore_write_collection = CONTAINMENT
    splunkd.faults.kvstore_write_after = 1  # the intent records go through, the confirmations do not

    run = run_action(ADD, rows_for(*USERS), for_days="1")

    assert run.status == 1
    (error,) = run.level("ERROR")
    assert "the containment records of 16 users" in error and "mimecast_containment" in error
    assert {doc["state"] for doc in splunkd.collection(CONTAINMENT)} == {"pending"}
    assert _left_for_good(run_action, tenant) == set()
    assert splunkd.collection(CONTAINMENT) == []


def test_a_full_audit_spool_stops_no_record_and_is_one_error(run_action, splunkd, tenant, splunk_home):
    spool = splunk_home / "var" / "spool" / "splunk" / "ta_mimecast_awareness_audit"
    spool.parent.mkdir(parents=True)
    spool.write_text("not a folder")  # as unwritable as a full disk: every event fails

    run = run_action(ADD, rows_for(*USERS), for_days="1")

    assert run.status == 1
    assert [outcome for _, outcome in run.outcomes()] == ["added"] * len(USERS)
    (error,) = run.level("ERROR")
    assert "audit events of 16 users" in error and str(spool) in error
    assert {doc["state"] for doc in splunkd.collection(CONTAINMENT)} == {"held"}
    spool.unlink()
    assert _left_for_good(run_action, tenant) == set()


def test_a_rate_limit_with_an_hour_to_wait_is_one_error_and_adds_nobody(run_action, splunkd, tenant):
    tenant.faults = Faults(rate_limit_storm=1, storm_reset_ms=3_600_000, path="/add-group-member")

    run = run_action(ADD, rows_for(*USERS), for_days="1")

    assert run.status == 1
    (error,) = run.level("ERROR")
    assert "rate limit" in error and "3600 s" in error and "u0@simulated.example" in error
    assert "interval" not in " ".join(run.lines) and "less often" not in " ".join(run.lines)
    assert tenant.group_members(GROUP) == set()
    assert splunkd.collection(CONTAINMENT) == []
    assert _left_for_good(run_action, tenant) == set()


def test_a_kv_store_that_refuses_the_ledger_is_one_error_and_adds_all_the_same(run_action, splunkd, tenant):
    splunkd.faults.kvstore_write_errors = 1
    splunkd.faults.kvstore_write_collection = LEDGER  # the intents' ledger entries fail, the rest go through

    run = run_action(ADD, rows_for(*USERS), for_days="1")

    assert run.status == 1 and "outcome=partial" in run.summary
    assert run.outcomes() == [(user, "added") for user in USERS]
    (error,) = run.level("ERROR")
    assert "the records' ledger could not be" in error and "mimecast_containment_ledger" in error
    assert "503" in error and "u15@simulated.example" in error
    assert {doc["state"] for doc in splunkd.collection(CONTAINMENT)} == {"held"}
    assert _left_for_good(run_action, tenant) == set()
    assert splunkd.collection(CONTAINMENT) == []


def test_a_sweep_whose_ledger_write_fails_keeps_the_records_and_the_next_one_ends_them(
    run_action, splunkd, tenant, splunk_home
):
    assert run_action(ADD, rows_for(*USERS), for_days="1").status == 0
    tenant.date_offset = 2 * 86400
    splunkd.faults.kvstore_write_errors = 1
    splunkd.faults.kvstore_write_collection = LEDGER

    failed = run_action(SWEEP, [], fields=SWEEP_SEARCH)

    assert failed.status == 1
    (error,) = failed.level("ERROR")
    assert "the records' ledger could not be" in error and "u0@simulated.example" in error
    assert tenant.group_members(GROUP) == set()  # released in Mimecast all the same
    assert len(splunkd.collection(CONTAINMENT)) == len(USERS)
    again = run_action(SWEEP, [], fields=SWEEP_SEARCH)
    assert again.status == 0 and splunkd.collection(CONTAINMENT) == []
    changes = sorted((event["change"], event["user"]) for event in audit_events(splunk_home))
    assert changes == sorted([("added", u) for u in USERS] + [("expired", u) for u in USERS])


def test_a_member_list_cut_to_one_page_without_pagination_adds_nobody_and_keeps_the_member(
    run_action, splunkd, tenant
):
    """A full page of get-group-members without meta.pagination may not be the whole group: a member from
    before on a later page, taken for a new user, would be "added" (Mimecast's "already exists" read as this
    run's add) and removed by the sweep. Who is in the group is unknown, so nobody is added."""
    others = [f"staff{i}@simulated.example" for i in range(500)]
    tenant.add_members(GROUP, [*others, BEFORE])  # BEFORE joined last: on the second page
    tenant.faults = Faults(missing_pagination=True)

    added = run_action(ADD, rows_for(BEFORE), for_days="1")

    assert added.status != 0 and added.outcomes() == [(BEFORE, "failed")]
    assert any("get_group_members" in line for line in added.level("ERROR"))
    assert [doc for doc in splunkd.collection(CONTAINMENT) if not doc["already_member"]] == []
    _expire_and_sweep(run_action, tenant)
    assert BEFORE in tenant.group_members(GROUP)


def test_a_member_list_shorter_than_its_total_adds_nobody_and_keeps_the_member(run_action, splunkd, tenant):
    """get-group-members that says totalCount 501 but gives no next page after 500 members stops short: a
    member from before on the missing page, taken for a new user, would be released by the sweep."""
    others = [f"staff{i}@simulated.example" for i in range(500)]
    tenant.add_members(GROUP, [*others, BEFORE])  # BEFORE joined last: on the second page
    tenant.faults = Faults(lost_next_page=True)

    added = run_action(ADD, rows_for(BEFORE), for_days="1")

    assert added.status != 0 and added.outcomes() == [(BEFORE, "failed")]
    (error,) = added.level("ERROR")
    assert "get_group_members" in error and "501" in error
    assert [doc for doc in splunkd.collection(CONTAINMENT) if not doc["already_member"]] == []
    _expire_and_sweep(run_action, tenant)
    assert BEFORE in tenant.group_members(GROUP)
