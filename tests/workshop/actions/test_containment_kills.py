"""kill -9 anywhere in the time-boxed add and in the sweep, as splunkd's `maxtime`, a host restart or an
operator would stop them: once the alert has fired again and the sweep has run after the expiry, nobody the
add-on put in the group is left there, nobody who was there before is removed, and each contained user has
exactly one "added" and one "expired" audit event.

The kill points are every HTTP request of a run (to splunkd and to the simulated tenant), before it is sent
and after its answer came (devkit/inject's STEPS): between get-group-members and the intent records, between
the add call and the confirmations, between the sweep's remove batches, and so on."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from devkit.inject.sitecustomize import STEPS
from devkit.simulator import Faults
from devkit.simulator.catalogue import GROUPS

from .conftest import CONTAINMENT, audit_events, rows_for

ADD, SWEEP = "mimecast_add_to_group", "mimecast_containment_sweep"
SWEEP_SEARCH = {"search_name": "Mimecast Awareness - Containment sweep", "owner": "nobody"}
PER_RUN = 6  # users an alert names: the first was in the group before, the other five are contained
KILLED = -9


def _users(number: int) -> list[str]:
    return [f"u{number * PER_RUN + i}@simulated.example" for i in range(PER_RUN)]


def _group(number: int) -> str:
    """Scenarios spread over the tenant's groups, so that their runs take turns on six leases, not one."""
    return GROUPS[number % len(GROUPS)]


def _requests(splunkd, tenant) -> int:
    return len(splunkd.requests) + len(tenant.requests)


def test_kill_9_at_any_request_of_the_add_or_the_sweep_leaves_nobody_behind(
    run_action, splunkd, tenant, splunk_home
):
    # One clean run of the same shape says how many requests a run makes (every one is a kill point).
    tenant.add_members(_group(0), _users(0)[:1])
    before = _requests(splunkd, tenant)
    assert run_action(ADD, rows_for(*_users(0)), for_days="1", group=_group(0)).status == 0
    add_requests = _requests(splunkd, tenant) - before
    points = [(number, step) for number in range(1, add_requests + 1) for step in STEPS]
    scenarios = list(enumerate(points, start=1))
    for number, _ in scenarios:
        tenant.add_members(_group(number), _users(number)[:1])

    def killed_then_fired_again(scenario: tuple[int, tuple[int, str]]) -> tuple[int, int]:
        number, (at, step) = scenario
        rows, group = rows_for(*_users(number)), _group(number)
        first = run_action(ADD, rows, for_days="1", group=group, inject={"DEVKIT_KILL_AT": f"{at}:{step}"})
        again = run_action(ADD, rows, for_days="1", group=group)
        return first.status, again.status

    with ThreadPoolExecutor(len(GROUPS)) as pool:
        statuses = list(pool.map(killed_then_fired_again, scenarios))

    add_kills = sum(first == KILLED for first, _ in statuses)
    assert all(again == 0 for _, again in statuses), statuses
    numbers = range(len(scenarios) + 1)
    contained = {user for number in numbers for user in _users(number)[1:]}
    members_before = {_users(number)[0] for number in numbers}
    for group in GROUPS:
        mine = {user for number in numbers if _group(number) == group for user in _users(number)}
        assert tenant.group_members(group) == mine
    assert len(splunkd.collection(CONTAINMENT)) == len(contained | members_before)

    # A day and a bit later by Mimecast's clock: sweeps killed at one request after another, then one
    # that runs to its end.
    tenant.date_offset = 1.5 * 86400
    sweep_kills = 0
    for turn, at in enumerate(range(1, 34)):
        kill = f"{at}:{STEPS[turn % len(STEPS)]}"
        swept = run_action(SWEEP, [], fields=SWEEP_SEARCH, inject={"DEVKIT_KILL_AT": kill})
        sweep_kills += swept.status == KILLED
    last = run_action(SWEEP, [], fields=SWEEP_SEARCH)

    assert add_kills + sweep_kills >= 50 and add_kills >= 30 and sweep_kills >= 15
    assert last.status == 0, last.lines
    for group in GROUPS:
        mine = {_users(number)[0] for number in numbers if _group(number) == group}
        assert tenant.group_members(group) == mine
    assert splunkd.collection(CONTAINMENT) == []
    events = Counter((event["user"], event["change"]) for event in audit_events(splunk_home))
    assert {user for user, _ in events} == contained
    assert all(events[(user, "added")] == 1 and events[(user, "expired")] == 1 for user in contained)
    assert set(events.values()) == {1}


@pytest.mark.parametrize("kill_at", ["1:after", "2:after"])
def test_a_member_taken_out_by_hand_then_a_kill_after_the_add_is_still_released(
    run_action, splunkd, tenant, splunk_home, kill_at
):
    """Ann is in the group when the alert reads it; an administrator takes her out before the run's add
    call is applied; the run is killed after an add call's answer came (the others' add, or hers once the
    run read the group again), before any record is confirmed. Whatever Mimecast did with her, the
    records say whose she is: fired again and swept after the expiry, she and Bob are out, each with one
    "added" and one "expired" event."""
    ann, bob = "ann@simulated.example", "bob@simulated.example"
    group = GROUPS[0]
    tenant.add_members(group, [ann])
    tenant.faults = Faults(slow_requests=1, slow_seconds=2.0, path="/add-group-member")
    inject = {"DEVKIT_KILL_AT": f"{kill_at}:/add-group-member"}
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(run_action, ADD, rows_for(ann, bob), for_days="1", group=group, inject=inject)
        deadline = time.monotonic() + 30
        while not any(r.path.endswith("/get-group-members") for r in tenant.requests):
            assert time.monotonic() < deadline, "the alert never asked who is in the group"
            time.sleep(0.02)
        tenant.remove_members(group, [ann])  # the first add call is answered 2 s later
        killed = running.result()
    assert killed.status == KILLED

    again = run_action(ADD, rows_for(ann, bob), for_days="1", group=group)

    assert again.status == 0, again.lines
    assert sorted(again.outcomes()) == [(ann, "added"), (bob, "added")]
    assert {doc["user"]: doc["already_member"] for doc in splunkd.collection(CONTAINMENT)} == {
        ann: False,
        bob: False,
    }
    tenant.date_offset = 1.5 * 86400
    swept = run_action(SWEEP, [], fields=SWEEP_SEARCH)
    assert sorted(swept.outcomes()) == [(ann, "expired"), (bob, "expired")]
    assert tenant.group_members(group) == set()
    events = Counter((event["user"], event["change"]) for event in audit_events(splunk_home))
    assert events == {(u, c): 1 for u in (ann, bob) for c in ("added", "expired")}
