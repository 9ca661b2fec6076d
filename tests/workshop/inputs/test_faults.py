"""Faults from the simulated tenant, met by a real run of the safe-score input: a passing fault (the
client retries or refreshes) still gives a complete snapshot; a lasting one ends in one log line that
names the input, the account and the endpoint, and the next run after it loses no user and repeats at
most the page that was in flight."""

from __future__ import annotations

from collections import Counter

import pytest

from devkit.simulator import Faults

from .conftest import users_of

PATH = "get-safe-score-details"
PAGE = 8
SOURCETYPE = "mimecast:awareness:safe_score"


def emails(tenant):
    return sorted(user["emailAddress"].lower() for user in tenant.expected_users())


@pytest.mark.parametrize(
    "faults",
    [
        Faults(server_errors=2, path=PATH, after=1),
        Faults(rate_limit_storm=3, storm_reset_ms=50, path=PATH, after=2),
        Faults(token_expiry=1, path=PATH, after=2),
    ],
    ids=["5xx", "429-storm", "expired-token"],
)
def test_a_passing_fault_still_gives_the_whole_snapshot(splunkd, tenant, faults):
    tenant.faults = faults
    result = splunkd.run("mimecast_at_safe_score", page_size=str(PAGE))
    assert result.returncode == 0, splunkd.log("safe_score")
    assert sorted(users_of(result, SOURCETYPE)) == emails(tenant)
    assert any("mc_summary=input" in line and "outcome=success" in line for line in splunkd.log("safe_score"))


@pytest.mark.parametrize(
    ("faults", "words"),
    [
        (Faults(server_errors=1000, path=PATH, after=2), "500"),
        (Faults(developer_key_fail=1000, path=PATH, after=2), "err_developer_key"),
        (Faults(malformed_json=1000, path=PATH, after=2), "JSON"),
        (Faults(binding_expired=1000, path=PATH, after=2), "418"),
        (Faults(missing_permission=1000, path=PATH, after=2), "permission"),
    ],
    ids=["5xx-lasting", "http-200-fail", "malformed-json", "418-binding-expired", "403"],
)
def test_a_lasting_fault_is_one_actionable_line_and_the_next_run_catches_up(splunkd, tenant, faults, words):
    tenant.faults = faults
    failed = splunkd.run("mimecast_at_safe_score", page_size=str(PAGE))
    assert failed.returncode != 0
    errors = [line for line in splunkd.log("safe_score") if " ERROR " in line]
    assert len(errors) == 1, errors
    assert "input 'mimecast_at_safe_score://test' (account 'sim')" in errors[0]
    assert "safe" in errors[0].lower() and words.lower() in errors[0].lower(), errors[0]
    assert "next interval" in errors[0]
    sent_before = users_of(failed, SOURCETYPE)
    assert len(sent_before) == 2 * PAGE  # the two pages that got through, and nothing of the third
    assert splunkd.table() == {}  # no risk-table update from an incomplete snapshot

    tenant.faults = Faults()
    rerun = splunkd.run("mimecast_at_safe_score", page_size=str(PAGE))
    assert rerun.returncode == 0
    seen = Counter(sent_before + users_of(rerun, SOURCETYPE))
    assert sorted(seen) == emails(tenant)
    assert sum(count - 1 for count in seen.values()) <= PAGE
    assert sorted(splunkd.table()) == emails(tenant)
