"""The Add-on health dashboard and the "Input failing or stale" alert read the structured run summaries."""

from __future__ import annotations

import re

from splunk_app.splunk import logs

from . import dashboard, spl

HEALTH = dashboard.VIEWS / "mimecast_awareness_health.xml"
ROOT, DEFINITION = dashboard.load(HEALTH)
SAVED = spl.conf("savedsearches.conf")
MACROS = spl.conf("macros.conf")
ALERT = SAVED["Mimecast Awareness - Input failing or stale"]
# The fields each kind of summary line carries (the contract of logs.summary_line's callers).
SUMMARY_FIELDS = {
    "input": {
        "name", "data_set", "account", "outcome", "records", "events", "pages", "requests", "gone",
        "duration", "error_class", "interval",
    },
    "action": {
        "action", "account", "group", "outcome", "users", "acted", "failed", "duration", "error_class",
    },
    "check": {"account", "outcome", "error_class", "duration"},
}  # fmt: skip
OUTCOME_COLOURS = {"success": "#1A9850", "partial": "#FC8D59", "failed": "#D73027", "skipped": "#BBBBBB"}
# The panels that read the containment records rather than the run summaries.
PAST_DUE_SOURCES = ("ds_past_due_count", "ds_past_due")
PAST_DUE = MACROS["mimecast_awareness_containments_past_due"]["definition"]
AUTO_KV = re.compile(r'(\w+)=("[^"]*"|[^\s"]+)')


def _query(name: str) -> str:
    return DEFINITION["dataSources"][name]["options"]["query"]


def test_it_is_a_dashboard_studio_view_in_the_nav():
    assert ROOT.get("version") == "2"
    assert ROOT.findtext("label") == "Add-on health"
    nav = (spl.DEFAULT / "data" / "ui" / "nav" / "default.xml").read_text(encoding="utf-8")
    assert '<view name="mimecast_awareness_health"/>' in nav


def test_it_shows_what_the_issue_asks_for():
    titles = {viz["title"] for viz in DEFINITION["visualizations"].values()}
    assert titles >= {
        "Every input's last run",
        "Input run outcomes over time",
        "Events per input",
        "Run duration per input",
        "Stale inputs",
        "Errors by class",
        "Group-action outcomes",
        "Account check failures",
        "Containments past their time",
    }


def test_every_search_reads_the_run_summaries_and_only_fields_they_carry():
    for name, source in DEFINITION["dataSources"].items():
        query = source["options"]["query"]
        if name in PAST_DUE_SOURCES:
            continue
        assert query.startswith("`mimecast_awareness_run_summaries` "), name
        kind = re.search(r"mc_summary=(\w+)", query)
        kinds = [kind.group(1)] if kind else list(SUMMARY_FIELDS)
        known = set().union(*(SUMMARY_FIELDS[k] for k in kinds)) | {"_time", "mc_summary"}
        macro = MACROS["mimecast_awareness_input_health"]["definition"] if "input_health" in query else ""
        read = re.findall(r"(?:latest|max|sum|count|dc)\((\w+)\)|by (\w+)|(\w+)(?:!?=)\"", query + macro)
        fields = {f for group in read for f in group if f} - {"input", "where", "count", "stale"}
        assert fields <= known, (name, fields - known)


def test_summary_lines_give_splunk_the_fields_the_dashboard_reads():
    """What logs.summary_line writes, read as Splunk's automatic key=value extraction reads it."""
    line = logs.summary_line(
        "input", name="mimecast_at_safe_score://prod", data_set="safe_score", account="prod",
        outcome="success", records=1000, events=1000, pages=2, requests=3, gone=0, duration=0.42,
        error_class="none", interval=3600,
    )  # fmt: skip
    fields = {key: value.strip('"') for key, value in AUTO_KV.findall(line)}
    assert set(fields) == SUMMARY_FIELDS["input"] | {"mc_summary"}
    assert fields["name"] == "mimecast_at_safe_score://prod"
    assert fields["duration"] == "0.420"


def test_stale_is_one_rule_shared_by_the_dashboard_and_the_alert():
    rule = MACROS["mimecast_awareness_input_health"]["definition"]
    assert 'now() - last_completed > 2 * period, "yes", "no")' in rule
    # The interval in seconds, or for a cron schedule the usual gap between runs: never a null that hides.
    assert "period=coalesce(tonumber(interval), usual_gap, 86400)" in rule
    assert 'outcome="success" OR outcome="partial"' in rule
    users = [
        name for name in DEFINITION["dataSources"] if "`mimecast_awareness_input_health`" in _query(name)
    ]
    assert sorted(users) == ["ds_input_health", "ds_stale", "ds_stale_count"]
    for name in users:
        # Staleness does not depend on the time picker: a silent input must still show after a day.
        assert DEFINITION["dataSources"][name]["options"]["queryParameters"]["earliest"] == "-7d@h", name
    assert "| `mimecast_awareness_input_health`" in ALERT["search"]


def test_the_alert_fires_on_a_failed_run_or_a_stale_input_and_ships_disabled():
    assert ALERT["disabled"] == "1"
    assert 'outcome="failed"' in ALERT["search"] and 'stale="yes"' in ALERT["search"]
    assert ALERT["dispatch.earliest_time"] == "-7d@h"
    assert ALERT["alert.suppress.fields"] == "name"


def test_outcomes_have_one_colour_each_everywhere():
    for name, viz in DEFINITION["visualizations"].items():
        colours = viz.get("options", {}).get("seriesColorsByField")
        if colours:
            assert colours == {outcome: dashboard.OUTCOME_COLOURS[outcome] for outcome in colours}, name
        if "outcomeColors" in viz.get("context", {}):
            cells = {rule["match"]: rule["value"] for rule in viz["context"]["outcomeColors"]}
            assert cells == OUTCOME_COLOURS, name


def test_containments_past_their_time_are_one_rule_over_the_containment_records():
    """The sweep must run for any containment to end: records whose time is up by more than an hour (four
    sweep runs) are users held too long, whatever the time picker says."""
    for name in PAST_DUE_SOURCES:
        query = _query(name)
        assert query.startswith("| `mimecast_awareness_containments_past_due`\n"), name
        assert "queryParameters" not in DEFINITION["dataSources"][name]["options"], name
    assert PAST_DUE.startswith("inputlookup mimecast_containment ")
    assert "tonumber(expires_at) < now() - 3600" in PAST_DUE
    # Users who were in the group before are never removed, so their records are no one held too long.
    assert 'NOT in(lower(tostring(already_member)), "true", "1")' in PAST_DUE
    collection = spl.conf("collections.conf")["mimecast_containment"]
    fields = spl.conf("transforms.conf")["mimecast_containment"]["fields_list"]
    columns = r"\b(expires_at|already_member|user|group|account|search_name)\b"
    read = set(re.findall(columns, PAST_DUE + _query("ds_past_due")))
    for field in read:
        assert f"field.{field}" in collection and field in fields, field
    count = DEFINITION["visualizations"]["viz_past_due_count"]
    assert "seriesByName('past_due')" in count["options"]["majorValue"]
    assert "as past_due" in _query("ds_past_due_count")


def test_an_alert_template_fires_on_the_same_rule_and_ships_disabled():
    alert = SAVED["Mimecast Awareness - Containment past its time"]
    assert alert["search"].startswith("| `mimecast_awareness_containments_past_due`")
    assert alert["disabled"] == "1" and alert["enableSched"] == "1"
    assert (alert["relation"], alert["quantity"]) == ("greater than", "0")
