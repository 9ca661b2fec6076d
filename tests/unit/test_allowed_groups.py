"""The groups an account's actions may change: the allow-list field's free text as both products parse it,
and the one-line refusal of any other group."""

from __future__ import annotations

import pytest

from splunk_app.allowed_groups import (
    MAX_FIELD_CHARS,
    MAX_GROUP_CHARS,
    MAX_GROUPS,
    SHOWN,
    GroupsError,
    parse,
    refusal,
)


@pytest.mark.parametrize("text", [None, "", "  ", "\n,\r\n , ,"])
def test_empty_means_any_group(text: object) -> None:
    assert parse(text, "Mimecast account 'prod'") == ()
    assert refusal(parse(text, "the asset"), "SOC Escalation", "id-9", "prod") == ""


def test_names_and_ids_one_a_line_or_comma_separated_in_the_order_given() -> None:
    text = "High-risk users\r\neNqrVipOLS7OzM9TslIy ,  Phishing training\n\nSOC watch, Contractors"
    assert parse(text, "the asset") == (
        "High-risk users",
        "eNqrVipOLS7OzM9TslIy",
        "Phishing training",
        "SOC watch",
        "Contractors",
    )


def test_each_group_once_whatever_its_case() -> None:
    assert parse("High-risk users\nHIGH-RISK USERS\nhigh-risk users", "the asset") == ("High-risk users",)


def test_a_control_character_or_an_overlong_name_is_refused_with_the_owner_and_field_named() -> None:
    with pytest.raises(GroupsError, match=r"^account 'prod': Groups the actions may change holds 'a\\tb'"):
        parse("ok\na\tb", "account 'prod'")
    with pytest.raises(GroupsError, match=f"^the asset: .*at most {MAX_GROUP_CHARS} characters"):
        parse("x" * (MAX_GROUP_CHARS + 1), "the asset")
    assert parse("x" * MAX_GROUP_CHARS, "the asset") == ("x" * MAX_GROUP_CHARS,)


def test_the_count_and_the_field_are_bounded() -> None:
    most = "\n".join(f"g{number}" for number in range(MAX_GROUPS))
    assert len(parse(most, "the asset")) == MAX_GROUPS
    with pytest.raises(GroupsError, match=f"more than {MAX_GROUPS} groups"):
        parse(most + "\nanother", "the asset")
    with pytest.raises(GroupsError, match="longer than 8,192 characters"):
        parse("," * (MAX_FIELD_CHARS + 1), "the asset")


def test_a_group_is_allowed_by_its_name_in_any_case_or_by_its_id() -> None:
    assert refusal(("soc escalation",), "SOC Escalation", "id-9", "prod") == ""
    assert refusal(("ID-9",), "SOC Escalation", "id-9", "prod") == ""
    assert refusal((" SOC ESCALATION ",), "SOC Escalation", "id-9", "prod") == ""


def test_any_other_group_is_refused_in_one_line_that_names_the_list_and_where_to_change_it() -> None:
    words = refusal(("High Risk Users", "SOC watch"), "SOC Escalation", "id-9", "prod")
    assert words == (
        "account 'prod' may change only the groups 'High Risk Users', 'SOC watch', not 'SOC Escalation': "
        "acted on none. Choose an allowed group, or ask an administrator to add it to Groups the actions "
        "may change"
    )


def test_a_long_list_is_named_in_part_and_counted() -> None:
    allowed = parse(",".join(f"g{number}" for number in range(MAX_GROUPS)), "the asset")
    words = refusal(allowed, "other", "id-1", "prod")
    assert f"'g{SHOWN - 1}' and {MAX_GROUPS - SHOWN} more, not 'other'" in words
    assert f"'g{SHOWN}'" not in words and "\n" not in words
