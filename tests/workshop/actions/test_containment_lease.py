"""The lease that makes runs on one group take turns, against a host clock that steps: no wall clock
decides how long a lease lasts, so a step forward steals none and a step back keeps none. The holder's
beat, seen unchanged for STALE seconds of a contender's own monotonic clock, is what ends a lease whose
holder died on another search head."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from devkit.simulator import Faults
from splunk_app.splunk import lease
from splunk_app.splunk.service import connect

from .conftest import GROUP, LEASES, rows_for

ADD = "mimecast_add_to_group"
DAY = 86400.0
KEY = "prod|g1"


class Clock:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 5.0)


@pytest.fixture
def wall_clock_30_days_ahead(monkeypatch):
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 30 * DAY)


def test_a_silent_lease_of_another_host_is_taken_after_stale_seconds_of_the_contenders_own_clock(
    splunkd, wall_clock_30_days_ahead
):
    # written by a holder on another search head whose clock ran 30 days ahead, then killed
    splunkd.create_collection(
        LEASES, [{"_key": KEY, "holder": "sh2:4242:abc", "beat": "7", "expires_at": time.time() + 30 * DAY}]
    )
    clock = Clock()
    contender = lease.Leases(connect(splunkd.uri, splunkd.session_key), monotonic=clock, sleep=clock.sleep)
    started = clock.now

    with contender.hold("prod", "g1"):
        took = clock.now - started
        (held,) = splunkd.collection(LEASES)

    assert lease.STALE <= took < lease.STALE + 10
    assert held["holder"] == contender.holder
    assert splunkd.collection(LEASES) == []


def test_a_holder_that_keeps_renewing_is_never_taken_over_whatever_the_wall_clocks_say(
    splunkd, wall_clock_30_days_ahead
):
    service = connect(splunkd.uri, splunkd.session_key)
    holder_clock, contender_clock = Clock(), Clock()
    holder = lease.Leases(service, monotonic=holder_clock)
    with holder.hold("prod", "g1") as keep:
        # An old-style lease field from a clock 30 days behind must not matter either.
        splunkd.create_collection(LEASES, [{**splunkd.collection(LEASES)[0], "expires_at": 1.0}])

        def working(seconds: float) -> None:  # the holder works on while the contender waits
            contender_clock.sleep(seconds)
            holder_clock.now += lease.RENEW
            keep()

        contender = lease.Leases(service, monotonic=contender_clock, sleep=working, wait=lease.STALE * 3)
        with pytest.raises(lease.LeaseError, match="kept acting on this group"), contender.hold("prod", "g1"):
            pass
        assert splunkd.collection(LEASES)[0]["holder"] == holder.holder
    assert splunkd.collection(LEASES) == []


def test_a_holder_silent_past_stale_learns_it_lost_the_lease_before_acting(splunkd):
    service = connect(splunkd.uri, splunkd.session_key)
    clock = Clock()
    first = lease.Leases(service, monotonic=clock)
    with first.hold("prod", "g1") as keep:
        splunkd.create_collection(LEASES, [{"_key": KEY, "holder": "sh2:1:taken", "beat": "1"}])
        clock.now += lease.STALE
        with pytest.raises(lease.LeaseError, match="taken over while this run held it"):
            keep()
    assert splunkd.collection(LEASES)[0]["holder"] == "sh2:1:taken"  # the new holder's lease stays


@pytest.mark.parametrize("holder_days, contender_days", [(-30, 30), (30, -30), (-8, 8), (8, -8)])
def test_two_alerts_with_stepped_clocks_still_take_turns(run_action, tenant, holder_days, contender_days):
    first = [f"u{i}@simulated.example" for i in range(5)]
    second = [f"u{i}@simulated.example" for i in range(5, 10)]
    tenant.faults = Faults(slow_requests=1, slow_seconds=3.0, path="/add-group-member")

    def shifted(days: float) -> dict[str, str]:
        return {"DEVKIT_CLOCK_SHIFT": str(days * DAY)}

    with ThreadPoolExecutor(2) as pool:
        holder = pool.submit(run_action, ADD, rows_for(*first), for_days="1", inject=shifted(holder_days))
        deadline = time.monotonic() + 30
        while not any(r.path.endswith("/get-group-members") for r in tenant.requests):
            assert time.monotonic() < deadline, "the first alert never reached the group"
            time.sleep(0.05)
        late = shifted(contender_days)
        contender = pool.submit(run_action, ADD, rows_for(*second), for_days="1", inject=late)
        runs = [holder.result(), contender.result()]

    assert [run.status for run in runs] == [0, 0], [run.lines for run in runs]
    steps = [r.path.rsplit("/", 1)[1] for r in tenant.requests if "group-member" in r.path]
    assert steps == ["get-group-members", "add-group-member"] * 2  # one run after the other
    assert tenant.group_members(GROUP) == set(first) | set(second)


SCALE = {"DEVKIT_TIME_SCALE": "50"}  # the run's monotonic clock and sleeps 50 times as fast: 100 s in 2


def _beats_while(splunkd, tenant, job, *, take_over_after: str = "") -> tuple[object, list[str]]:
    """Runs `job` (an action run) and reads the group's lease as it goes: the beats seen, in order, and the
    run. With `take_over_after`, once a request to that path was served, another holder takes the lease."""
    seen: list[str] = []
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(job)
        while not running.done():
            lease_docs = splunkd.collection(LEASES)
            if lease_docs and lease_docs[0].get("beat") not in seen[-1:]:
                seen.append(lease_docs[0]["beat"])
            if take_over_after and any(r.path.endswith(take_over_after) for r in tenant.requests):
                splunkd.create_collection(LEASES, [{**lease_docs[0], "holder": "sh2:1:taken", "beat": "t"}])
                take_over_after = ""
            time.sleep(0.02)
        return running.result(), seen


def _remove_run(run_action, users):
    return lambda: run_action("mimecast_remove_from_group", rows_for(*users), max_users="50", inject=SCALE)


def test_a_long_rate_limit_wait_between_remove_calls_keeps_the_lease_beating(run_action, splunkd, tenant):
    """Mimecast answers the first remove call with a 429 whose reset is 100 s: the next call waits that
    long (by the run's clock), past most of the lease's STALE, and the run renews its lease meanwhile."""
    users = [f"u{i}@simulated.example" for i in range(25)]
    tenant.add_members(GROUP, users)
    tenant.faults = Faults(rate_limit_storm=1, storm_reset_ms=100_000, path="/remove-group-member")

    run, beats = _beats_while(splunkd, tenant, _remove_run(run_action, users))

    assert len(beats) >= 4, beats  # taken ("0"), then renewed at least every RENEW seconds of the wait
    assert run.status == 1 and sorted(set(outcome for _, outcome in run.outcomes())) == ["failed", "removed"]
    assert tenant.group_members(GROUP) == set(users[:10])  # the 429'd call's ten stay; nobody else
    assert splunkd.collection(LEASES) == []


def test_a_run_that_lost_its_lease_during_a_wait_says_so_and_stops(run_action, splunkd, tenant):
    users = [f"u{i}@simulated.example" for i in range(25)]
    tenant.add_members(GROUP, users)
    tenant.faults = Faults(rate_limit_storm=1, storm_reset_ms=100_000, path="/remove-group-member")

    run, _ = _beats_while(
        splunkd, tenant, _remove_run(run_action, users), take_over_after="/remove-group-member"
    )

    assert run.status == 1
    (lost,) = [line for line in run.level("ERROR") if "taken over" in line]
    assert "this run stops acting" in lost and "the users it did not reach wait for the next run" in lost
    assert not [line for line in run.level("ERROR") if "could not be written" in line]
    assert len([r for r in tenant.requests if r.path.endswith("/remove-group-member")]) == 1
    assert tenant.group_members(GROUP) == set(users)
    assert splunkd.collection(LEASES)[0]["holder"] == "sh2:1:taken"  # the new holder's lease stays


def test_a_big_group_read_slowly_keeps_the_lease_beating(run_action, splunkd, tenant):
    """get-group-members of a group of 1,600 (four pages of 500), each page 40 s by the run's clock: the
    lease is renewed between the pages, not only once the whole group is read."""
    tenant.add_members(GROUP, [f"member{i}@simulated.example" for i in range(1600)])
    tenant.faults = Faults(slow_requests=4, slow_seconds=0.8, path="/get-group-members")

    def add():
        return run_action(ADD, rows_for("ann@simulated.example"), for_days="1", inject=SCALE)

    run, beats = _beats_while(splunkd, tenant, add)

    assert run.status == 0 and run.outcomes() == [("ann@simulated.example", "added")]
    assert len([r for r in tenant.requests if r.path.endswith("/get-group-members")]) == 4
    assert len(beats) >= 4, beats
