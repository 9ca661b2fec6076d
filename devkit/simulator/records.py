"""Users as the wire shows them: one function per record shape, with the real API's quirks on request."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any

from devkit.simulator import catalogue as cat
from devkit.simulator.people import NOT_WATCHED, Module, User

NEVER = 0  # the epoch: how the API says "never" in a date field


@dataclass(frozen=True)
class Style:
    """Quirks of real traffic that a fault switches on; the default is the tidiest real form."""

    odd_dates: bool = False
    odd_spellings: bool = False
    empty_grades: bool = False
    mixed_case_emails: bool = False
    odd_values: bool = False


_CLOCK = [f"{minute // 60:02d}:{minute % 60:02d}:" for minute in range(1440)]
_SECONDS = [f"{second:02d}" for second in range(60)]


@functools.lru_cache(maxsize=4096)
def _day(day: int) -> str:
    return time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))


def date(when: int, style: Style, salt: int = 0) -> str:
    """`2024-06-11T10:01:16+00:00`, or with odd dates every other value as `...+0000` (no colon)."""
    day, seconds = divmod(when, 86400)
    zone = "+0000" if style.odd_dates and salt % 2 else "+00:00"
    return _day(day) + _CLOCK[seconds // 60] + _SECONDS[seconds % 60] + zone


def optional_date(when: int | None, style: Style, salt: int = 0) -> str | None:
    """A date, or for "never" null normally and 1970-01-01 with odd dates."""
    if when is None:
        return date(NEVER, style, salt) if style.odd_dates else None
    return date(when, style, salt)


def email(user: User, style: Style) -> str:
    if not style.mixed_case_emails:
        return user.email
    if user.id % 2:
        local, domain = user.email.split("@")
        return ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.upper()
    return user.email.upper()


ODD_EVERY = 7  # with odd values, every 7th user's risk and watch-list count
ODD_GRADE = "E"  # a grade Mimecast might add, which no shipped policy names
ODD_COUNT = "many"  # a watchlistCount that is not a number
ODD_COMPONENT = '=HYPERLINK("http://127.0.0.1/")'  # a knowledge grade that is no grade: a spreadsheet formula


def _odd(user: User, style: Style) -> bool:
    return style.odd_values and user.id % ODD_EVERY == 0


def grade(value: int, user: User, style: Style, component: bool = True) -> str:
    """A grade letter; with empty grades, every 5th user's components and every 10th user's risk are '';
    with odd values, every 7th user's risk is a grade the policy does not name."""
    if style.empty_grades and user.id % (5 if component else 10) == 0:
        return ""
    if not component and _odd(user, style):
        return ODD_GRADE
    return cat.GRADES[value]


def safe_score(user: User, style: Style) -> dict[str, Any]:
    human_error, engagement, knowledge, sentiment = user.components
    return {
        "emailAddress": email(user, style),
        "name": user.name,
        "department": user.department,
        "risk": grade(user.risk, user, style, component=False),
        "humanError": grade(human_error, user, style),
        "sentiment": grade(sentiment, user, style),
        "engagement": grade(engagement, user, style),
        "knowledge": ODD_COMPONENT if _odd(user, style) else grade(knowledge, user, style),
        "userState": "ACTIVE",
    }


def watchlist(user: User, style: Style) -> dict[str, Any]:
    return {
        "email": email(user, style),
        "name": user.name,
        "department": user.department,
        "watchlistCount": ODD_COUNT if _odd(user, style) else user.watchlist_count,
        "userState": "ACTIVE",
    }


def module_detail(module: Module, user: User, style: Style) -> dict[str, Any]:
    title, category, _ = cat.MODULES[module.index]
    return {
        "title": title,
        "category": category,
        "timeSent": date(module.sent, style, user.id),
        "timeViewed": date(NEVER if module.viewed is None else module.viewed, style, user.id),
        "status": module.status,
        "ack": module.ack,
    }


def performance(user: User, style: Style, include_details: bool) -> dict[str, Any]:
    record: dict[str, Any] = {
        "email": email(user, style),
        "name": user.name,
        "department": user.department,
        "numCorrect": user.count("Correct"),
        "numIncorrect": user.count("Incorrect"),
        "numNotWatched": user.count(NOT_WATCHED),
        "userState": "ACTIVE",
    }
    if include_details:
        record["userDetails"] = [module_detail(module, user, style) for module in user.modules]
    return record


def module_id(index: int, seed: int) -> str:
    return f"mod-{seed}-{index + 1:03d}"


def training_details(user: User, style: Style) -> dict[str, Any]:
    """data[0] of get-training-details: the user's modules, engagement flag and merit badge."""
    watched_key, watchlist_key, answer_key = (
        ("watchedData", "onWatchlist", "myAsnwer")
        if style.odd_spellings
        else ("watchedDate", "onWatchList", "myAnswer")
    )
    training = [
        {
            "title": cat.MODULES[module.index][0],
            "titleId": module_id(module.index, user.seed),
            "assignedTimeStamp": date(module.sent, style, user.id),
            "watched": module.viewed is not None,
            watched_key: optional_date(module.viewed, style, user.id),
            watchlist_key: user.watchlisted and module.viewed is None,
            answer_key: module.answer,
        }
        for module in user.modules
    ]
    correct = user.count("Correct")
    badge = ("None", "Bronze", "Silver", "Gold")[min(3, correct // 2)]
    return {
        "training": training,
        "needEngagement": user.count(NOT_WATCHED) >= 2,
        "meritBadge": {"badge": badge, "modulesCorrect": correct},
    }
