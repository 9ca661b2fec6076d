"""Eventtypes, tags, alert templates and the Enterprise Security content say what they promise."""

from __future__ import annotations

import csv
import json

import pytest

from . import spl, spl_eval

SAVED = spl.conf("savedsearches.conf")
SOURCETYPES = {
    f"mimecast:awareness:{name}"
    for name in [
        "safe_score",
        "safe_score_summary",
        "watchlist",
        "performance",
        "user_module",
        "training",
        "module",
        "campaign",
        "campaign_result",
        "phishing_campaign",
        "phishing_result",
        "watchlist_summary",
        "performance_summary",
        "audit",
        "risk_change",
    ]
}
# Scheduled searches that act as soon as installed, and why that is safe: each only undoes what the add-on
# itself did at an administrator's request.
RUN_FROM_INSTALL = {
    "Mimecast Awareness - Containment sweep": "releases only containments an alert action recorded; "
    "with none recorded it makes no Mimecast call",
}
ES_IDENTITY_HEADER = [
    "identity", "prefix", "nick", "first", "last", "suffix", "email", "phone", "phone2", "managedBy",
    "priority", "bunit", "category", "watchlist", "startDate", "endDate",
    # ES 8 custom identity fields (ES allows 20): on events as user_mimecast_safe_grade and so on
    "mimecast_safe_grade", "mimecast_human_error", "mimecast_engagement", "mimecast_knowledge",
    "mimecast_sentiment", "mimecast_watchlist", "mimecast_watchlist_count", "mimecast_training_debt",
]  # fmt: skip
ALERT_TEMPLATES = [
    "Mimecast Awareness - Risky user clicked a link",
    "Mimecast Awareness - SAFE grade dropped",
    "Mimecast Awareness - Repeat phishing simulation clicker",
    "Mimecast Awareness - Overdue training",
    "Mimecast Awareness - ES human risk score",
    "Mimecast Awareness - Input failing or stale",
]


def test_every_sourcetype_of_props_has_an_eventtype_and_the_add_on_tag():
    props = {name for name in spl.conf("props.conf") if name.startswith("mimecast:awareness:")}
    assert props == SOURCETYPES
    eventtypes = spl.conf("eventtypes.conf")
    tags = spl.conf("tags.conf")
    covered = {stanza["search"].split("=", 1)[1].strip('"') for stanza in eventtypes.values()}
    assert covered >= SOURCETYPES
    assert tags["eventtype=mimecast_awareness"]["mimecast_awareness"] == "enabled"
    for name in eventtypes:
        assert f"eventtype={name}" in tags, f"eventtype {name} has no tags"
        assert set(tags[f"eventtype={name}"].values()) == {"enabled"}


@pytest.mark.parametrize("name", sorted(SAVED))
def test_every_saved_search_says_what_it_does(name):
    assert len(SAVED[name].get("description", "")) > 40


@pytest.mark.parametrize("name", sorted(SAVED))
def test_every_alert_or_action_is_shipped_disabled(name):
    stanza = SAVED[name]
    acts = any(key.startswith(("action.", "alert.", "counttype")) for key in stanza)
    if acts and name not in RUN_FROM_INSTALL:
        assert stanza.get("disabled") in {"1", "true"}, f"{name} would act as soon as installed"


def test_the_containment_sweep_is_scheduled_and_runs_the_sweep_action():
    stanza = SAVED["Mimecast Awareness - Containment sweep"]

    assert stanza.get("disabled", "0") in {"0", "false"} and stanza["enableSched"] == "1"
    assert stanza["action.mimecast_containment_sweep"] == "1"
    assert stanza["search"].startswith("| makeresults")


@pytest.mark.parametrize("name", ALERT_TEMPLATES)
def test_alert_templates_say_how_to_tune_them(name):
    stanza = SAVED[name]
    assert stanza["disabled"] == "1"
    assert "Tune:" in stanza["description"]
    assert stanza["enableSched"] == "1" and stanza["cron_schedule"]


def test_the_click_alert_enriches_with_the_search_command():
    search = SAVED["Mimecast Awareness - Risky user clicked a link"]["search"]
    assert "| mimecastrisk" in search
    assert "| `mimecast_awareness_risk_policy(mimecast_safe_grade, mimecast_watchlist)`" in search
    assert '| where policy_risky="true"' in search
    assert "default_domain" not in search  # DOMAIN\\user matches without options


def test_the_es_identity_search_writes_es_header_in_order():
    search = SAVED["Mimecast Awareness - ES identities"]["search"]
    table = next(command for command in spl_eval.pipeline(search) if command.startswith("table "))
    assert [f.strip() for f in table[len("table ") :].replace("\\\n", " ").split(",")] == ES_IDENTITY_HEADER
    assert search.rstrip().endswith("| outputlookup mimecast_es_identities")
    transforms = spl.conf("transforms.conf")
    assert transforms["mimecast_es_identities"]["filename"] == "mimecast_es_identities.csv"
    with (spl.ROOT / "lookups" / "mimecast_es_identities.csv").open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ES_IDENTITY_HEADER


def test_the_es_risk_rule_scores_users_through_the_risk_action():
    stanza = SAVED["Mimecast Awareness - ES human risk score"]
    assert stanza["action.risk"] == "1"
    assert json.loads(stanza["action.risk.param._risk"]) == [
        {"risk_object_field": "risk_object", "risk_object_type": "user", "risk_score": 0}
    ]
    search = stanza["search"]
    assert "| `mimecast_awareness_risk_policy(safe_grade, watchlist)`" in search
    assert "risk_score=policy_risk_score" in search
