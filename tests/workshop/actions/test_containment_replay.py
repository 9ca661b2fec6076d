"""Records the add-on did write, put back later by someone who may write the collection (`inputlookup` a
copy today, `outputlookup` it back next week), run as splunkd runs the actions: the copy still carries a
valid MAC, but the ledger knows a newer generation of that record, so the sweep moves nobody by it."""

from __future__ import annotations

import requests

from splunk_app import APP_ID

from .conftest import CONTAINMENT, GROUP, LEDGER, rows_for

ADD, SWEEP = "mimecast_add_to_group", "mimecast_containment_sweep"
SWEEP_SEARCH = {"search_name": "Mimecast Awareness - Containment sweep", "owner": "nobody"}
ANN, BOB, CY = "ann@simulated.example", "bob@simulated.example", "cy@simulated.example"
DAY = 86400


def _sweep(run_action):
    return run_action(SWEEP, [], fields=SWEEP_SEARCH)


def test_a_released_containment_put_back_does_not_remove_a_member_added_since(run_action, splunkd, tenant):
    assert run_action(ADD, rows_for(ANN), for_days="1").status == 0
    (copy,) = splunkd.collection(CONTAINMENT)
    tenant.date_offset = 2 * DAY
    assert _sweep(run_action).outcomes() == [(ANN, "expired")]
    tenant.add_members(GROUP, [ANN])  # an administrator puts her in the group by hand, for good
    splunkd.create_collection(CONTAINMENT, [copy, {**copy, "_key": f"prod|{copy['group_id']}|x"}])

    swept = _sweep(run_action)

    assert swept.status == 0 and swept.outcomes() == []
    assert tenant.group_members(GROUP) == {ANN}
    warnings = " ".join(swept.level("WARNING"))
    assert f"{copy['_key']}' was written by the add-on but is not its latest" in warnings
    assert "released already" in warnings
    assert f"prod|{copy['group_id']}|x' in the KV store collection mimecast_containment is not" in warnings
    # the released copy is dropped (it would be on the health panel for ever); the one under a wrong key
    # is left alone for an administrator to read
    assert [doc["_key"] for doc in splunkd.collection(CONTAINMENT)] == [f"prod|{copy['group_id']}|x"]


def test_an_extended_containment_put_back_at_its_first_version_is_not_cut_short(run_action, splunkd, tenant):
    assert run_action(ADD, rows_for(BOB), for_days="1").status == 0
    (first,) = splunkd.collection(CONTAINMENT)
    assert run_action(ADD, rows_for(BOB), for_days="10").status == 0  # a later alert extends it
    (extended,) = splunkd.collection(CONTAINMENT)
    assert extended["generation"] > first["generation"] and extended["for_days"] == 10
    splunkd.create_collection(CONTAINMENT, [first])
    tenant.date_offset = 2 * DAY  # the first version's time is up, the extension's is not

    swept = _sweep(run_action)

    assert swept.outcomes() == [] and tenant.group_members(GROUP) == {BOB}
    (warning,) = [line for line in swept.level("WARNING") if "is not its latest" in line]
    assert "earlier version" in warning and f"generation {extended['generation']} since" in warning
    # and an alert that fires again starts from the ledger's generation, not from the copy
    again = run_action(ADD, rows_for(BOB), for_days="10")
    assert again.status == 0 and any("is not its latest" in line for line in again.level("WARNING"))
    (renewed,) = splunkd.collection(CONTAINMENT)
    assert renewed["generation"] > extended["generation"] and renewed["already_member"] is False
    (mark,) = splunkd.collection(LEDGER)
    assert mark["generation"] == renewed["generation"] and mark["released"] is False
    tenant.date_offset = 12 * DAY + 60  # a minute past its expiry: at 12 days the sweep may run in its second
    assert _sweep(run_action).outcomes() == [(BOB, "expired")]
    assert tenant.group_members(GROUP) == set()


def test_a_forged_record_cannot_push_the_ledger_out_of_reach(run_action, splunkd, tenant):
    """A forged document at a user's key with the highest generation: a Remove of that user deletes it,
    but the ledger takes generations only from the add-on's own records, so the next containment of that
    user still ends."""
    run_action(ADD, rows_for(BOB), for_days="1")
    (genuine,) = splunkd.collection(CONTAINMENT)
    forged = {**genuine, "_key": genuine["_key"].replace(BOB, ANN), "user": ANN, "generation": 2**53 - 2}
    splunkd.create_collection(CONTAINMENT, [forged])
    tenant.add_members(GROUP, [ANN])
    assert run_action("mimecast_remove_from_group", rows_for(ANN)).outcomes() == [(ANN, "removed")]

    assert run_action(ADD, rows_for(ANN), for_days="1").status == 0
    tenant.date_offset = 2 * DAY
    swept = _sweep(run_action)

    assert sorted(swept.outcomes()) == [(ANN, "expired"), (BOB, "expired")]
    assert tenant.group_members(GROUP) == set()


def _empty_the_records(splunkd) -> None:
    """What an empty `outputlookup mimecast_containment` does: a DELETE of every document."""
    emptied = requests.delete(
        f"{splunkd.uri}/servicesNS/nobody/{APP_ID}/storage/collections/data/{CONTAINMENT}",
        headers={"Authorization": f"Splunk {splunkd.session_key}"},
        timeout=10,
    )
    assert emptied.status_code == 200 and splunkd.collection(CONTAINMENT) == []


def test_a_deleted_record_of_a_held_containment_is_a_warning_each_sweep_until_it_is_ended(
    run_action, splunkd, tenant
):
    """Someone who may write the records deletes them: the ledger still says the add-on holds ANN and
    BOB (CY was there before), so each sweep names them in a WARNING with what to do, and moves nobody
    (the ledger alone has no expiry and no signature). A Remove of ANN, or BOB added again with for_days,
    ends the warning."""
    tenant.add_members(GROUP, [CY])
    assert run_action(ADD, rows_for(ANN, BOB, CY), for_days="1").status == 0
    group_id = splunkd.collection(CONTAINMENT)[0]["group_id"]
    _empty_the_records(splunkd)
    tenant.date_offset = 2 * DAY

    swept = _sweep(run_action)

    assert swept.status == 0 and swept.outcomes() == []
    assert tenant.group_members(GROUP) == {ANN, BOB, CY}
    gone = [line for line in swept.level("WARNING") if "no containment record" in line]
    assert len(gone) == 2 and all(group_id in line and "for_days" in line for line in gone)
    assert [user for user in (ANN, BOB, CY) if any(user in line for line in gone)] == [ANN, BOB]
    assert "Remove from Mimecast group" in gone[0]

    assert run_action("mimecast_remove_from_group", rows_for(ANN)).outcomes() == [(ANN, "removed")]
    assert run_action(ADD, rows_for(BOB), for_days="1").outcomes() == [(BOB, "added")]
    tenant.date_offset = 4 * DAY
    swept = _sweep(run_action)
    assert swept.outcomes() == [(BOB, "expired")]
    assert not [line for line in swept.level("WARNING") if "no containment record" in line]
    assert tenant.group_members(GROUP) == {CY}
