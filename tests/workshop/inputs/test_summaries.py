"""The two API 2.0 summaries as splunkd runs their inputs: the performance summary one event per
department with every field Mimecast sent, the watch-list summary's records as they come."""

from __future__ import annotations

from .conftest import payloads

AT = "/api/awareness-training/company"
OWN_FIELDS = {"mc_account", "mc_snapshot_id", "mc_snapshot_time"}


def _records(result, sourcetype):
    return [{k: v for k, v in p.items() if not k.startswith("mc_")} for p in payloads(result, sourcetype)]


def test_performance_summary_is_one_event_per_department_with_every_field(splunkd, tenant):
    result = splunkd.run("mimecast_at_performance_summary")

    assert result.returncode == 0, result.stderr
    expected = list(tenant.expected(f"{AT}/get-performance-summary"))
    assert len(expected) > 1
    assert _records(result, "mimecast:awareness:performance_summary") == expected
    events = payloads(result, "mimecast:awareness:performance_summary")
    assert [e["mc_department"] for e in events] == [r["department"] for r in expected]
    assert set(events[0]) == set(expected[0]) | OWN_FIELDS | {"mc_department"}
    assert {"numZeroIncorrect", "numFourOrMoreIncorrect", "numParticipating", "numVideosNotWatched"} <= set(
        events[0]
    )


def test_watchlist_summary_records_are_written_as_they_come(splunkd, tenant):
    result = splunkd.run("mimecast_at_watchlist_summary")

    assert result.returncode == 0, result.stderr
    assert _records(result, "mimecast:awareness:watchlist_summary") == list(
        tenant.expected(f"{AT}/get-watchlist-summary")
    )


def test_an_unchanged_summary_is_not_sent_again_until_the_full_snapshot(splunkd, tenant):
    first = splunkd.run("mimecast_at_performance_summary")
    second = splunkd.run("mimecast_at_performance_summary")
    tenant.advance(changed=10)
    third = splunkd.run("mimecast_at_performance_summary")

    assert first.events and second.events == []
    changed = {p["mc_department"] for p in payloads(third)}
    assert changed and changed <= {p["mc_department"] for p in payloads(first)}
