"""Risk-table changes as the bin/ inputs write them (subprocess, splunkd's input definition, the splunkd
stand-in's KV store) against the simulated tenant moving on between two pulls."""

from __future__ import annotations

from devkit.simulator import Faults
from splunk_app.risk.policy import shipped

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


def test_an_emptied_snapshot_writes_no_left_events_and_one_warning(splunkd, tenant):
    assert splunkd.run("mimecast_at_safe_score").returncode == 0
    before = splunkd.table()
    tenant.advance(removed=tenant.user_count)  # a broken pull: Mimecast answers with no users at all
    emptied = splunkd.run("mimecast_at_safe_score")
    assert emptied.returncode == 0, emptied.stderr
    assert payloads(emptied, CHANGE) == [] and splunkd.table() == before
    warned = [line for line in splunkd.log("safe_score") if "a complete snapshot held no users" in line]
    assert len(warned) == 1 and " WARNING " in warned[0]


def test_a_grade_the_policy_does_not_know_is_kept_ranked_as_unknown_and_a_change_only_once(splunkd, tenant):
    """E (the simulated tenant's odd_values fault, not a recording of Mimecast) is stored as sent, takes the
    policy's unknown priority, and moving into it is one change event; the same E on the next pull is none.
    A component that is no grade (a formula) leaves its column empty and the row standing."""
    assert splunkd.run("mimecast_at_safe_score").returncode == 0
    before = grades(splunkd)
    tenant.faults = Faults(odd_values=True)  # every 7th user's risk is "E"
    tenant.advance(changed=12)
    second = splunkd.run("mimecast_at_safe_score")
    assert second.returncode == 0, second.stderr
    table = splunkd.table()
    odd = {e for e, row in table.items() if row["safe_grade"] == "E"}
    assert odd and all(before[e] not in ("", "E") for e in odd)  # graded A to F before, E now
    assert {table[e]["priority"] for e in odd} == {shipped().priority("E")} == {shipped().priority(None)}
    moved = sorted(e for e in before if e in table and before[e] != table[e]["safe_grade"])
    assert set(odd) <= set(moved)
    changes = payloads(second, CHANGE)
    assert sorted(c["user"] for c in changes) == moved
    assert {(c["old_grade"], c["new_grade"]) for c in changes if c["user"] in odd} == {
        (before[e], "E") for e in odd
    }
    # Their knowledge grade is a spreadsheet formula: that column stays empty, one WARNING per user.
    assert {table[e]["knowledge"] for e in odd} == {""}
    unreadable = [line for line in splunkd.log("safe_score") if "is not a SAFE grade" in line]
    assert sorted(line.split(" of user ")[1].split()[0] for line in unreadable) == sorted(odd)
    assert all(" WARNING " in line and "knowledge of user" in line for line in unreadable)
    tenant.advance(changed=12)
    third = splunkd.run("mimecast_at_safe_score")
    assert third.returncode == 0, third.stderr
    again = splunkd.table()
    assert {e for e, row in again.items() if row["safe_grade"] == "E"} == odd
    later = sorted(e for e in table if e in again and table[e]["safe_grade"] != again[e]["safe_grade"])
    assert sorted(c["user"] for c in payloads(third, CHANGE)) == later
    assert not odd & set(later)


def test_a_watch_list_count_that_is_not_a_number_still_joins_the_watch_list(splunkd, tenant):
    assert splunkd.run("mimecast_at_safe_score").returncode == 0
    assert splunkd.run("mimecast_at_watchlist").returncode == 0
    before = {r["email"].lower() for r in tenant.expected(WATCHLIST)}
    tenant.faults = Faults(odd_values=True)  # every 7th user's watchlistCount is "many"
    tenant.advance(changed=20)
    after = {r["email"].lower() for r in tenant.expected(WATCHLIST)}
    second = splunkd.run("mimecast_at_watchlist")
    assert second.returncode == 0, second.stderr
    table = splunkd.table()
    uncounted = {e for e in after & set(table) if table[e]["watchlist_count"] == ""}
    assert uncounted & (after - before) and {table[e]["watchlist"] for e in uncounted} == {"true"}
    changes = {(c["user"], c["old_watchlist"], c["new_watchlist"]) for c in payloads(second, CHANGE)}
    joined = {(user, "false", "true") for user in (after - before) & set(table)}
    assert changes == joined | {(user, "true", "false") for user in before - after}
