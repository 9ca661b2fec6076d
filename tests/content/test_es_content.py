"""The Enterprise Security content over the risk-table change events: the change sourcetype is the one the
inputs write, the identity lookup's custom fields and the setting that leaves them out, and the detections'
risk scores, run with the SPL evaluator against the risk policy table."""

from __future__ import annotations

import json

import pytest

from splunk_app.inputs import runner
from splunk_app.inputs.catalogue import by_name
from splunk_app.inputs.events import Snapshot
from splunk_app.risk.policy import shipped, with_changes
from splunk_app.risk.sync import Change
from splunk_app.splunk.admin_tables import POLICY_COLLECTION

from . import spl, spl_eval
from .test_knowledge import ES_IDENTITY_HEADER

SAVED = spl.conf("savedsearches.conf")
MACROS = spl.conf("macros.conf")
DROP = "Mimecast Awareness - ES risk: SAFE grade dropped"
JOIN = "Mimecast Awareness - ES risk: joined the watch list"
PHISH = "Mimecast Awareness - ES risk: repeated phishing simulation failures"
DETECTIONS = [DROP, JOIN, PHISH]
CUSTOM = ES_IDENTITY_HEADER[ES_IDENTITY_HEADER.index("endDate") + 1 :]


def written(change: Change) -> dict:
    """A change event as the input writes it: through the runner, into a sink, as the JSON Splunk indexes."""
    events = []
    sink = type("Sink", (), {"write": lambda self, e: events.append(e), "flush": lambda self: None})()
    run = runner._Run(by_name("safe_score"), {}, None, None, sink, Snapshot("acct", "s1", 1795000000.0))
    run.changed(change)
    (event,) = events
    assert event.sourcetype == runner.RISK_CHANGE
    return json.loads(event.text())


def test_the_change_sourcetype_is_the_one_the_inputs_write_and_is_searchable():
    props = spl.conf("props.conf")[runner.RISK_CHANGE]
    assert props["KV_MODE"] == "json" and props["TIME_PREFIX"].startswith('"mc_snapshot_time"')
    assert "INDEXED_EXTRACTIONS" not in props
    eventtype = spl.conf("eventtypes.conf")["mimecast_awareness_risk_change"]
    assert eventtype["search"] == f'sourcetype="{runner.RISK_CHANGE}"'
    assert spl.conf("tags.conf")["eventtype=mimecast_awareness_risk_change"]["human_risk"] == "enabled"
    data = written(Change("a@x.com", "grade", "B", "D", "false", "false"))
    assert {key: data[key] for key in ("user", "change", "old_grade", "new_grade", "old_watchlist")} == {
        "user": "a@x.com",
        "change": "grade",
        "old_grade": "B",
        "new_grade": "D",
        "old_watchlist": "false",
    }
    assert (data["new_watchlist"], data["mc_input"], data["mc_user"]) == ("false", "safe_score", "a@x.com")
    assert data["mc_snapshot_time"] == "2026-11-18T11:06:40Z"  # what TIME_PREFIX reads: the snapshot time


@pytest.mark.parametrize("name", DETECTIONS)
def test_each_detection_is_a_disabled_risk_rule_for_the_user_with_t1566_and_says_why_and_how_to_tune(name):
    stanza = SAVED[name]
    assert stanza["disabled"] == "1" and stanza["enableSched"] == "1"
    assert stanza["action.risk"] == "1" and stanza["action.correlationsearch.enabled"] == "1"
    assert json.loads(stanza["action.risk.param._risk"]) == [
        {"risk_object_field": "risk_object", "risk_object_type": "user", "risk_score": 0}
    ]  # each result's own risk_score, from the policy, is the score
    assert json.loads(stanza["action.correlationsearch.annotations"]) == {"mitre_attack": ["T1566"]}
    assert "Why:" in stanza["description"] and "Tune:" in stanza["description"]
    assert "risk_score=coalesce(tonumber(policy_" in stanza["search"]
    assert "risk_object, risk_object_type, risk_score" in stanza["search"]


def scored(
    name: str, events: list[dict], verb: str = "search", policy_rows: list[dict] | None = None
) -> list[dict]:
    """The detection's SPL after `verb`, run over `events`, with the administrator's policy rows if any."""
    search = spl_eval.after(SAVED[name]["search"], verb)
    return spl_eval.run(search, [dict(e) for e in events], {POLICY_COLLECTION: policy_rows or []})


def event(old_grade, new_grade, old_listed="false", new_listed="false", user="A@X.com"):
    what = " ".join(
        name
        for name, was, now in (("grade", old_grade, new_grade), ("watchlist", old_listed, new_listed))
        if was != now
    )
    return written(Change(user, what or "grade", old_grade, new_grade, old_listed, new_listed))


@pytest.mark.parametrize(
    ("old", "new", "listed"),
    [("B", "D", "false"), ("a", "b", "true"), ("C", "F", "false"), ("D", "F", "true")],
)
def test_a_grade_drop_raises_the_policys_change_score_for_the_row_dropped_into(old, new, listed):
    (result,) = scored(DROP, [event(old, new, listed, listed)])
    rule = shipped().rule(new, listed == "true")
    assert result["risk_score"] == rule.change_risk_score and result["risk_object"] == "a@x.com"
    assert (result["risk_object_type"], result["old_grade"], result["new_grade"]) == (
        "user",
        old.upper(),
        new.upper(),
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("D", "B"),
        ("C", "C"),
        ("", "D"),
        ("E", "D"),
        ("B", "E"),
        ("E", "E"),
        ("B", "B+"),
        ("B", "=1+1"),
        ("B", ""),
        ("unknown", "F"),
    ],
)
def test_no_risk_for_a_better_grade_or_one_the_policy_does_not_rank(old, new):
    assert scored(DROP, [event(old, new)]) == []


def test_the_administrators_policy_rows_score_the_detections_a_row_scored_0_raises_nothing():
    """The detections read the policy as the macro does: the administrator's rows (the KV store collection
    an upgrade keeps) before the shipped table; Python's policy with the same rows agrees."""
    d = {"grade": "D", "rank": "4", "priority": "critical", "risky": "true"}
    rows = [
        {**d, "watchlist": "false", "risk_score": "60", "change_risk_score": "0"},
        {**d, "watchlist": "true", "risk_score": "80", "change_risk_score": "75"},
    ]
    assert scored(DROP, [event("B", "D")], policy_rows=rows) == []
    assert scored(DROP, [event("B", "D", "true", "true")], policy_rows=rows)[0]["risk_score"] == 75
    assert with_changes(shipped(), rows, POLICY_COLLECTION).rule("D", True).change_risk_score == 75
    assert scored(DROP, [event("B", "D")])[0]["risk_score"] == shipped().rule("D").change_risk_score > 0


@pytest.mark.parametrize("grade", ["A", "F", "", "E"])
def test_a_watch_list_join_raises_the_change_score_of_the_grade_on_the_watch_list(grade):
    (result,) = scored(JOIN, [event(grade, grade, "false", "true")])
    assert result["risk_score"] == shipped().rule(grade, True).change_risk_score > 0
    assert result["safe_grade"] == grade.upper()


@pytest.mark.parametrize(("old", "new"), [("true", "false"), ("", "true"), ("true", "true")])
def test_leaving_the_watch_list_or_a_first_status_raises_nothing(old, new):
    assert scored(JOIN, [event("D", "D", old, new)]) == []


@pytest.mark.parametrize(("grade", "listed"), [("A", "false"), ("D", "true"), (None, None), ("E", "false")])
def test_repeated_phishing_failures_raise_the_policys_phish_score_for_the_users_row(grade, listed):
    after_command = {
        "mc_user": "A@X.com",
        "failures": "3",
        "last_failure": "1795000000",
        "mimecast_safe_grade": grade,
        "mimecast_watchlist": listed,
    }
    (result,) = scored(PHISH, [after_command], verb="mimecastrisk")
    assert result["risk_score"] == shipped().rule(grade, listed == "true").phish_risk_score
    assert result["risk_object"] == "a@x.com" and result["last_failure"] == "2026-11-18T11:06:40Z"


def identity_fields(setting: str, monkeypatch) -> dict:
    stanzas = {**MACROS, "mimecast_awareness_es_identity_risk": {"definition": setting}}
    monkeypatch.setattr(
        spl, "conf", lambda name: stanzas if name == "macros.conf" else spl.read_conf(spl.DEFAULT / name)
    )
    row = {
        "safe_grade": "d", "human_error": "c", "engagement": "B", "knowledge": "a", "sentiment": "F",
        "watchlist": "true", "watchlist_count": "x7", "num_not_watched": "4", "priority": "critical",
        "category": "mimecast_awareness|safe_grade_d",
    }  # fmt: skip
    (result,) = spl_eval.run(spl_eval.macros("`mimecast_awareness_es_identity_fields`"), [row])
    return result


def test_the_identity_lookup_carries_the_grade_its_components_watch_list_and_training_debt(monkeypatch):
    assert len(CUSTOM) == 8 <= 20 and all(name.startswith("mimecast_") for name in CUSTOM)
    assert MACROS["mimecast_awareness_es_identity_risk"]["definition"] == '"include"'
    fields = identity_fields('"include"', monkeypatch)
    assert {name: fields[name] for name in CUSTOM} == {
        "mimecast_safe_grade": "D",
        "mimecast_human_error": "C",
        "mimecast_engagement": "B",
        "mimecast_knowledge": "A",
        "mimecast_sentiment": "F",
        "mimecast_watchlist": "true",
        "mimecast_watchlist_count": "x7",  # not a number: passed on as it is, nothing fails
        "mimecast_training_debt": "4",
    }
    assert (fields["priority"], fields["category"], fields["watchlist"]) == (
        "critical",
        "mimecast_awareness|safe_grade_d",
        "true",
    )
    assert "mc_share" not in fields
    search = SAVED["Mimecast Awareness - ES identities"]["search"]
    assert search.index("`mimecast_awareness_risk_policy(") < search.index(
        "`mimecast_awareness_es_identity_fields`"
    )


@pytest.mark.parametrize("setting", ['"exclude"', '"EXCLUDE"', '"no"'])
def test_the_setting_keeps_grades_out_of_es_identities(setting, monkeypatch):
    fields = identity_fields(setting, monkeypatch)
    assert all(fields[name] == "" for name in CUSTOM)
    assert (fields["priority"], fields["category"], fields["watchlist"]) == (
        "",
        "mimecast_awareness",
        "false",
    )
