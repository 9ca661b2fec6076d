"""Whose clock and whose records the containment believes, run as splunkd runs the actions: Mimecast's
clock (the Date of its answers) times every containment whatever this host's clock says; a record the
add-on did not write moves nobody; a revert releases only the users whose latest containment its run was;
Max users bounds the sweep; an add with for_days says so when the sweep is not scheduled."""

from __future__ import annotations

import time

import pytest

from .conftest import CONTAINMENT, GROUP, rows_for

ADD, SWEEP = "mimecast_add_to_group", "mimecast_containment_sweep"
SWEEP_SEARCH = {"search_name": "Mimecast Awareness - Containment sweep", "owner": "nobody"}
ANN, BOB, CY = "ann@simulated.example", "bob@simulated.example", "cy@simulated.example"
DAY = 86400


def _shift(days: float) -> dict[str, str]:
    return {"DEVKIT_CLOCK_SHIFT": str(days * DAY)}


def _sweep(run_action, inject=None, **configuration):
    return run_action(SWEEP, [], fields=SWEEP_SEARCH, inject=inject, **configuration)


@pytest.mark.parametrize("host_days", [8, -8, 30, -30])
def test_a_host_clock_that_steps_neither_shortens_nor_lengthens_a_containment(
    run_action, splunkd, tenant, host_days
):
    added = run_action(ADD, rows_for(ANN), for_days="7", inject=_shift(host_days))
    assert added.status == 0
    assert any("host's clock is" in line and "Mimecast's" in line for line in added.level("WARNING"))
    record = splunkd.collection(CONTAINMENT)[0]
    assert abs(record["expires_at"] - record["added_at"] - 7 * DAY) < 1

    tenant.date_offset = 6 * DAY  # six days on by Mimecast's clock: not due, whatever the host says
    early = _sweep(run_action, _shift(host_days))
    assert early.outcomes() == [] and tenant.group_members(GROUP) == {ANN}
    assert any("host's clock is" in line for line in early.level("WARNING"))

    tenant.date_offset = 7.1 * DAY  # due by Mimecast's clock
    on_time = _sweep(run_action, _shift(-host_days))
    assert on_time.outcomes() == [(ANN, "expired")] and tenant.group_members(GROUP) == set()


def test_a_record_stamped_in_the_future_is_held_no_longer_than_its_days_from_first_sight(
    run_action, splunkd, tenant
):
    tenant.date_offset = None  # answers without a Date: the host's clock, 30 days ahead, stamps the record
    added = run_action(ADD, rows_for(ANN), for_days="7", inject=_shift(30))
    assert any("no readable Date" in line for line in added.level("WARNING"))
    assert splunkd.collection(CONTAINMENT)[0]["added_at"] > tenant_now() + 29 * DAY

    tenant.date_offset = 0.0
    seen = _sweep(run_action)
    (warning,) = [line for line in seen.level("WARNING") if "stamped in the future" in line]
    assert "held no longer than its 7 days" in warning
    record = splunkd.collection(CONTAINMENT)[0]
    assert abs(record["expires_at"] - tenant_now() - 7 * DAY) < 60

    tenant.date_offset = 7.1 * DAY
    assert _sweep(run_action).outcomes() == [(ANN, "expired")]
    assert tenant.group_members(GROUP) == set()


def tenant_now() -> float:
    """The simulated tenant's clock with date_offset 0: this test process's own (never shifted)."""
    return time.time()


def test_forged_records_move_nobody(run_action, splunkd, tenant):
    tenant.add_members(GROUP, [BOB, CY])  # people in the group that no action put there
    run_action(ADD, rows_for(ANN), for_days="1")
    genuine = splunkd.collection(CONTAINMENT)[0]
    forged = [
        # written with outputlookup: no MAC at all
        {**genuine, "_key": f"prod|{genuine['group_id']}|{BOB}", "user": BOB, "mac": ""},
        # a real record copied onto another user: the MAC does not cover them
        {**genuine, "_key": f"prod|{genuine['group_id']}|{CY}", "user": CY},
    ]
    splunkd.create_collection(CONTAINMENT, forged)
    # and the real one turned into a member from before, so that it would never end
    splunkd.create_collection(CONTAINMENT, [{**genuine, "already_member": True}])
    tenant.date_offset = 2 * DAY

    swept = _sweep(run_action)

    assert swept.outcomes() == []
    assert tenant.group_members(GROUP) == {ANN, BOB, CY}
    warnings = " ".join(swept.level("WARNING"))
    assert all(f"{doc['_key']}' fails its MAC check" in warnings for doc in forged)
    assert f"prod|{genuine['group_id']}|{ANN}' fails its MAC check" in warnings


def test_a_revert_releases_only_where_its_run_is_the_latest_containment(run_action, splunkd, tenant):
    run_action(ADD, rows_for(ANN, BOB), for_days="7")
    first_sid = splunkd.collection(CONTAINMENT)[0]["sid"]
    run_action(ADD, rows_for(BOB), for_days="7")  # a later alert: Bob's latest containment is its own

    revert = _sweep(run_action, revert_sid=first_sid)

    assert revert.outcomes() == [(ANN, "reverted")]
    assert tenant.group_members(GROUP) == {BOB}
    assert [doc["user"] for doc in splunkd.collection(CONTAINMENT)] == [BOB]


def test_max_users_bounds_the_sweep(run_action, splunkd, tenant):
    run_action(ADD, rows_for(ANN, BOB, CY), for_days="1")
    tenant.date_offset = 2 * DAY

    first = _sweep(run_action, max_users="2")
    second = _sweep(run_action, max_users="2")

    assert [outcome for _, outcome in first.outcomes()] == ["expired", "expired"]
    assert any("more than max_users=2" in line for line in first.level("WARNING"))
    assert [outcome for _, outcome in second.outcomes()] == ["expired"]
    assert tenant.group_members(GROUP) == set()


def test_an_add_for_days_says_so_when_the_sweep_is_not_scheduled(run_action, splunkd, tenant):
    splunkd.set_conf("savedsearches", SWEEP_SEARCH["search_name"], {"disabled": "1", "enableSched": "1"})

    run = run_action(ADD, rows_for(ANN), for_days="3")

    assert run.status == 0 and run.outcomes() == [(ANN, "added")]
    assert any("sweep" in line and "is not scheduled" in line for line in run.level("WARNING"))
    splunkd.set_conf("savedsearches", SWEEP_SEARCH["search_name"], {"disabled": "0"})
    scheduled = run_action(ADD, rows_for(BOB), for_days="3")
    assert not any("not scheduled" in line for line in scheduled.lines)


def test_a_sweep_max_users_that_is_not_a_whole_number_is_refused_and_nobody_moves(run_action, tenant):
    run_action(ADD, rows_for(ANN), for_days="1")
    tenant.date_offset = 2 * DAY

    refused = _sweep(run_action, max_users="１２")

    assert refused.status == 2 and "outcome=failed" in refused.summary
    (error,) = refused.level("ERROR")
    assert "max_users='１２' is not a whole number of at least 1" in error
    assert tenant.group_members(GROUP) == {ANN}


def test_a_revert_past_max_users_says_to_revert_again_and_reverting_again_ends_it(
    run_action, splunkd, tenant
):
    run_action(ADD, rows_for(ANN, BOB, CY), for_days="7")
    sid = splunkd.collection(CONTAINMENT)[0]["sid"]

    first = _sweep(run_action, revert_sid=sid, max_users="2")

    assert [outcome for _, outcome in first.outcomes()] == ["reverted", "reverted"]
    (warning,) = [line for line in first.level("WARNING") if "max_users=2" in line]
    assert "revert the run again" in warning and "next sweep" not in warning
    assert _sweep(run_action).outcomes() == []  # the scheduled sweep reverts nothing
    second = _sweep(run_action, revert_sid=sid, max_users="2")
    assert [outcome for _, outcome in second.outcomes()] == ["reverted"]
    assert tenant.group_members(GROUP) == set()
