"""Risk-table changes as the bin/ inputs write them (subprocess, splunkd's input definition, the splunkd
stand-in's KV store) against the simulated tenant moving on between two pulls."""

from __future__ import annotations

from .conftest import payloads

CHANGE = "mimecast:awareness:risk_change"
WATCHLIST = "/api/awareness-training/company/get-watchlist-details"


def grades(splunkd):
    return {email: row["safe_grade"] for email, row in splunkd.table().items()}


def test_the_first_fill_writes_no_change_and_the_next_pull_one_per_grade_change_and_leaver(splunkd, tenant):
    first = splunkd.run("mimecast_at_safe_score", page_size="7")
    assert first.returncode == 0 and payloads(first, CHANGE) == []
    before = grades(splunkd)
    tenant.advance(changed=12, removed=2)
    second = splunkd.run("mimecast_at_safe_score", page_size="7")
    assert second.returncode == 0, second.stderr
    after = grades(splunkd)
    moved = sorted(e for e in after if e in before and before[e] and after[e] and before[e] != after[e])
    left = sorted(set(before) - set(after))
    assert moved and len(left) == 2  # the tenant did change some grades
    changes = payloads(second, CHANGE)
    assert sorted(c["user"] for c in changes if c["change"] == "grade") == moved
    assert sorted(c["user"] for c in changes if c["change"] == "left") == left
    for change in changes:
        assert (change["old_grade"], change["new_grade"]) == (
            before[change["user"]],
            after.get(change["user"], ""),
        )
        assert change["mc_input"] == "safe_score" and change["mc_account"] == "sim"
    events = [event for event in second.events if event.sourcetype == CHANGE]
    assert all(e.index == "mimecast" and e.stanza == "mimecast_at_safe_score://test" for e in events)
    summary = [line for line in splunkd.log("safe_score") if "mc_summary=input" in line][-1]
    assert f"risk_changed={len(changes)}" in summary


def test_the_watch_list_input_writes_joins_and_leaves_once_it_has_reported_everyone(splunkd, tenant):
    assert splunkd.run("mimecast_at_safe_score").returncode == 0
    first = splunkd.run("mimecast_at_watchlist")
    assert first.returncode == 0 and payloads(first, CHANGE) == []
    before = {r["email"].lower() for r in tenant.expected(WATCHLIST)}
    tenant.advance(changed=20)
    after = {r["email"].lower() for r in tenant.expected(WATCHLIST)}
    table = set(splunkd.table())
    assert after != before
    second = splunkd.run("mimecast_at_watchlist")
    changes = {(c["user"], c["old_watchlist"], c["new_watchlist"]) for c in payloads(second, CHANGE)}
    joined = {(user, "false", "true") for user in (after - before) & table}
    off = {(user, "true", "false") for user in before - after}
    assert changes == joined | off
