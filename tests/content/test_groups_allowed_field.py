"""The account's "Groups the actions may change" field, as globalConfig.json declares it (UCC checks it in the
browser and in the generated REST handler), bounded as splunk_app.allowed_groups parses it."""

from __future__ import annotations

import pytest

from splunk_app.allowed_groups import FIELD, LABEL, MAX_FIELD_CHARS, parse

from . import ucc


def field() -> dict:
    return ucc.configuration_field("account", FIELD)


def accepted(text: str) -> bool:
    return ucc.accepts(field(), text)


def test_an_optional_text_area_beside_the_account_code_in_clear() -> None:
    (account,) = [tab for tab in ucc.configuration_tabs() if tab["name"] == "account"]
    names = [entity["field"] for entity in account["entity"]]
    assert names.index(FIELD) == names.index("account_code") + 1
    assert field()["type"] == "textarea" and not field().get("required") and not field().get("encrypted")
    assert field()["label"] == LABEL
    assert "empty" in field()["help"].lower()


def test_the_form_bounds_the_length_as_settings_does() -> None:
    assert ucc.longest(field()) == MAX_FIELD_CHARS


@pytest.mark.parametrize("text", ["", "High-risk users", "High-risk users\r\nSOC watch, eNqrVipOLS7OzM9Ts"])
def test_lists_of_names_and_ids_pass_and_parse(text: str) -> None:
    assert accepted(text)
    parse(text, "Mimecast account 'prod'")


@pytest.mark.parametrize("text", ["a\tb", "a\x00b", "a\x1bb", "x" * (MAX_FIELD_CHARS + 1)])
def test_control_characters_and_overlong_text_are_refused_before_they_are_saved(text: str) -> None:
    assert not accepted(text)
