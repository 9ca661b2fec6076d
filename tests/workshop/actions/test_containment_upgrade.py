"""Upgrading from 1.0.0, run as splunkd runs the sweep: a containment record 1.0.0 wrote (no MAC, no
generation) is left alone and named until an administrator adopts it by hand (`list`, then the digest it
gives); adopted, the sweep releases it on time. Nobody else adopts, a scheduled run never does, a record
with a wrong MAC never is, and a record planted between the list and the adoption adopts nothing.

The 1.0.0 records here are written field for field as 1.0.0's containment module wrote them (the release
of 2026-11-29 in git); the group's members are put there directly, as 1.0.0's add had done. 1.0.0 was
released on 2026-11-29, so a record it wrote was added at most the days since then ago."""

from __future__ import annotations

import re
import time

from .conftest import CONTAINMENT, GROUP, LEDGER, audit_events, rows_for

ADD, SWEEP = "mimecast_add_to_group", "mimecast_containment_sweep"
SCHEDULED = {"search_name": "Mimecast Awareness - Containment sweep", "owner": "nobody"}
BY_HAND = {"search_name": "", "owner": "admin", "sid": "1764950000.42"}  # | sendalert, an ad hoc search
ANN, BOB, CY = "ann@simulated.example", "bob@simulated.example", "cy@simulated.example"
DAY = 86400
V1_SID = "scheduler__admin__search__RMD5a1b2c3_at_1764400000_7"


def _plant_v1(splunkd, tenant, user: str, added_days_ago: float, expires_in_days: float, **fields) -> dict:
    """A record as 1.0.0 wrote it, its user in the group as 1.0.0's add left them."""
    group_id = tenant.group_id(GROUP)
    now = time.time()
    document = {
        "_key": f"prod|{group_id}|{user}",
        "user": user,
        "group": GROUP,
        "group_id": group_id,
        "account": "prod",
        "added_at": now - added_days_ago * DAY,
        "expires_at": now + expires_in_days * DAY,
        "search_name": "Risky users who clicked",
        "sid": V1_SID,
        "already_member": False,
        "extended_by_sid": "",
        **fields,
    }
    splunkd.create_collection(CONTAINMENT, [document])
    tenant.add_members(GROUP, [user])
    return document


def _adopt(run_action, answer: str, fields=None, **configuration):
    return run_action(SWEEP, [], fields=fields or BY_HAND, adopt_unsigned=answer, **configuration)


def _digest(listed) -> str:
    (line,) = [line for line in listed.level("WARNING") if "param.adopt_unsigned=" in line]
    return re.search(r"param\.adopt_unsigned=([0-9a-f]+)", line).group(1)


def _records(splunkd) -> dict[str, dict]:
    return {doc["user"]: doc for doc in splunkd.collection(CONTAINMENT)}


def test_a_1_0_0_record_is_left_alone_and_its_warning_names_the_step_that_adopts_it(
    run_action, splunkd, tenant
):
    planted = _plant_v1(splunkd, tenant, ANN, added_days_ago=5, expires_in_days=-1)  # 4 days, due a day ago

    swept = run_action(SWEEP, [], fields=SCHEDULED)

    assert swept.status == 0 and swept.outcomes() == []
    assert tenant.group_members(GROUP) == {ANN}
    (warning,) = swept.level("WARNING")
    assert f"{planted['_key']}' predates signing" in warning
    assert "param.adopt_unsigned=list" in warning and "fails its MAC check" not in warning
    left = _records(splunkd)[ANN]
    assert "mac" not in left and left["expires_at"] == planted["expires_at"]


def test_an_administrators_adoption_makes_the_sweep_release_each_on_time(
    run_action, splunkd, tenant, splunk_home
):
    _plant_v1(splunkd, tenant, ANN, added_days_ago=1, expires_in_days=2)
    # 1.0.0 extended Bob's: a later run moved the expiry on and kept when he was added
    _plant_v1(splunkd, tenant, BOB, added_days_ago=5, expires_in_days=4, extended_by_sid="1764700000.9")

    listed = _adopt(run_action, "list")

    assert listed.status == 0
    assert listed.outcomes() == [(ANN, "would_adopt"), (BOB, "would_adopt")]
    assert all("mac" not in doc for doc in splunkd.collection(CONTAINMENT))  # a list changes nothing
    adopted = _adopt(run_action, _digest(listed))

    assert adopted.status == 0, adopted.lines
    assert adopted.outcomes() == [(ANN, "adopted"), (BOB, "adopted")]
    records = _records(splunkd)
    assert all(doc["mac"] and doc["generation"] == 1 and doc["state"] == "held" for doc in records.values())
    assert records[BOB]["latest_sid"] == "1764700000.9"
    assert abs(records[BOB]["for_days"] - 9) < 0.01  # added 5 days ago, held 4 more
    assert sorted(mark["user"] for mark in splunkd.collection(LEDGER)) == [ANN, BOB]
    events = audit_events(splunk_home)
    assert sorted((e["user"], e["change"]) for e in events) == [(ANN, "adopted"), (BOB, "adopted")]
    assert all(e["owner"] == "admin" and e["account"] == "prod" for e in events)

    quiet = run_action(SWEEP, [], fields=SCHEDULED)
    assert quiet.outcomes() == [] and quiet.level("WARNING") == []
    tenant.date_offset = 2.1 * DAY
    assert run_action(SWEEP, [], fields=SCHEDULED).outcomes() == [(ANN, "expired")]
    assert tenant.group_members(GROUP) == {BOB}
    tenant.date_offset = 4.1 * DAY
    assert run_action(SWEEP, [], fields=SCHEDULED).outcomes() == [(BOB, "expired")]
    assert tenant.group_members(GROUP) == set() and splunkd.collection(CONTAINMENT) == []

    again = _adopt(run_action, _digest(listed))  # one time: nothing is left to adopt with that digest
    assert again.status == 2 and "adopted none" in again.level("ERROR")[0]


def test_only_an_administrators_own_run_adopts(run_action, splunkd, tenant):
    _plant_v1(splunkd, tenant, ANN, added_days_ago=5, expires_in_days=-1)
    listed = _adopt(run_action, "list")
    splunkd.capabilities = ("list_storage_passwords", "search")  # a user who may run the sweep, not admin

    refused = _adopt(run_action, _digest(listed))

    assert refused.status == 2 and refused.outcomes() == []
    (error,) = refused.level("ERROR")
    assert "adopt_unsigned needs an administrator of the add-on" in error and "adopted none" in error
    splunkd.capabilities = ("admin_all_objects",)
    scheduled = _adopt(run_action, _digest(listed), fields=SCHEDULED)  # the system's run, with the rights
    assert scheduled.status == 0 and scheduled.outcomes() == []  # it sweeps, and adopts none
    ignored, named = scheduled.level("WARNING")
    assert (
        "adopt_unsigned is ignored in a saved or scheduled search" in ignored and "predates signing" in named
    )
    assert "mac" not in _records(splunkd)[ANN]
    assert run_action(SWEEP, [], fields=SCHEDULED).outcomes() == [] and tenant.group_members(GROUP) == {ANN}


def test_a_record_with_a_wrong_mac_or_times_1_0_0_never_wrote_is_never_adopted(run_action, splunkd, tenant):
    run_action(ADD, rows_for(ANN), for_days="1")
    genuine = _records(splunkd)[ANN]
    copied = {**genuine, "_key": genuine["_key"].replace(ANN, BOB), "user": BOB}  # a MAC, not Bob's
    emptied = {
        **genuine,
        "_key": genuine["_key"].replace(ANN, CY),
        "user": CY,
        "mac": "",
    }  # no MAC, later fields
    splunkd.create_collection(CONTAINMENT, [copied, emptied])
    tenant.add_members(GROUP, [BOB, CY])
    old = _plant_v1(splunkd, tenant, "a@simulated.example", added_days_ago=3000, expires_in_days=-2990)
    endless = _plant_v1(splunkd, tenant, "b@simulated.example", added_days_ago=1, expires_in_days=400)

    listed = _adopt(run_action, "list")

    assert listed.status == 0 and listed.outcomes() == []
    warnings = " ".join(listed.level("WARNING"))
    assert f"{old['_key']}' is not adopted: it was added before version 1.0.0 was released" in warnings
    assert f"{endless['_key']}' is not adopted: it expires more than 365 days from now" in warnings
    assert "no containment record predates signing: nothing to adopt" in warnings
    tenant.date_offset = 2 * DAY
    assert run_action(SWEEP, [], fields=SCHEDULED).outcomes() == [(ANN, "expired")]
    assert {BOB, CY} <= tenant.group_members(GROUP)


def test_a_record_planted_after_the_list_was_read_adopts_nothing(run_action, splunkd, tenant):
    _plant_v1(splunkd, tenant, ANN, added_days_ago=5, expires_in_days=-1)
    listed = _adopt(run_action, "list")
    assert listed.outcomes() == [(ANN, "would_adopt")]
    # someone who may write the collection plants a "1.0.0" record before the administrator adopts
    _plant_v1(splunkd, tenant, BOB, added_days_ago=2, expires_in_days=-1)

    refused = _adopt(run_action, _digest(listed))

    assert refused.status == 2 and refused.outcomes() == []
    (error,) = refused.level("ERROR")
    assert "changed since they were listed" in error and "adopted none" in error
    assert all("mac" not in doc for doc in splunkd.collection(CONTAINMENT))
    assert run_action(SWEEP, [], fields=SCHEDULED).outcomes() == []
    assert tenant.group_members(GROUP) == {ANN, BOB}
    relisted = _adopt(run_action, "list")  # the administrator sees both, each named
    assert relisted.outcomes() == [(ANN, "would_adopt"), (BOB, "would_adopt")]


def test_the_adoption_is_bounded_by_max_users(run_action, splunkd, tenant):
    _plant_v1(splunkd, tenant, ANN, added_days_ago=5, expires_in_days=-1)
    _plant_v1(splunkd, tenant, BOB, added_days_ago=5, expires_in_days=-1)

    listed = _adopt(run_action, "list", max_users="1")
    adopted = _adopt(run_action, _digest(listed), max_users="1")

    assert any("more than max_users=1" in line for line in listed.level("WARNING"))
    assert listed.outcomes() == [(ANN, "would_adopt")] and adopted.outcomes() == [(ANN, "adopted")]
    assert run_action(SWEEP, [], fields=SCHEDULED).outcomes() == [(ANN, "expired")]
    assert tenant.group_members(GROUP) == {BOB}


def test_an_alert_before_the_adoption_leaves_the_1_0_0_record_for_it(run_action, splunkd, tenant):
    planted = _plant_v1(splunkd, tenant, ANN, added_days_ago=2, expires_in_days=1)
    _plant_v1(splunkd, tenant, CY, added_days_ago=2, expires_in_days=1, already_member=True)

    # Without the wait, the add found no signed record, took Ann for a member from before (never released)
    # and overwrote the record the adoption needs.
    again = run_action(ADD, rows_for(ANN, BOB, CY), for_days="3")

    assert again.status == 1
    assert again.outcomes() == [(ANN, "skipped"), (BOB, "added"), (CY, "already_member")]
    assert _records(splunkd)[CY]["already_member"] is True and _records(splunkd)[CY]["mac"]
    assert (
        _records(splunkd)[ANN]["expires_at"] == planted["expires_at"] and "mac" not in _records(splunkd)[ANN]
    )
    adopted = _adopt(run_action, _digest(_adopt(run_action, "list")))
    assert adopted.outcomes() == [(ANN, "adopted")]
    tenant.date_offset = 1.1 * DAY
    assert run_action(SWEEP, [], fields=SCHEDULED).outcomes() == [(ANN, "expired")]
    assert tenant.group_members(GROUP) == {BOB, CY}  # Cy was there before 1.0.0 asked: stays
