"""API records become events: the record unchanged, the add-on's mc_* fields, split records with their
parent's keys, every event at the snapshot time."""

from __future__ import annotations

import json

from splunk_app.inputs import events as ev
from splunk_app.inputs.catalogue import SOURCETYPES, by_name

SNAP = ev.Snapshot(account="prod", snapshot_id="s1", time=1795001400.0)
ADDED = {"mc_account": "prod", "mc_snapshot_id": "s1", "mc_snapshot_time": "2026-11-18T11:30:00Z"}


def test_a_safe_score_event_is_the_record_plus_the_add_on_fields():
    record = {
        "emailAddress": "Ann@Example.COM",
        "name": "Ann",
        "risk": "",
        "humanError": "B",
        "userState": "ACTIVE",
    }
    (event,) = by_name("safe_score").shape(record, SNAP)
    assert event.sourcetype == "mimecast:awareness:safe_score"
    assert event.data == {**record, **ADDED, "mc_user": "ann@example.com"}
    assert event.time == SNAP.time
    assert json.loads(event.text()) == event.data


def test_the_snapshot_time_is_iso_8601_utc():
    assert SNAP.iso == "2026-11-18T11:30:00Z"


def test_a_performance_record_splits_into_the_user_and_one_event_per_module():
    modules = [{"title": "Phishing", "status": "Correct"}, {"title": "Passwords", "status": "Not Watched"}]
    record = {"email": "bob@example.com", "numCorrect": 1, "userDetails": modules}
    user, *rest = by_name("performance").shape(record, SNAP)
    assert user.sourcetype == "mimecast:awareness:performance"
    assert "userDetails" not in user.data
    assert user.data["mc_module_count"] == 2 and user.data["numCorrect"] == 1
    assert [event.sourcetype for event in rest] == ["mimecast:awareness:user_module"] * 2
    assert [{k: v for k, v in e.data.items() if not k.startswith("mc_")} for e in rest] == modules
    assert {event.data["mc_user"] for event in rest} == {"bob@example.com"}


def test_a_performance_record_without_user_details_is_one_event():
    (user,) = by_name("performance").shape({"email": "bob@example.com", "numCorrect": 0}, SNAP)
    assert user.data["mc_module_count"] == 0


def test_training_is_one_event_per_module_with_the_user_level_fields_and_canonical_spellings():
    record = {
        "training": [{"title": "T1", "watchedData": "2024-01-01T00:00:00+0000", "onWatchlist": True}],
        "needEngagement": True,
        "meritBadge": {"level": 2},
    }
    (event,) = by_name("training").shape("ann@example.com", record, SNAP)
    assert event.sourcetype == "mimecast:awareness:training"
    assert event.data["watchedData"] == "2024-01-01T00:00:00+0000"  # the record's own spelling stays
    assert event.data["watchedDate"] == "2024-01-01T00:00:00+0000"
    assert event.data["onWatchList"] is True
    assert event.data["needEngagement"] is True and event.data["meritBadge"] == {"level": 2}
    assert event.data["mc_user"] == "ann@example.com"


def test_a_user_without_training_modules_still_gets_an_event():
    (event,) = by_name("training").shape("ann@example.com", {"training": [], "needEngagement": False}, SNAP)
    assert event.data["needEngagement"] is False and event.data["mc_module_count"] == 0


def test_campaign_results_carry_the_campaign_id_and_name():
    parent = {"id": "c1", "name": "Q3 phishing"}
    record = {"email": "Max@X.com", "results": {"forQuestion1": "CORRECT"}}
    (event,) = by_name("campaign").results.shape(parent, record, SNAP)
    assert event.sourcetype == "mimecast:awareness:campaign_result"
    assert event.data["mc_campaign_id"] == "c1" and event.data["mc_campaign_name"] == "Q3 phishing"
    assert event.data["mc_user"] == "max@x.com" and event.data["results"] == record["results"]
    (phish,) = by_name("phishing").results.shape(parent, {"email": "a@b.c", "status": "clicked"}, SNAP)
    assert phish.sourcetype == "mimecast:awareness:phishing_result"


def test_every_sourcetype_a_shape_writes_is_documented():
    shaped = [
        *by_name("safe_score").shape({"emailAddress": "a@b.c"}, SNAP),
        *by_name("safe_score_summary").shape({"scoreCounts": {"a": 1}}, SNAP),
        *by_name("watchlist").shape({"email": "a@b.c"}, SNAP),
        *by_name("watchlist_summary").shape({"type": "video_count_0", "numUsers": 3}, SNAP),
        *by_name("performance").shape({"email": "a@b.c", "userDetails": [{}]}, SNAP),
        *by_name("performance_summary").shape({"department": "Sales", "numParticipating": 4}, SNAP),
        *by_name("training").shape("a@b.c", {"training": [{}]}, SNAP),
        *by_name("queue").shape({"id": "m"}, SNAP),
        *by_name("campaign").shape({"id": "c"}, SNAP),
        *by_name("campaign").results.shape({"id": "c"}, {"email": "a@b.c"}, SNAP),
        *by_name("phishing").shape({"id": "p"}, SNAP),
        *by_name("phishing").results.shape({"id": "p"}, {"email": "a@b.c"}, SNAP),
    ]
    assert {event.sourcetype for event in shaped} == set(SOURCETYPES)


def test_the_content_hash_ignores_key_order_and_sees_any_change():
    assert ev.content_hash({"a": 1, "b": [1, 2]}) == ev.content_hash({"b": [1, 2], "a": 1})
    assert ev.content_hash({"a": 1}) != ev.content_hash({"a": 2})


def test_a_record_without_email_is_keyed_by_its_content():
    assert ev.user_key({"name": "x"}).startswith("no-email:")
    assert ev.user_key({"email": "A@B.C"}) == "a@b.c"


def test_one_odd_record_is_written_losslessly_as_json_splunk_reads():
    record = {
        "emailAddress": "a@b.c",
        "name": "\ud800x",
        "score": float("inf"),
        "n": [float("nan")],
        "t": "\uffff",
    }
    (event,) = by_name("safe_score").shape(record, SNAP)
    text = event.text()
    text.encode("utf-8")  # a lone surrogate would not encode
    back = json.loads(text)  # strict JSON: no NaN or Infinity tokens
    assert back["name"] == "\ud800x" and back["t"] == "\uffff"
    assert (back["score"], back["n"]) == ("Infinity", ["NaN"])
    assert "Infinity" not in text.replace('"Infinity"', "")


def test_any_json_value_has_a_content_hash():
    odd = {"a": "\udfff", "b": float("nan"), "c": [{"d": float("-inf")}]}
    assert ev.content_hash(odd) == ev.content_hash(dict(reversed(list(odd.items()))))
    assert ev.content_hash(odd) != ev.content_hash({**odd, "a": "x"})
