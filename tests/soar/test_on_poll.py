"""On poll through the SDK's local runner: a first poll notes every user, later polls make one container
per grade drop or watch-list join, a second poll sends nothing twice, and a poll killed half way, or cut
short by SOAR's container count, loses nothing."""

from __future__ import annotations

import signal

from devkit import soar
from devkit.simulator import Faults
from splunk_app.risk.policy import shipped

from .conftest import checked

WATCHLIST = "/api/awareness-training/company/get-watchlist-details"


def _view(tenant) -> dict[str, tuple[str, bool]]:
    listed = {record["email"].lower() for record in tenant.expected(WATCHLIST)}
    return {
        r["emailAddress"].lower(): (r["risk"] or "", r["emailAddress"].lower() in listed)
        for r in tenant.expected_users()
    }


def _expected(before: dict, after: dict) -> set[str]:
    """The users the tenant itself says became riskier, by the shipped risk policy: a worse grade, both
    grades named by the policy (the view is the tenant's without faults, so its grades are A to F), or a
    watch-list join."""
    policy = shipped()
    named, rank = policy.grades(), policy.rank
    return {
        email
        for email, (grade, listed) in after.items()
        if email in before
        and (
            (grade in named and before[email][0] in named and rank(grade) > rank(before[email][0]))
            or (listed and not before[email][1])
        )
    }


def _users(run: soar.SoarRun) -> list[str]:
    return [name.split()[2] for name in run.containers]


def test_changes_become_containers_once(act, tenant):
    first = act("on_poll", {})
    assert first.ok and first.containers == []
    assert "first poll" in first.output
    before = _view(tenant)
    tenant.advance(changed=12)
    expected = _expected(before, _view(tenant))
    assert expected  # the seeded tenant moves some users down
    second = act("on_poll", {})
    assert second.ok
    assert sorted(_users(second)) == sorted(expected)
    assert second.output.count("Added artifact: user risk change") == len(expected)
    third = act("on_poll", {})
    assert third.ok and third.containers == []


def test_a_container_count_leaves_the_rest_for_the_next_poll(act, tenant):
    act("on_poll", {})
    before = _view(tenant)
    tenant.advance(changed=12)
    expected = _expected(before, _view(tenant))
    assert len(expected) >= 2
    one = act("on_poll", {"container_count": 1})
    assert len(one.containers) == 1
    rest = act("on_poll", {})
    assert sorted(_users(one) + _users(rest)) == sorted(expected)


def test_a_poll_killed_half_way_loses_nothing(act, tenant, asset, state):
    act("on_poll", {})
    before = _view(tenant)
    tenant.advance(changed=12)
    expected = _expected(before, _view(tenant))
    tenant.faults = Faults(slow_requests=20, slow_seconds=5.0, path="/get-watchlist-details")
    process, _folder = soar.start("on_poll", asset, {}, state)
    try:
        process.communicate(timeout=3)
    except Exception:  # still pulling: the kill lands mid-poll
        process.send_signal(signal.SIGKILL)
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    tenant.faults = Faults()
    after_kill = checked(soar.run("on_poll", asset, {}, state), tenant.keys)
    assert sorted(_users(after_kill)) == sorted(expected)
    assert act("on_poll", {}).containers == []


def test_a_failing_poll_is_one_line_and_keeps_the_baseline(act, tenant):
    act("on_poll", {})
    before = _view(tenant)
    tenant.advance(changed=12)
    tenant.faults = Faults(missing_permission=50)
    failed = act("on_poll", {})
    assert not failed.ok and "\n" not in failed.message.strip()
    tenant.faults = Faults()
    again = act("on_poll", {})
    assert sorted(_users(again)) == sorted(_expected(before, _view(tenant)))
