"""get-performance-details: one event per user's totals and one per module of the user, and the training
columns of the risk table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from splunk_app.inputs.dataset import USERS, DataSet
from splunk_app.inputs.datasets.watchlist import filtered, search_options
from splunk_app.inputs.events import Event, Snapshot, event
from splunk_app.inputs.settings import PAGE_SIZE, SEARCH, VIDEO_COUNTS, Setting, choices
from splunk_app.mimecast.records import email_of
from splunk_app.risk.sync import RiskColumns, field, number

TOTALS = "mimecast:awareness:performance"
MODULE = "mimecast:awareness:user_module"
SETTINGS = (
    PAGE_SIZE,
    Setting(
        "include_user_details",
        "Include modules",
        "Ask for each user's modules (includeUserDetails); each module becomes its own event.",
        "bool",
        default="1",
    ),
    Setting(
        "filter_by",
        "Filter by videos watched",
        "Optional: only users with this number of watched videos.",
        "choice",
        choices=choices(*VIDEO_COUNTS, ("video_count_all", "Any number")),
    ),
    *SEARCH,
)


def shape(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    """The user's totals, then one event per module of userDetails (absent without includeUserDetails)."""
    user = email_of(record)
    modules = record.get("userDetails")
    modules = modules if isinstance(modules, list) else []
    totals = {key: value for key, value in record.items() if key != "userDetails"}
    yield event(TOTALS, totals, snapshot, mc_user=user, mc_module_count=len(modules))
    for module in modules:
        body = module if isinstance(module, dict) else {"value": module}
        yield event(MODULE, body, snapshot, mc_user=user)


def request(values: Mapping[str, Any]) -> list[Any] | None:
    options: dict[str, Any] = {"includeUserDetails": bool(values.get("include_user_details"))}
    if values.get("filter_by"):
        options["filterBy"] = {"fieldName": "type", "value": values["filter_by"]}
    return search_options(values, options)


DATA_SET = DataSet(
    name="performance",
    title="Performance (one event per user and per user and module)",
    loop=USERS,
    endpoint="performance_details",
    sourcetypes={
        TOTALS: "one user's totals, without userDetails (get-performance-details)",
        MODULE: "one module of one user (get-performance-details userDetails[])",
    },
    shape=shape,
    settings=SETTINGS,
    request=request,
    risk=RiskColumns(
        {
            "num_correct": field("numCorrect", number),
            "num_incorrect": field("numIncorrect", number),
            "num_not_watched": field("numNotWatched", number),
        }
    ),
    filtered=filtered,
)
