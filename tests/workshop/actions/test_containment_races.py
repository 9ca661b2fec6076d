"""Runs that overlap on one group, as splunkd starts them (two alerts firing together, an alert while the
sweep runs, two sweeps on two search heads): they take turns through the group's lease, so nobody is left
in the group for good, no newer containment is cut short, no run fails and no change is audited twice."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from devkit.simulator import Faults

from .conftest import CONTAINMENT, GROUP, audit_events, rows_for

ADD, SWEEP = "mimecast_add_to_group", "mimecast_containment_sweep"
SWEEP_SEARCH = {"search_name": "Mimecast Awareness - Containment sweep", "owner": "nobody"}
ROUNDS = 3


def _users(first: int, count: int) -> list[str]:
    return [f"u{i}@simulated.example" for i in range(first, first + count)]


def _together(*calls):
    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def _sweep(run_action):
    return run_action(SWEEP, [], fields=SWEEP_SEARCH)


def _expired_lines(runs) -> Counter:
    return Counter(user for run in runs for user, outcome in run.outcomes() if outcome == "expired")


def test_two_alerts_at_once_on_overlapping_users(run_action, splunkd, tenant, splunk_home):
    for turn in range(ROUNDS):
        first, second = _users(turn * 20, 12), _users(turn * 20 + 6, 12)  # six users in both
        runs = _together(
            lambda a=first: run_action(ADD, rows_for(*a), for_days="1", max_users="50"),
            lambda b=second: run_action(ADD, rows_for(*b), for_days="1", max_users="50"),
        )
        assert [run.status for run in runs] == [0, 0], [run.lines for run in runs]
        assert tenant.group_members(GROUP) >= set(first) | set(second)
    everyone = set(tenant.group_members(GROUP))
    assert len(splunkd.collection(CONTAINMENT)) == len(everyone)
    assert all(doc["already_member"] is False for doc in splunkd.collection(CONTAINMENT))

    tenant.date_offset = 2 * 86400
    swept = _sweep(run_action)

    assert swept.status == 0
    assert tenant.group_members(GROUP) == set()
    assert _expired_lines([swept]) == Counter(everyone)
    events = Counter((event["user"], event["change"]) for event in audit_events(splunk_home))
    assert set(events.values()) == {1} and {change for _, change in events} == {"added", "expired"}
    assert len(events) == 2 * len(everyone)


def test_an_alert_during_the_sweep_keeps_its_extension(run_action, splunkd, tenant):
    for turn in range(ROUNDS):
        users = _users(turn * 10, 10)
        tenant.date_offset = turn * 10 * 86400.0
        assert run_action(ADD, rows_for(*users), for_days="1").status == 0
        tenant.date_offset = (turn * 10 + 2) * 86400.0  # due now; the alert fires again as the sweep runs

        swept, again = _together(
            lambda: _sweep(run_action),
            lambda u=users: run_action(ADD, rows_for(*u), for_days="5"),
        )

        assert (swept.status, again.status) == (0, 0), (swept.lines, again.lines)
        # Whichever went first, the newer containment stands: every user is in the group, held 5 days.
        assert tenant.group_members(GROUP) >= set(users)
        records = {doc["user"]: doc for doc in splunkd.collection(CONTAINMENT)}
        assert set(users) <= set(records)
        assert all(records[user]["for_days"] == 5 for user in users)
    tenant.date_offset = (ROUNDS * 10 + 10) * 86400.0
    assert _sweep(run_action).status == 0
    assert tenant.group_members(GROUP) == set()


def test_two_sweeps_at_once_release_each_user_once(run_action, splunkd, tenant, splunk_home):
    for turn in range(ROUNDS):
        users = _users(turn * 25, 25)  # three remove calls of at most ten
        tenant.date_offset = turn * 10 * 86400.0
        assert run_action(ADD, rows_for(*users), for_days="1", max_users="50").status == 0
        tenant.date_offset = (turn * 10 + 2) * 86400.0

        sweeps = _together(lambda: _sweep(run_action), lambda: _sweep(run_action))

        assert [run.status for run in sweeps] == [0, 0], [run.lines for run in sweeps]
        assert _expired_lines(sweeps) == Counter(users)
        assert tenant.group_members(GROUP) == set()
        assert splunkd.collection(CONTAINMENT) == []
    events = Counter((event["user"], event["change"]) for event in audit_events(splunk_home))
    assert set(events.values()) == {1}


def test_a_member_taken_out_by_hand_while_the_add_runs_is_contained_not_kept_for_good(
    run_action, splunkd, tenant
):
    """get-group-members says Ann is in the group; an administrator takes her out before the run reads the
    group again (after its other users' add call, here none), so the run adds her as its own containment:
    she is the add-on's to release, not a member from before."""
    tenant.add_members(GROUP, ["ann@simulated.example"])
    tenant.faults = Faults(slow_requests=1, slow_seconds=2.0, path="/get-group-members", after=1)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(run_action, ADD, rows_for("ann@simulated.example"), for_days="1")
        deadline = time.monotonic() + 30
        while not any(r.path.endswith("/get-group-members") for r in tenant.requests):
            assert time.monotonic() < deadline, "the alert never asked who is in the group"
            time.sleep(0.02)
        tenant.remove_members(GROUP, ["ann@simulated.example"])
        run = running.result()

    assert run.status == 0 and run.outcomes() == [("ann@simulated.example", "added")]
    (record,) = splunkd.collection(CONTAINMENT)
    assert record["already_member"] is False and record["state"] == "held"
    tenant.date_offset = 2 * 86400
    assert _sweep(run_action).outcomes() == [("ann@simulated.example", "expired")]
    assert tenant.group_members(GROUP) == set()
