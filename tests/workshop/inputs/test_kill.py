"""SIGKILL real runs at several points (mid-pagination, mid-event-write), then run again: no user is
lost and at most the page in flight is sent twice.

The killed run's stdout is a pipe, as under splunkd: the test stops reading after N whole events, the
input blocks on the full pipe in the middle of writing a page, and is killed there. Every byte that made
it into the pipe is then read and parsed as splunkd would, whole events only.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter

import pytest

from devkit import modinput
from devkit.simulator import Faults, SimulatedTenant

from .conftest import users_of

PAGE = 25
SOURCETYPE = "mimecast:awareness:performance"


@pytest.fixture
def tenant():
    with SimulatedTenant(users=1500, seed=9) as running:
        yield running


def killed_run(splunkd, after_events, input_type="mimecast_at_performance"):
    """Start the input, read until `after_events` whole events arrived, SIGKILL it."""
    definition = splunkd.definition(input_type, {"page_size": str(PAGE)})
    process = modinput.start(modinput.script_path(input_type), definition, env=splunkd.env)
    received = b""
    while len(modinput.parse_stream(received)) < after_events:
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            break
        received += chunk
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    received += process.stdout.read()
    process.stderr.read()
    assert process.returncode == -signal.SIGKILL
    return modinput.parse_stream(received)


@pytest.mark.parametrize("after_events", [1, 180, 700])
def test_a_killed_run_then_a_rerun_lose_nobody_and_repeat_at_most_one_page(splunkd, tenant, after_events):
    killed_events = killed_run(splunkd, after_events)
    killed = [event for event in killed_events if event.sourcetype == SOURCETYPE]
    rerun = splunkd.run("mimecast_at_performance", page_size=str(PAGE))
    assert rerun.returncode == 0, rerun.stderr
    seen = Counter([json.loads(e.data)["mc_user"] for e in killed] + users_of(rerun, SOURCETYPE))
    everyone = sorted(user["emailAddress"].lower() for user in tenant.expected_users())
    assert sorted(seen) == everyone
    assert 0 < len(killed) < len(everyone)  # the kill really came mid-run
    assert sum(count - 1 for count in seen.values()) <= PAGE
    assert sorted(splunkd.table()) == everyone


@pytest.mark.parametrize("after_events", [PAGE, 2 * PAGE, 2 * PAGE + 7])
def test_a_run_killed_at_a_page_boundary_repeats_nothing_more_than_that_page(splunkd, tenant, after_events):
    """Slow answers keep the input between pages (committing, or waiting for the next page) when the
    kill comes right after a page's last event."""
    tenant.faults = Faults(slow_requests=1000, slow_seconds=0.3, path="get-safe-score-details")
    killed = [
        json.loads(e.data)["mc_user"] for e in killed_run(splunkd, after_events, "mimecast_at_safe_score")
    ]
    tenant.faults = Faults()
    rerun = splunkd.run("mimecast_at_safe_score", page_size=str(PAGE))
    seen = Counter(killed + users_of(rerun, "mimecast:awareness:safe_score"))
    assert sorted(seen) == sorted(user["emailAddress"].lower() for user in tenant.expected_users())
    assert sum(count - 1 for count in seen.values()) <= PAGE
