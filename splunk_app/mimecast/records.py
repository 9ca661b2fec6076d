"""Reading the API's quirky fields the same way everywhere: emails, grades, dates and spellings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

NEVER_YEAR = 1970
SPELLINGS = {
    "watchedDate": ("watchedDate", "watchedData"),
    "onWatchList": ("onWatchList", "onWatchlist"),
    "myAnswer": ("myAnswer", "myAsnwer"),
}


def email_of(record: Mapping[str, Any]) -> str | None:
    """The record's email (`emailAddress` or `email`), lower-cased, or None when it has none."""
    for key in ("emailAddress", "email"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return None


def grade_of(value: Any) -> str | None:
    """A SAFE grade upper-cased; an empty or missing grade is None."""
    if value is None:
        return None
    text = str(value).strip().upper()
    return text or None


def parse_time(text: Any) -> datetime | None:
    """An aware UTC datetime from either date format (`+0000` or `+00:00`, or `Z`); 1970-01-01 means
    never and is None, as are empty and unreadable values."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    if len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = f"{value[:-2]}:{value[-2:]}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    parsed = parsed.astimezone(timezone.utc)
    return None if parsed.year == NEVER_YEAR and parsed.month == 1 and parsed.day == 1 else parsed


def training_module(module: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a training module with `watchedDate`, `onWatchList` and `myAnswer` filled from
    whichever spelling came; the original keys stay, so nothing is lost."""
    result = dict(module)
    for canonical, spellings in SPELLINGS.items():
        for spelling in spellings:
            if spelling in module:
                result[canonical] = module[spelling]
                break
    return result
