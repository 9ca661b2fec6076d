"""The record helpers for the API's quirky fields."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from splunk_app.mimecast.records import email_of, grade_of, parse_time, training_module

UTC = timezone.utc


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"emailAddress": "Pat.Placeholder@Example.COM"}, "pat.placeholder@example.com"),
        ({"email": " PERSONAL.Placeholder@Mailbox.example "}, "personal.placeholder@mailbox.example"),
        ({"emailAddress": "", "email": "b@x.io"}, "b@x.io"),
        ({"name": "no email"}, None),
        ({"email": None}, None),
    ],
)
def test_email_of(record, expected):
    assert email_of(record) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a", "A"),
        ("F", "F"),
        (" b ", "B"),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_grade_of(value, expected):
    assert grade_of(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-01-11T23:32:00+0000", datetime(2022, 1, 11, 23, 32, tzinfo=UTC)),
        ("2024-06-11T10:01:16+00:00", datetime(2024, 6, 11, 10, 1, 16, tzinfo=UTC)),
        ("2024-06-11T12:01:16+0200", datetime(2024, 6, 11, 10, 1, 16, tzinfo=UTC)),
        ("2024-06-11T10:01:16Z", datetime(2024, 6, 11, 10, 1, 16, tzinfo=UTC)),
        ("1970-01-01T00:00:00+00:00", None),
        ("1970-01-01T00:00:00+0000", None),
        ("", None),
        (None, None),
        ("yesterday", None),
    ],
)
def test_parse_time_both_formats_and_never(text, expected):
    assert parse_time(text) == expected


def test_parse_time_is_utc():
    assert parse_time("2022-01-11T23:32:00+0000").utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "module",
    [
        {"title": "t", "watchedDate": "2022-01-11T23:32:00+0000", "onWatchList": True, "myAnswer": "a"},
        {"title": "t", "watchedData": "2022-01-11T23:32:00+0000", "onWatchlist": True, "myAsnwer": "a"},
    ],
)
def test_training_module_canonical_keys_from_any_spelling(module):
    result = training_module(module)
    assert result["watchedDate"] == "2022-01-11T23:32:00+0000"
    assert result["onWatchList"] is True
    assert result["myAnswer"] == "a"
    assert all(result[key] == value for key, value in module.items()), "original keys are kept"


def test_training_module_leaves_missing_fields_missing():
    assert training_module({"title": "t"}) == {"title": "t"}
