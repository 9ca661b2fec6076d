"""The data-set catalogue: each data set is one declaration; the Inputs page form and inputs.conf are written
from it; validation speaks in words and accepts what the form accepts."""

from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

import pytest

from splunk_app.inputs.catalogue import CATALOGUE, SOURCETYPES, by_name
from splunk_app.inputs.settings import InvalidSetting, interval_seconds, parse

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "packaging"))
import ucc_inputs

BIN = Path(__file__).resolve().parents[3] / "bin"


def test_every_data_set_has_its_bin_script_and_distinct_sourcetypes():
    assert sorted(path.stem for path in BIN.glob("mimecast_at_*.py")) == sorted(CATALOGUE)
    declared = [sourcetype for data_set in CATALOGUE.values() for sourcetype in data_set.sourcetypes]
    assert len(declared) == len(set(declared)) == len(SOURCETYPES)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_the_form_has_exactly_the_settings_the_input_parses(name):
    data_set = CATALOGUE[name]
    entities = {entity["field"]: entity for entity in ucc_inputs.service(data_set)["entity"]}
    assert next(iter(entities)) == "name"
    assert [field for field in entities if field != "name"] == [s.name for s in data_set.all_settings]
    for setting in data_set.all_settings:
        entity = entities[setting.name]
        assert entity["required"] == setting.required
        options = entity.get("options") or {}
        listed = [item["value"] for item in options.get("items") or options.get("autoCompleteFields") or []]
        assert listed == list(setting.values)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_what_the_form_lets_through_parses_and_what_it_stops_does_not(name):
    """Each choice the form offers parses; a value the form's regex refuses is refused by the input too."""
    data_set = CATALOGUE[name]
    for setting in data_set.all_settings:
        validator = next(iter(ucc_inputs.entity(setting).get("validators") or [{}]))
        if validator.get("type") != "regex" or not setting.values:
            continue
        needed = {setting.needs: "x"} if setting.needs else {}
        for value in setting.values:
            assert re.match(validator["pattern"], value)
            parse(data_set.all_settings, {"account": "p", setting.name: value, **needed})
        assert not re.match(validator["pattern"], "not_a_choice")
        with pytest.raises(InvalidSetting):
            parse(data_set.all_settings, {"account": "p", setting.name: "not_a_choice", **needed})


def test_inputs_conf_holds_each_data_sets_defaults_pinned_to_splunks_pythons():
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(ucc_inputs.inputs_conf())
    assert sorted(conf.sections()) == sorted(CATALOGUE)
    safe_score = conf["mimecast_at_safe_score"]
    assert dict(safe_score) == {
        "python.version": "python3",
        "python.required": "3.9, 3.13",
        "interval": "3600",
        "index": "mimecast",
        "full_snapshot_hours": "24",
        "page_size": "500",
        "risk_table_sync": "auto",
    }
    assert conf["mimecast_at_performance"]["include_user_details"] == "1"
    assert "risk_table_sync" not in conf["mimecast_at_queue"]


def test_settings_are_typed_and_defaulted():
    performance = by_name("performance")
    values = parse(performance.all_settings, {"account": "prod"})
    assert values["page_size"] == 500 and values["full_snapshot_hours"] == 24
    assert values["include_user_details"] is True and values["filter_by"] is None
    assert values["risk_table_sync"] == "auto"
    assert performance.request(values) == [{"includeUserDetails": True}]
    assert not performance.filtered(values)


def test_watch_list_options_become_the_request_body():
    watchlist = by_name("watchlist")
    values = parse(
        watchlist.all_settings,
        {
            "account": "prod",
            "filter_by": "video_count_0,video_count_4_or_more",
            "search_by_field": "department",
            "search_by_value": "Sales",
            "attribute_ids": "a1, a2",
        },
    )
    assert watchlist.request(values) == [
        {
            "filterBy": [
                {"fieldName": "type", "value": "video_count_0"},
                {"fieldName": "type", "value": "video_count_4_or_more"},
            ],
            "searchBy": {"fieldName": "department", "value": "Sales"},
            "attributeIds": ["a1", "a2"],
        }
    ]
    assert watchlist.filtered(values)
    assert watchlist.request(parse(watchlist.all_settings, {"account": "prod"})) is None


def test_training_users_are_emails_split_on_commas_and_lines():
    values = parse(by_name("training").all_settings, {"account": "p", "users": "A@x.com,\nb@y.org\n"})
    assert values["users"] == ["a@x.com", "b@y.org"]


@pytest.mark.parametrize(
    ("data_set", "params", "words"),
    [
        ("safe_score", {}, "account is required"),
        ("safe_score", {"account": "p", "page_size": "501"}, "page_size must be from 1 to 500"),
        ("safe_score", {"account": "p", "page_size": "ten"}, "page_size must be a whole number"),
        ("safe_score", {"account": "p", "risk_table_sync": "sometimes"}, "risk_table_sync must be one of"),
        ("queue", {"account": "p", "full_snapshot_hours": "0"}, "full_snapshot_hours must be from 1 to 8760"),
        ("watchlist", {"account": "p", "filter_by": "video_count_9"}, "video_count_9 is not one"),
        ("watchlist", {"account": "p", "attribute_ids": "a,b,c,d"}, "at most 3"),
        ("watchlist", {"account": "p", "search_by_field": "name"}, "search_by_value is required"),
        ("watchlist", {"account": "p", "search_by_value": "x" * 1025}, "at most 1024 characters"),
        ("performance", {"account": "p", "filter_by": "video_count_1_or_more"}, "must be one of"),
        ("performance", {"account": "p", "include_user_details": "maybe"}, "true or false"),
        ("training", {"account": "p", "users": "not-an-email"}, "not-an-email is not one"),
        ("phishing", {"account": "p", "result_filter": "correct"}, "correct is not one"),
    ],
)
def test_a_wrong_setting_is_named_with_what_is_allowed(data_set, params, words):
    with pytest.raises(InvalidSetting, match=words):
        parse(by_name(data_set).all_settings, params)


@pytest.mark.parametrize(
    ("interval", "seconds"),
    [("300", 300.0), ("0.5", 0.5), ("*/5 * * * *", 0.0), ("٣٠٠", 0.0), ("1e9", 0.0), ("", 0.0), (None, 0.0)],
)
def test_the_interval_is_seconds_in_ascii_digits_or_a_cron_schedule(interval, seconds):
    assert interval_seconds({"interval": interval}) == seconds
