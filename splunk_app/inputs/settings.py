"""An input's settings, each declared once: splunkd's scheme, the Inputs page's form (the build writes it
from these), the defaults in inputs.conf and the typed values a run uses are all read from here."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
TRUE = ("1", "true", "yes", "t", "y", "on")
FALSE = ("0", "false", "no", "f", "n", "off")
LISTS = ("choices", "emails", "ids")
# Settings splunkd itself reads (and UCC keeps out of the scheme).
SPLUNKD_SETTINGS = ("interval", "index")


class InvalidSetting(ValueError):
    """A setting of an input is wrong; the message names it and says what is allowed."""


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Setting:
    """One field of an input. `kind` is text, int, bool, choice, choices (several), emails, ids, or one of
    the fields UCC draws itself: account, interval, index."""

    name: str
    label: str
    help: str
    kind: str = "text"
    required: bool = False
    default: str | None = None
    choices: tuple[Choice, ...] = ()
    low: int = 1
    high: int = 10**9
    max_length: int = 1024
    needs: str = ""  # another setting that must be set when this one is

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)


def choices(*pairs: tuple[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(value, label) for value, label in pairs)


ACCOUNT = Setting(
    "account", "Account", "The Mimecast account (Configuration > Accounts) to pull with.", "account", True
)
INTERVAL = Setting(
    "interval",
    "Interval",
    "Seconds between runs. The data changes at most a few times a day; 3600 is plenty.",
    "interval",
    True,
    "3600",
    low=60,
    high=604800,
)
INDEX = Setting(
    "index",
    "Index",
    "The index the events go to; the macro mimecast_awareness_index must cover it.",
    "index",
    True,
    "mimecast",
)
FULL_SNAPSHOT_HOURS = Setting(
    "full_snapshot_hours",
    "Full snapshot every (hours)",
    "Unchanged records are re-sent at least this often, so a search over this period sees every user.",
    "int",
    default="24",
    high=8760,
)
COMMON = (ACCOUNT, INTERVAL, INDEX, FULL_SNAPSHOT_HOURS)
PAGE_SIZE = Setting(
    "page_size",
    "Page size",
    "Records per API request (1-500). Larger pages mean fewer requests against the rate limit.",
    "int",
    default="500",
    high=500,
)
RISK_TABLE_SYNC = Setting(
    "risk_table_sync",
    "Risk table",
    "Keep the risk table (KV store) current from this input. Auto: where this instance has a KV store "
    "(not on a heavy forwarder without one, where the table is rebuilt from the events on the search head).",
    "choice",
    default="auto",
    choices=choices(("auto", "Auto"), ("on", "On"), ("off", "Off")),
)
VIDEO_COUNTS = (
    ("video_count_0", "No video watched"),
    ("video_count_1", "1 video"),
    ("video_count_2", "2 videos"),
    ("video_count_3", "3 videos"),
    ("video_count_4_or_more", "4 or more videos"),
)
SEARCH = (
    Setting(
        "search_by_field",
        "Search by field",
        "Optional: restrict to users whose field matches the value below.",
        "choice",
        choices=choices(
            ("name", "Name"),
            ("email", "Email"),
            ("department", "Department"),
            ("customAttribute", "Custom attribute"),
        ),
        needs="search_by_value",
    ),
    Setting("search_by_value", "Search value", "The value searched in the field above."),
    Setting(
        "attribute_ids",
        "Custom attribute IDs",
        "Optional: up to 3 custom attribute IDs, comma separated, to include in each record.",
        "ids",
        high=3,
    ),
)


def parse(settings: Sequence[Setting], params: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting, typed, defaults filled in; InvalidSetting says which one is wrong and why."""
    values: dict[str, Any] = {}
    for setting in settings:
        raw = params.get(setting.name)
        text = ",".join(str(part) for part in raw) if isinstance(raw, list) else str(raw or "").strip()
        if not text and setting.default is not None:
            text = setting.default
        if not text:
            if setting.required:
                raise InvalidSetting(f"{setting.name} is required: {setting.help}")
            values[setting.name] = [] if setting.kind in LISTS else None
            continue
        if len(text) > setting.max_length:
            raise InvalidSetting(f"{setting.name} must be at most {setting.max_length} characters")
        values[setting.name] = _value(setting, text)
    for setting in settings:
        if setting.needs and values.get(setting.name) and not values.get(setting.needs):
            raise InvalidSetting(f"{setting.needs} is required when {setting.name} is set")
    return values


def _value(setting: Setting, text: str) -> Any:
    """One setting's typed value."""
    name = setting.name
    if setting.kind == "int":
        if not re.fullmatch(r"\d{1,12}", text):
            raise InvalidSetting(
                f"{name} must be a whole number from {setting.low} to {setting.high}, not {text[:40]!r}"
            )
        number = int(text)
        if not setting.low <= number <= setting.high:
            raise InvalidSetting(f"{name} must be from {setting.low} to {setting.high}, not {number}")
        return number
    if setting.kind == "bool":
        if text.lower() not in TRUE + FALSE:
            raise InvalidSetting(f"{name} must be true or false, not {text[:40]!r}")
        return text.lower() in TRUE
    if setting.kind == "choice":
        if text not in setting.values:
            raise InvalidSetting(f"{name} must be one of {', '.join(setting.values)}, not {text[:40]!r}")
        return text
    return _list(setting, text) if setting.kind in LISTS else text


def _list(setting: Setting, text: str) -> list[str]:
    name = setting.name
    parts = [part.strip() for part in re.split(r"[,|\n\r]+", text) if part.strip()]
    if setting.kind == "choices":
        wrong = [part[:40] for part in parts if part not in setting.values]
        if wrong:
            raise InvalidSetting(
                f"{name} may hold {', '.join(setting.values)}; {', '.join(wrong)} is not one"
            )
    elif setting.kind == "emails":
        wrong = [part[:80] for part in parts if not EMAIL.match(part)]
        if wrong:
            raise InvalidSetting(f"{name} must be email addresses; {', '.join(wrong[:3])} is not one")
        parts = [part.lower() for part in parts]
    elif len(parts) > setting.high:
        raise InvalidSetting(f"{name} takes at most {setting.high} custom attribute IDs, not {len(parts)}")
    return parts


def interval_seconds(values: Mapping[str, Any]) -> float:
    """The run interval in seconds, or 0 for a cron schedule (then the full-snapshot period alone counts)."""
    text = str(values.get("interval") or "")
    return float(text) if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text) else 0.0  # ASCII: float() reads '٣٠٠' too
