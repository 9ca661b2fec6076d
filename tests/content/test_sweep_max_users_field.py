"""The sweep's Max users, where a Splunk administrator sees and edits it: a field of the sweep's alert action
(globalConfig.json, so UCC puts it in the alert form and in alert_actions.conf) that the shipped schedule
sets, with the value the sweep falls back to. Splunk's alert forms validate nothing, so the sweep itself
refuses a wrong value (the workshop test runs it so)."""

from __future__ import annotations

import json

import pytest

from splunk_app import actions

from .spl import ROOT, conf

SWEEP = "mimecast_containment_sweep"


def sweep_fields() -> dict[str, dict]:
    config = json.loads((ROOT / "globalConfig.json").read_text(encoding="utf-8"))
    (sweep,) = [alert for alert in config["alerts"] if alert["name"] == SWEEP]
    return {entity["field"]: entity for entity in sweep["entity"]}


def test_the_sweeps_alert_action_has_an_optional_max_users_field_with_the_sweeps_default() -> None:
    field = sweep_fields()["max_users"]
    assert (field["type"], field["label"], field.get("required", False)) == ("text", "Max users", False)
    assert field["defaultValue"] == str(actions.DEFAULT_SWEEP_USERS)
    assert "whole number" in field["help"] and len(field["help"]) <= 200


def test_the_shipped_schedule_shows_the_value_it_runs_with() -> None:
    stanza = conf("savedsearches.conf")["Mimecast Awareness - Containment sweep"]
    assert stanza[f"action.{SWEEP}"] == "1"
    shown = stanza[f"action.{SWEEP}.param.max_users"]
    assert actions.parse_max_users(shown, 1) == actions.DEFAULT_SWEEP_USERS


@pytest.mark.parametrize("raw", ["", None, "500", " 20 "])
def test_whole_numbers_and_empty_pass(raw) -> None:
    assert actions.parse_max_users(raw, actions.DEFAULT_SWEEP_USERS) >= 1


@pytest.mark.parametrize("raw", ["0", "-5", "ten", "2.5", "1e3", "１２", "\u0667", "1_0", "9" * 5000])
def test_anything_else_is_refused_with_the_parameter_named(raw) -> None:
    with pytest.raises(actions.ActionError, match="parameter max_users="):
        actions.parse_max_users(raw, actions.DEFAULT_SWEEP_USERS)
