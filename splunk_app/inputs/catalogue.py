"""The input types and their settings, defined once: the scheme, validation and the request options
are all read from here, and a test holds it equal to globalConfig.json's Inputs page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
WATCHLIST_FILTERS = (
    "video_count_0",
    "video_count_1",
    "video_count_2",
    "video_count_3",
    "video_count_4_or_more",
    "video_count_1_or_more",
)
PERFORMANCE_FILTERS = (
    "video_count_0",
    "video_count_1",
    "video_count_2",
    "video_count_3",
    "video_count_4_or_more",
    "video_count_all",
)
SEARCH_FIELDS = ("name", "email", "department", "customAttribute")
TRUE = ("1", "true", "yes", "t", "y", "on")
FALSE = ("0", "false", "no", "f", "n", "off")
# Settings splunkd itself reads (and UCC keeps out of the scheme): in the catalogue, not in the scheme.
SPLUNKD_SETTINGS = ("interval", "index")


class InvalidSetting(ValueError):
    """A setting of an input is wrong; the message names it and says what is allowed."""


@dataclass(frozen=True)
class Setting:
    name: str
    description: str
    required: bool = False
    default: str | None = None
    kind: str = "text"  # text, int, bool, choice, choices (multi), emails, ids
    choices: tuple[str, ...] = ()
    low: int = 1
    high: int = 10**9


@dataclass(frozen=True)
class InputType:
    name: str
    data_set: str
    title: str
    settings: tuple[Setting, ...]


_COMMON = (
    Setting("account", "The Mimecast account (Configuration > Accounts) to pull with.", required=True),
    Setting("interval", "Seconds between runs.", required=True, default="3600"),
    Setting("index", "The index the events go to.", required=True, default="mimecast"),
    Setting(
        "full_snapshot_hours",
        "Unchanged records are re-sent at least this often.",
        default="24",
        kind="int",
        high=8760,
    ),
)
_PAGE = Setting("page_size", "Records per API request (1-500).", default="500", kind="int", high=500)
_SEARCH = (
    Setting(
        "search_by_field",
        "Restrict to users whose field matches search_by_value.",
        kind="choice",
        choices=SEARCH_FIELDS,
    ),
    Setting("search_by_value", "The value searched in search_by_field."),
    Setting("attribute_ids", "Up to 3 custom attribute IDs, comma separated.", kind="ids"),
)


def _type(data_set: str, title: str, *own: Setting) -> InputType:
    return InputType(f"mimecast_at_{data_set}", data_set, title, (*_COMMON, *own))


CATALOG = {
    item.name: item
    for item in (
        _type("safe_score", "SAFE score details (one event per user)", _PAGE),
        _type("safe_score_summary", "SAFE score summary (company snapshot)"),
        _type(
            "watchlist",
            "Watch list (one event per user)",
            _PAGE,
            Setting(
                "filter_by",
                "Only users with these numbers of watched videos.",
                kind="choices",
                choices=WATCHLIST_FILTERS,
            ),
            *_SEARCH,
        ),
        _type(
            "performance",
            "Performance (one event per user and per user and module)",
            _PAGE,
            Setting(
                "include_user_details", "One event per module of each user as well.", default="1", kind="bool"
            ),
            Setting(
                "filter_by",
                "Only users with this number of watched videos.",
                kind="choice",
                choices=PERFORMANCE_FILTERS,
            ),
            *_SEARCH,
        ),
        _type(
            "training",
            "Training details (one event per user and module)",
            Setting(
                "users",
                "Emails, comma or newline separated; empty = the risk table's watch-listed "
                "and grade D/F users.",
                kind="emails",
            ),
            Setting(
                "max_users_per_run",
                "At most this many users (one request each) per run.",
                default="100",
                kind="int",
                high=10000,
            ),
        ),
        _type("queue", "Training queue (one event per module)", _PAGE),
        _type(
            "campaign",
            "Training campaigns and user results",
            _PAGE,
            Setting(
                "result_filter",
                "Only these results.",
                kind="choices",
                choices=("sent", "correct", "incorrect"),
            ),
        ),
        _type(
            "phishing",
            "Phishing campaigns and user results",
            _PAGE,
            Setting(
                "result_filter",
                "Only these results.",
                kind="choices",
                choices=("sent", "opened", "clicked", "submitted"),
            ),
        ),
    )
}


def by_data_set(data_set: str) -> InputType:
    return CATALOG[f"mimecast_at_{data_set}"]


def parse(input_type: InputType, params: dict[str, Any]) -> dict[str, Any]:
    """Every setting of the input, typed, defaults filled in; InvalidSetting says which one is wrong."""
    values: dict[str, Any] = {}
    for setting in input_type.settings:
        raw = params.get(setting.name)
        text = ",".join(str(part) for part in raw) if isinstance(raw, list) else str(raw or "").strip()
        if not text and setting.default is not None:
            text = setting.default
        if not text:
            if setting.required:
                raise InvalidSetting(f"{setting.name} is required: {setting.description}")
            values[setting.name] = [] if setting.kind in ("choices", "emails", "ids") else None
            continue
        values[setting.name] = _value(setting, text)
    if (
        input_type.data_set in ("watchlist", "performance")
        and values.get("search_by_field")
        and not values.get("search_by_value")
    ):
        raise InvalidSetting("search_by_value is required when search_by_field is set")
    return values


def _value(setting: Setting, text: str) -> Any:
    name = setting.name
    if setting.kind == "int":
        if not re.fullmatch(r"\d+", text):
            raise InvalidSetting(
                f"{name} must be a whole number from {setting.low} to {setting.high}, not {text!r}"
            )
        number = int(text)
        if not setting.low <= number <= setting.high:
            raise InvalidSetting(f"{name} must be from {setting.low} to {setting.high}, not {number}")
        return number
    if setting.kind == "bool":
        if text.lower() not in TRUE + FALSE:
            raise InvalidSetting(f"{name} must be true or false, not {text!r}")
        return text.lower() in TRUE
    if setting.kind == "choice":
        if text not in setting.choices:
            raise InvalidSetting(f"{name} must be one of {', '.join(setting.choices)}, not {text!r}")
        return text
    parts = [part.strip() for part in re.split(r"[,|\n\r]+", text) if part.strip()]
    if setting.kind == "choices":
        wrong = [part for part in parts if part not in setting.choices]
        if wrong:
            raise InvalidSetting(
                f"{name} may hold {', '.join(setting.choices)}; {', '.join(wrong)} is not one"
            )
    elif setting.kind == "emails":
        wrong = [part for part in parts if not EMAIL.match(part)]
        if wrong:
            raise InvalidSetting(f"{name} must be email addresses; {', '.join(wrong[:3])} is not one")
        parts = [part.lower() for part in parts]
    elif setting.kind == "ids" and len(parts) > 3:
        raise InvalidSetting(f"{name} takes at most 3 custom attribute IDs, not {len(parts)}")
    return parts if setting.kind in ("choices", "emails", "ids") else text


def interval_seconds(values: dict[str, Any]) -> float:
    """The run interval in seconds, or 0 for a cron schedule (then the full-snapshot period alone counts)."""
    text = str(values.get("interval") or "")
    return float(text) if re.fullmatch(r"\d+(\.\d+)?", text) else 0.0


def request_options(data_set: str, values: dict[str, Any]) -> dict[str, Any] | None:
    """The request's data[0] for watch list and performance (filters, search, attributes), else None."""
    options: dict[str, Any] = {}
    if data_set == "performance":
        options["includeUserDetails"] = bool(values.get("include_user_details"))
        if values.get("filter_by"):
            options["filterBy"] = {"fieldName": "type", "value": values["filter_by"]}
    elif data_set == "watchlist" and values.get("filter_by"):
        options["filterBy"] = [{"fieldName": "type", "value": value} for value in values["filter_by"]]
    elif data_set not in ("watchlist", "performance"):
        return None
    if values.get("search_by_field"):
        options["searchBy"] = {"fieldName": values["search_by_field"], "value": values.get("search_by_value")}
    if values.get("attribute_ids"):
        options["attributeIds"] = list(values["attribute_ids"])
    return options or None


def is_filtered(values: dict[str, Any]) -> bool:
    """A filtered snapshot is not the whole tenant: users it leaves out must not be removed anywhere."""
    return values.get("filter_by") not in (None, [], "video_count_all") or bool(values.get("search_by_field"))
