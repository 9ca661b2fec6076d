"""Time-boxed containment as splunkd runs it: the add records, the scheduled sweep releases when due, a run
can be reverted, members from before are never removed, and every change is an audit event."""

from __future__ import annotations

import time

from devkit.simulator import Faults

from .conftest import CONTAINMENT, GROUP, audit_events, rows_for

ADD, REMOVE, SWEEP = "mimecast_add_to_group", "mimecast_remove_from_group", "mimecast_containment_sweep"
ANN, BOB, CY = "ann@simulated.example", "bob@simulated.example", "cy@simulated.example"
SWEEP_SEARCH = {"search_name": "Mimecast Awareness - Containment sweep", "owner": "nobody"}


def _records(splunkd) -> dict[str, dict]:
    return {doc["user"]: doc for doc in splunkd.collection(CONTAINMENT)}


def _move_clock(tenant, days: float) -> None:
    """As if `days` had passed: Mimecast's clock (its answers' Date) moves on; the records are untouched
    (the add-on signs them) and this host's clock stays, as the sweep follows Mimecast's."""
    tenant.date_offset = (tenant.date_offset or 0) + days * 86400


def _sweep(run_action, **configuration):
    return run_action(SWEEP, [], fields=SWEEP_SEARCH, **configuration)


def test_an_add_for_days_records_each_user_it_added(run_action, splunkd, tenant):
    before = time.time()
    run = run_action(ADD, rows_for(ANN, BOB), for_days="3")

    assert run.outcomes() == [(ANN, "added"), (BOB, "added")]
    records = _records(splunkd)
    assert set(records) == {ANN, BOB}
    ann = records[ANN]
    assert ann["group"] == GROUP and ann["group_id"] == tenant.group_id(GROUP) and ann["account"] == "prod"
    assert ann["search_name"] == "Risky users who clicked" and ann["sid"].startswith("scheduler__")
    assert ann["already_member"] is False
    assert before - 1 <= ann["added_at"] <= time.time()  # Mimecast's clock: its Date has whole seconds
    assert abs(ann["expires_at"] - ann["added_at"] - 3 * 86400) < 1


def test_the_sweep_releases_only_what_is_due(run_action, splunkd, tenant):
    run_action(ADD, rows_for(ANN), for_days="1")
    run_action(ADD, rows_for(BOB), for_days="5")
    _move_clock(tenant, 2)

    sweep = _sweep(run_action)

    assert sweep.status == 0
    assert sweep.outcomes() == [(ANN, "expired")]
    assert tenant.group_members(GROUP) == {BOB}
    assert set(_records(splunkd)) == {BOB}
    assert "mc_summary=sweep action=mimecast_containment_sweep" in sweep.summary
    assert " expired=1 " in sweep.summary


def test_a_sweep_with_nothing_due_only_reads_mimecasts_clock(run_action, splunkd, tenant):
    run_action(ADD, rows_for(ANN), for_days="1")
    tenant.clear_requests()

    sweep = _sweep(run_action)

    assert (sweep.status, sweep.outcomes()) == (0, [])
    assert {request.path for request in tenant.requests} <= {"/oauth/token", "/api/directory/find-groups"}
    assert tenant.group_members(GROUP) == {ANN}


def test_a_later_run_extends_the_containment(run_action, splunkd, tenant):
    first = run_action(ADD, rows_for(ANN), for_days="1")
    second = run_action(ADD, rows_for(ANN), for_days="5")
    _move_clock(tenant, 2)

    sweep = _sweep(run_action)

    assert second.outcomes() == [(ANN, "already_member")]
    assert sweep.outcomes() == []
    assert tenant.group_members(GROUP) == {ANN}
    record = _records(splunkd)[ANN]
    assert record["already_member"] is False  # the first run really added her: she still goes when due
    assert record["sid"] != record["extended_by_sid"]
    assert first.status == second.status == 0
    _move_clock(tenant, 4)
    assert _sweep(run_action).outcomes() == [(ANN, "expired")]
    assert tenant.group_members(GROUP) == set()


def test_members_from_before_the_action_are_never_removed_by_the_expiry(run_action, splunkd, tenant):
    run_action(ADD, rows_for(ANN))  # an earlier, permanent add

    run = run_action(ADD, rows_for(ANN, BOB), for_days="1")
    assert _records(splunkd)[ANN]["already_member"] is True
    _move_clock(tenant, 2)
    sweep = _sweep(run_action)

    assert run.outcomes() == [(BOB, "added"), (ANN, "already_member")]  # members from before come last
    assert sorted(sweep.outcomes()) == [(ANN, "released"), (BOB, "expired")]
    assert tenant.group_members(GROUP) == {ANN}
    assert _records(splunkd) == {}


def test_remove_clears_the_record(run_action, splunkd, tenant):
    run_action(ADD, rows_for(ANN, BOB), for_days="2")

    run_action(REMOVE, rows_for(ANN))

    assert set(_records(splunkd)) == {BOB}


def test_an_admin_reverts_one_run(run_action, splunkd, tenant):
    run_action(ADD, rows_for(CY))  # in the group before either run
    first = run_action(ADD, rows_for(ANN, CY), for_days="7")
    run_action(ADD, rows_for(BOB), for_days="7")
    first_sid = _records(splunkd)[ANN]["sid"]

    revert = _sweep(run_action, revert_sid=first_sid)

    assert first.outcomes() == [(ANN, "added"), (CY, "already_member")]
    assert revert.outcomes() == [(ANN, "reverted")]
    assert tenant.group_members(GROUP) == {BOB, CY}
    assert set(_records(splunkd)) == {BOB}


def test_a_failed_removal_keeps_the_record_and_the_next_sweep_retries(run_action, splunkd, tenant):
    run_action(ADD, rows_for(ANN, BOB), for_days="1")
    _move_clock(tenant, 2)
    tenant.faults = Faults(missing_permission=1, path="/remove-group-member")

    failed = _sweep(run_action)
    retried = _sweep(run_action)

    assert failed.status == 1
    assert failed.outcomes() == [(ANN, "failed"), (BOB, "failed")]
    assert all("Directories | Groups | Edit" in line for line in failed.lines if "outcome=failed" in line)
    assert len(failed.level("ERROR")) == 1
    assert sorted(retried.outcomes()) == [(ANN, "expired"), (BOB, "expired")]
    assert tenant.group_members(GROUP) == set()
    assert _records(splunkd) == {}


def test_a_failed_add_is_never_recorded(run_action, splunkd, tenant):
    tenant.faults = Faults(rate_limit_storm=3, storm_reset_ms=20, path="/add-group-member")

    run = run_action(ADD, rows_for(ANN, BOB), for_days="1")

    assert run.outcomes() == [(ANN, "failed"), (BOB, "failed")]
    assert tenant.group_members(GROUP) == set()
    assert _records(splunkd) == {}


def test_a_dry_run_records_nothing(run_action, splunkd, splunk_home, tenant):
    run = run_action(ADD, rows_for(ANN), for_days="1", dry_run="1")

    assert run.outcomes() == [(ANN, "would_add")]
    assert _records(splunkd) == {}
    assert audit_events(splunk_home) == []


def test_bad_for_days_is_named(run_action, tenant):
    run = run_action(ADD, rows_for(ANN), for_days="two weeks")

    assert run.status == 2
    assert "for_days='two weeks' is not a number of days above 0" in run.lines[-1]
    assert tenant.requests == []


def test_every_change_is_an_audit_event(run_action, splunkd, splunk_home, tenant):
    run_action(ADD, rows_for(ANN, BOB), for_days="1", fields={"owner": "soc_lead"})
    run_action(REMOVE, rows_for(BOB))
    _move_clock(tenant, 2)
    _sweep(run_action)
    run_action(ADD, rows_for(CY), group="No Such Group")
    run_action(ADD, rows_for(CY), dry_run="1")

    events = audit_events(splunk_home)

    changes = sorted((e["change"], e["user"], e["action"]) for e in events)
    assert changes == [
        ("added", ANN, ADD),
        ("added", BOB, ADD),
        ("expired", ANN, SWEEP),
        ("failed", CY, ADD),
        ("removed", BOB, REMOVE),
    ]
    added = next(e for e in events if e["change"] == "added" and e["user"] == ANN)
    assert added["group"] == GROUP and added["account"] == "prod" and added["owner"] == "soc_lead"
    assert added["search_name"] == "Risky users who clicked" and added["for_days"] == 1.0
    assert added["expires_at"] > added["time"]
    expired = next(e for e in events if e["change"] == "expired")
    assert expired["search_name"] == SWEEP_SEARCH["search_name"] and expired["account"] == "prod"
    failed = next(e for e in events if e["change"] == "failed")
    assert failed["code"] == "err_folder_not_found"
