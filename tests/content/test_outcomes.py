"""The health dashboard's outcome series, its searches' outcome comparisons and the pictures' samples name
exactly the outcomes the code logs, as splunk_app.splunk.logs.SUMMARY_OUTCOMES declares them per kind of run
(group actions log outcome=ok, inputs outcome=success)."""

from __future__ import annotations

import json
import re

import pytest

from splunk_app.splunk import logs

from . import dashboard, render, spl

HEALTH = dashboard.VIEWS / "mimecast_awareness_health.xml"
_, DEFINITION = dashboard.load(HEALTH)


def _query(name: str) -> str:
    return DEFINITION["dataSources"][name]["options"]["query"]


def _kind(viz: dict) -> str:
    query = _query(viz["dataSources"]["primary"])
    return re.search(r"mc_summary=(\w+)", query).group(1)


def test_outcome_series_are_the_outcomes_the_code_logs():
    """A chart's series and a table's colour rules name exactly the outcomes its kind of run declares, so a
    good run never goes uncoloured (actions log outcome=ok, inputs outcome=success)."""
    coloured = 0
    for name, viz in DEFINITION["visualizations"].items():
        colours = viz.get("options", {}).get("seriesColorsByField")
        rules = viz.get("context", {}).get("outcomeColors")
        cells = colours or ({rule["match"]: rule["value"] for rule in rules} if rules else None)
        if cells is None:
            continue
        coloured += 1
        assert set(cells) == set(logs.SUMMARY_OUTCOMES[_kind(viz)]), name
        assert cells == {outcome: dashboard.OUTCOME_COLOURS[outcome] for outcome in cells}, name
    assert coloured == 3  # the last-run table, the input outcomes and the group-action outcomes


def test_searches_compare_outcomes_the_code_logs():
    for name, source in DEFINITION["dataSources"].items():
        query = source["options"]["query"]
        kind = re.search(r"mc_summary=(\w+)", query)
        compared = re.findall(r'outcome!?=\\?"(\w+)', query)
        if kind and compared:
            assert set(compared) <= set(logs.SUMMARY_OUTCOMES[kind.group(1)]), name


def test_a_summary_line_refuses_an_outcome_its_kind_does_not_declare():
    assert "outcome=ok" in logs.summary_line("action", outcome="ok")
    with pytest.raises(ValueError, match="outcome must be one of"):
        logs.summary_line("action", outcome="success")


def test_the_picture_samples_use_the_outcomes_the_code_logs():
    sample = render.samples("mimecast_awareness_health")
    assert set(sample["ds_actions"]["fields"]) - {"action"} <= set(logs.SUMMARY_OUTCOMES["action"])
    assert set(sample["ds_outcomes"]["fields"]) - {"_time"} <= set(logs.SUMMARY_OUTCOMES["input"])
    outcomes = {
        row[sample["ds_input_health"]["fields"].index("Outcome")] for row in sample["ds_input_health"]["rows"]
    }
    assert outcomes <= set(logs.SUMMARY_OUTCOMES["input"])


def test_the_picture_samples_name_the_real_alert_actions():
    sample = render.samples("mimecast_awareness_health")
    config = json.loads((spl.ROOT / "globalConfig.json").read_text(encoding="utf-8"))
    actions = {alert["name"] for alert in config["alerts"]}
    assert {row[0] for row in sample["ds_actions"]["rows"]} <= actions
