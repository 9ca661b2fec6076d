"""The input catalogue is the Inputs page of globalConfig.json, and its validation speaks in words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from splunk_app.inputs.catalogue import (
    CATALOG,
    InvalidSetting,
    by_data_set,
    is_filtered,
    parse,
    request_options,
)

CONFIG = json.loads((Path(__file__).resolve().parents[3] / "globalConfig.json").read_text())
SERVICES = {service["name"]: service for service in CONFIG["pages"]["inputs"]["services"]}


def test_the_catalogue_has_exactly_the_input_types_of_the_inputs_page():
    assert set(CATALOG) == set(SERVICES)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_input_type_has_exactly_the_fields_of_its_form(name):
    entities = {entity["field"]: entity for entity in SERVICES[name]["entity"] if entity["field"] != "name"}
    settings = {setting.name: setting for setting in CATALOG[name].settings}
    assert set(settings) == set(entities)
    for field, entity in entities.items():
        setting = settings[field]
        assert setting.required == bool(entity.get("required")), field
        default = entity.get("defaultValue")
        if isinstance(default, bool):
            default = "1" if default else "0"
        assert setting.default == (None if default is None else str(default)), field
        options = entity.get("options") or {}
        listed = [item["value"] for item in options.get("items") or options.get("autoCompleteFields") or []]
        if setting.choices:
            assert set(setting.choices) == set(listed), field


def test_settings_are_typed_and_defaulted():
    values = parse(by_data_set("performance"), {"account": "prod"})
    assert values["page_size"] == 500 and values["full_snapshot_hours"] == 24
    assert values["include_user_details"] is True and values["filter_by"] is None
    assert request_options("performance", values) == {"includeUserDetails": True}
    assert not is_filtered(values)


def test_watch_list_options_become_the_request_body():
    values = parse(
        by_data_set("watchlist"),
        {
            "account": "prod",
            "filter_by": "video_count_0,video_count_4_or_more",
            "search_by_field": "department",
            "search_by_value": "Sales",
            "attribute_ids": "a1, a2",
        },
    )
    assert request_options("watchlist", values) == {
        "filterBy": [
            {"fieldName": "type", "value": "video_count_0"},
            {"fieldName": "type", "value": "video_count_4_or_more"},
        ],
        "searchBy": {"fieldName": "department", "value": "Sales"},
        "attributeIds": ["a1", "a2"],
    }
    assert is_filtered(values)


def test_training_users_are_emails_split_on_commas_and_lines():
    values = parse(by_data_set("training"), {"account": "p", "users": "A@x.com,\nb@y.org\n"})
    assert values["users"] == ["a@x.com", "b@y.org"]


@pytest.mark.parametrize(
    ("data_set", "params", "words"),
    [
        ("safe_score", {}, "account is required"),
        ("safe_score", {"account": "p", "page_size": "501"}, "page_size must be from 1 to 500"),
        ("safe_score", {"account": "p", "page_size": "ten"}, "page_size must be a whole number"),
        ("queue", {"account": "p", "full_snapshot_hours": "0"}, "full_snapshot_hours must be from 1 to 8760"),
        ("watchlist", {"account": "p", "filter_by": "video_count_9"}, "video_count_9 is not one"),
        ("watchlist", {"account": "p", "attribute_ids": "a,b,c,d"}, "at most 3"),
        ("watchlist", {"account": "p", "search_by_field": "name"}, "search_by_value is required"),
        ("performance", {"account": "p", "filter_by": "video_count_1_or_more"}, "must be one of"),
        ("performance", {"account": "p", "include_user_details": "maybe"}, "true or false"),
        ("training", {"account": "p", "users": "not-an-email"}, "not-an-email is not one"),
        ("phishing", {"account": "p", "result_filter": "correct"}, "correct is not one"),
    ],
)
def test_a_wrong_setting_is_named_with_what_is_allowed(data_set, params, words):
    with pytest.raises(InvalidSetting, match=words):
        parse(by_data_set(data_set), params)
