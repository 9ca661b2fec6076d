"""The account's "Groups the actions may change" field, as globalConfig.json declares it (UCC checks it in the
browser and in the generated REST handler), bounded as settings parses it."""

from __future__ import annotations

import json
import re

import pytest

from splunk_app.splunk.settings import GROUPS_ALLOWED, MAX_GROUPS_FIELD_CHARS, groups_allowed

from .spl import ROOT


def account_fields() -> list[dict]:
    config = json.loads((ROOT / "globalConfig.json").read_text(encoding="utf-8"))
    (tab,) = [tab for tab in config["pages"]["configuration"]["tabs"] if tab["name"] == "account"]
    return tab["entity"]


def field() -> dict:
    (entity,) = [entity for entity in account_fields() if entity["field"] == GROUPS_ALLOWED]
    return entity


def accepted(text: str) -> bool:
    validators = field()["validators"]
    pattern = next(v["pattern"] for v in validators if v["type"] == "regex")
    longest = next(v["maxLength"] for v in validators if v["type"] == "string")
    return len(text) <= longest and re.match(pattern, text) is not None


def test_an_optional_text_area_beside_the_account_code_in_clear() -> None:
    names = [entity["field"] for entity in account_fields()]
    assert names.index(GROUPS_ALLOWED) == names.index("account_code") + 1
    assert field()["type"] == "textarea" and not field().get("required") and not field().get("encrypted")
    assert field()["label"] == "Groups the actions may change"
    assert "empty" in field()["help"].lower()


def test_the_form_bounds_the_length_as_settings_does() -> None:
    longest = next(v["maxLength"] for v in field()["validators"] if v["type"] == "string")
    assert longest == MAX_GROUPS_FIELD_CHARS


@pytest.mark.parametrize("text", ["", "High-risk users", "High-risk users\r\nSOC watch, eNqrVipOLS7OzM9Ts"])
def test_lists_of_names_and_ids_pass_and_parse(text: str) -> None:
    assert accepted(text)
    groups_allowed(text, "prod")


@pytest.mark.parametrize("text", ["a\tb", "a\x00b", "a\x1bb", "x" * (MAX_GROUPS_FIELD_CHARS + 1)])
def test_control_characters_and_overlong_text_are_refused_before_they_are_saved(text: str) -> None:
    assert not accepted(text)
