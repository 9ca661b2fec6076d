"""The account's allow-list of groups, as settings parses the Configuration page's free text."""

from __future__ import annotations

import pytest

from splunk_app.splunk.settings import (
    MAX_GROUP_CHARS,
    MAX_GROUPS_ALLOWED,
    MAX_GROUPS_FIELD_CHARS,
    SettingsError,
    groups_allowed,
)


@pytest.mark.parametrize("text", [None, "", "  ", "\n,\r\n , ,"])
def test_empty_means_any_group(text: object) -> None:
    assert groups_allowed(text, "prod") == ()


def test_names_and_ids_one_a_line_or_comma_separated_in_the_order_given() -> None:
    text = "High-risk users\r\neNqrVipOLS7OzM9TslIy ,  Phishing training\n\nSOC watch, Contractors"
    assert groups_allowed(text, "prod") == (
        "High-risk users",
        "eNqrVipOLS7OzM9TslIy",
        "Phishing training",
        "SOC watch",
        "Contractors",
    )


def test_each_group_once_whatever_its_case() -> None:
    assert groups_allowed("High-risk users\nHIGH-RISK USERS\nhigh-risk users", "prod") == ("High-risk users",)


def test_a_control_character_or_an_overlong_name_is_refused_with_the_account_and_field_named() -> None:
    with pytest.raises(SettingsError, match=r"account 'prod': Groups the actions may change holds 'a\\tb'"):
        groups_allowed("ok\na\tb", "prod")
    with pytest.raises(SettingsError, match=f"at most {MAX_GROUP_CHARS} characters"):
        groups_allowed("x" * (MAX_GROUP_CHARS + 1), "prod")
    assert groups_allowed("x" * MAX_GROUP_CHARS, "prod") == ("x" * MAX_GROUP_CHARS,)


def test_the_count_and_the_field_are_bounded() -> None:
    most = "\n".join(f"g{number}" for number in range(MAX_GROUPS_ALLOWED))
    assert len(groups_allowed(most, "prod")) == MAX_GROUPS_ALLOWED
    with pytest.raises(SettingsError, match=f"more than {MAX_GROUPS_ALLOWED} groups"):
        groups_allowed(most + "\nanother", "prod")
    with pytest.raises(SettingsError, match="longer than 8,192 characters"):
        groups_allowed("," * (MAX_GROUPS_FIELD_CHARS + 1), "prod")
