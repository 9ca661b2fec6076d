"""The runner with fakes for its collaborators: what each data set requests and writes, emit on change, and
crash safety in process (the subprocess kill test is in tests/workshop/inputs)."""

from __future__ import annotations

from collections import Counter

import pytest

from splunk_app.inputs import runner
from splunk_app.inputs.catalogue import by_name
from splunk_app.inputs.settings import parse
from splunk_app.mimecast import MimecastError
from splunk_app.risk.sync import Spool
from splunk_app.state import Checkpoint

from .fakes import Crash, FakeClient, ListSink, MemoryStore

HOUR = 3600.0


def users(n, grade="B", generation=0):
    return [{"emailAddress": f"user{i:03d}@x.com", "risk": grade, "gen": generation} for i in range(n)]


def run(kind, client, folder, now, sink=None, risk=None, users=(), **settings):
    """One run of data set `kind` with these settings (as the Inputs page would send them)."""
    data_set = by_name(kind)
    checkpoint = Checkpoint(str(folder), f"mimecast_at_{kind}://t", 24 * HOUR, HOUR)
    sink = sink if sink is not None else ListSink()
    values = parse(data_set.all_settings, {"account": "acct", **{k: str(v) for k, v in settings.items()}})
    snapshot = runner.new_snapshot("acct", now)
    outcome = runner.run(
        data_set,
        values,
        client=client,
        checkpoint=checkpoint,
        sink=sink,
        snapshot=snapshot,
        risk=risk,
        users=users,
    )
    return outcome, sink


def test_only_changed_users_are_re_emitted_and_all_once_the_period_has_passed(tmp_path):
    records = users(10)
    client = FakeClient({"safe_score_details": lambda data: records})
    first, sink = run("safe_score", client, tmp_path, 0.0, page_size=4)
    assert (first.events, first.pages, first.complete) == (10, 3, True)
    records[3] = {**records[3], "risk": "F"}
    records[7] = {**records[7], "risk": "D"}
    _second, sink = run("safe_score", client, tmp_path, HOUR, page_size=4)
    assert sink.users("mimecast:awareness:safe_score") == ["user003@x.com", "user007@x.com"]
    third, sink = run("safe_score", client, tmp_path, 2 * HOUR, page_size=4)
    assert third.events == 0 and third.records == 10
    # Each record is re-sent before its last copy is 24 h old at the next run: those sent at 0 h now,
    # the two sent at 1 h an hour later.
    fourth, sink = run("safe_score", client, tmp_path, 23 * HOUR, page_size=4)
    assert fourth.events == 8 and "user003@x.com" not in sink.users("mimecast:awareness:safe_score")
    _fifth, sink = run("safe_score", client, tmp_path, 24 * HOUR, page_size=4)
    assert sink.users("mimecast:awareness:safe_score") == ["user003@x.com", "user007@x.com"]


def test_a_page_is_flushed_before_it_is_committed(tmp_path):
    client = FakeClient({"safe_score_details": users(5)})
    checkpoint = Checkpoint(str(tmp_path), "mimecast_at_safe_score://t", 24 * HOUR)
    order = []
    sink = ListSink()
    real_flush, real_commit = sink.flush, checkpoint.commit
    sink.flush = lambda: (order.append("flush"), real_flush())  # type: ignore[method-assign]
    checkpoint.commit = lambda *a, **k: (order.append("commit"), real_commit(*a, **k))  # type: ignore[method-assign]
    values = parse(by_name("safe_score").all_settings, {"account": "acct", "page_size": "2"})
    snapshot = runner.new_snapshot("acct", 0.0)
    runner.run(
        by_name("safe_score"), values, client=client, checkpoint=checkpoint, sink=sink, snapshot=snapshot
    )
    assert order == ["flush", "commit"] * 3


class DyingSink(ListSink):
    """Dies (as a SIGKILL would) after writing `limit` events."""

    def __init__(self, limit):
        super().__init__()
        self.limit = limit

    def write(self, event):
        if len(self.events) == self.limit:
            raise Crash("killed mid-page")
        super().write(event)


@pytest.mark.parametrize("killed_after", [0, 1, 5, 6, 13, 19])
def test_a_run_killed_mid_page_loses_nobody_and_repeats_at_most_that_page(tmp_path, killed_after):
    records = users(20)
    client = FakeClient({"safe_score_details": records})
    first = DyingSink(killed_after)
    with pytest.raises(Crash):
        run("safe_score", client, tmp_path, 0.0, sink=first, page_size=6)
    _, rerun = run("safe_score", client, tmp_path, HOUR, page_size=6)
    seen = Counter(
        first.users("mimecast:awareness:safe_score") + rerun.users("mimecast:awareness:safe_score")
    )
    assert set(seen) == {r["emailAddress"] for r in records}
    assert sum(count - 1 for count in seen.values()) <= 6


def test_a_run_killed_between_pages_repeats_nothing(tmp_path):
    records = users(20)
    with pytest.raises(Crash):
        run(
            "safe_score",
            FakeClient({"safe_score_details": records}, crash_after=2),
            tmp_path,
            0.0,
            page_size=6,
        )
    _, rerun = run("safe_score", FakeClient({"safe_score_details": records}), tmp_path, HOUR, page_size=6)
    assert rerun.users("mimecast:awareness:safe_score") == [r["emailAddress"] for r in records[12:]]


def test_a_complete_snapshot_updates_the_risk_table_and_drops_departed_users(tmp_path):
    store = MemoryStore()
    records = users(6, grade="D")
    client = FakeClient({"safe_score_details": lambda data: records})
    risk = runner.RiskTable(store, Spool(str(tmp_path), "risk-"))
    outcome, _ = run("safe_score", client, tmp_path, 0.0, page_size=4, risk=risk)
    assert outcome.risk.saved == 6 and len(store.rows) == 6
    del records[2]
    risk = runner.RiskTable(store, Spool(str(tmp_path), "risk-"))
    outcome, _ = run("safe_score", client, tmp_path, HOUR, page_size=4, risk=risk)
    assert outcome.gone == 1 and "user002@x.com" not in store.rows and len(store.rows) == 5
    assert not [p for p in tmp_path.iterdir() if p.name.endswith("spool.sqlite")]


def test_a_failed_run_leaves_the_risk_table_alone(tmp_path):
    store = MemoryStore()
    client = FakeClient({"safe_score_details": users(10)}, crash_after=1)
    risk = runner.RiskTable(store, Spool(str(tmp_path), "risk-"))
    with pytest.raises(Crash):
        run("safe_score", client, tmp_path, 0.0, page_size=4, risk=risk)
    assert store.rows == {}


def test_watch_list_and_performance_send_their_options(tmp_path):
    client = FakeClient({"watchlist_details": [], "performance_details": []})
    options = {"filterBy": [{"fieldName": "type", "value": "video_count_0"}]}
    run("watchlist", client, tmp_path, 0.0, filter_by="video_count_0")
    run("performance", client, tmp_path, 0.0)
    assert client.calls == [
        ("watchlist_details", [options]),
        ("performance_details", [{"includeUserDetails": True}]),
    ]


def test_get_user_data_is_called_once_per_campaign_with_its_id(tmp_path):
    campaigns = [{"id": "c1", "name": "One"}, {"id": "c2", "name": "Two"}]
    results = {"c1": [{"email": "a@x.com"}], "c2": [{"email": "a@x.com"}, {"email": "b@x.com"}]}
    client = FakeClient({"campaigns": campaigns, "campaign_user_data": lambda data: results[data[0]["id"]]})
    _outcome, sink = run("campaign", client, tmp_path, 0.0, result_filter="incorrect")
    assert [call for call in client.calls if call[0] == "campaign_user_data"] == [
        ("campaign_user_data", [{"id": "c1", "filterBy": [{"fieldName": "status", "value": "incorrect"}]}]),
        ("campaign_user_data", [{"id": "c2", "filterBy": [{"fieldName": "status", "value": "incorrect"}]}]),
    ]
    kinds = Counter(event.sourcetype for event in sink.events)
    assert kinds == {"mimecast:awareness:campaign": 2, "mimecast:awareness:campaign_result": 3}
    assert {e.data["mc_campaign_name"] for e in sink.events if "mc_campaign_id" in e.data} == {"One", "Two"}


def test_phishing_reads_campaigns_then_their_results(tmp_path):
    client = FakeClient(
        {
            "phishing_campaigns": [{"id": "p1", "name": "P"}],
            "phishing_user_data": lambda data: [{"email": "a@x.com", "status": "clicked"}],
        }
    )
    _outcome, sink = run("phishing", client, tmp_path, 0.0)
    assert [e.sourcetype for e in sink.events] == [
        "mimecast:awareness:phishing_campaign",
        "mimecast:awareness:phishing_result",
    ]


def test_training_walks_the_user_list_a_slice_per_run(tmp_path):
    asked = []

    def details(data):
        asked.append(data[0]["emailAddress"])
        return [{"training": [{"title": "T"}], "needEngagement": False}]

    client = FakeClient({"training_details": details})
    everyone = [f"u{i}@x.com" for i in range(5)]
    first, _ = run("training", client, tmp_path, 0.0, users=everyone, max_users_per_run=2)
    second, _ = run("training", client, tmp_path, HOUR, users=everyone, max_users_per_run=2)
    third, _ = run("training", client, tmp_path, 2 * HOUR, users=everyone, max_users_per_run=2)
    assert asked == ["u0@x.com", "u1@x.com", "u2@x.com", "u3@x.com", "u4@x.com", "u0@x.com"]
    assert (first.events, second.events, third.events) == (2, 2, 1)  # u0 unchanged in the third run
    assert not first.complete
    assert first.partial == (
        "this run pulled 2 of the 5 users (max_users_per_run 2); the next runs take the others in turn"
    )
    everyone_at_once, _ = run("training", client, tmp_path, 3 * HOUR, users=everyone, max_users_per_run=5)
    assert everyone_at_once.complete and everyone_at_once.partial == ""


def test_training_skips_a_user_mimecast_does_not_know(tmp_path):
    def details(data):
        if data[0]["emailAddress"] == "gone@x.com":
            raise MimecastError("user not found", endpoint="training_details", code="err_user_not_found")
        return [{"training": []}]

    outcome, sink = run(
        "training",
        FakeClient({"training_details": details}),
        tmp_path,
        0.0,
        users=["gone@x.com", "here@x.com"],
        max_users_per_run=10,
    )
    assert outcome.skipped == ["gone@x.com"] and len(sink.events) == 1 and outcome.complete


def test_summary_and_queue(tmp_path):
    client = FakeClient(
        {"safe_score_summary": [{"scoreCounts": {"a": 1}}], "queue": [{"id": "m1"}, {"id": "m2"}]}
    )
    outcome, sink = run("safe_score_summary", client, tmp_path, 0.0)
    assert [e.sourcetype for e in sink.events] == ["mimecast:awareness:safe_score_summary"]
    outcome, sink = run("queue", client, tmp_path, 0.0)
    assert outcome.events == 2
    outcome, sink = run("queue", client, tmp_path, HOUR)
    assert outcome.events == 0


def test_risk_table_changes_are_events_of_the_run_that_saw_them_flushed_with_it(tmp_path):
    store = MemoryStore()
    records = users(4, grade="B")
    client = FakeClient({"safe_score_details": lambda data: records})

    def again(now):
        return run(
            "safe_score", client, tmp_path, now, risk=runner.RiskTable(store, Spool(str(tmp_path), "r-"))
        )

    _first, sink = again(0.0)
    assert sink.users(runner.RISK_CHANGE) == []  # the first fill
    records[1] = {**records[1], "risk": "F"}
    del records[3]
    second, sink = again(HOUR)
    changes = [event for event in sink.events if event.sourcetype == runner.RISK_CHANGE]
    assert [
        (e.data["user"], e.data["change"], e.data["old_grade"], e.data["new_grade"]) for e in changes
    ] == [
        ("user001@x.com", "grade", "B", "F"),
        ("user003@x.com", "left", "B", ""),
    ]
    for event in changes:
        assert event.time == HOUR and event.data["mc_input"] == "safe_score"
        assert event.data["mc_user"] == event.data["user"] and event.data["mc_account"] == "acct"
    assert sink.flushed_at[-1] == len(sink.events) and second.risk.changed == 2
    assert second.events == len(sink.events)
