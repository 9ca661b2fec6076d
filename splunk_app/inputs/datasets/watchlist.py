"""get-watchlist-details: one event per watch-listed user, and the watch-list columns of the risk table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from splunk_app.inputs.dataset import USERS, DataSet
from splunk_app.inputs.events import as_is
from splunk_app.inputs.settings import PAGE_SIZE, SEARCH, VIDEO_COUNTS, Setting, choices
from splunk_app.risk.sync import RiskColumns, field, number

SOURCETYPE = "mimecast:awareness:watchlist"
FILTER_BY = Setting(
    "filter_by",
    "Filter by videos watched",
    "Optional: only users with these numbers of watched videos.",
    "choices",
    choices=choices(*VIDEO_COUNTS, ("video_count_1_or_more", "1 or more videos")),
)


def request(values: Mapping[str, Any]) -> list[Any] | None:
    """data[0]: the filters, the search and the custom attributes (at most one item, as documented)."""
    options: dict[str, Any] = {}
    if values.get("filter_by"):
        options["filterBy"] = [{"fieldName": "type", "value": value} for value in values["filter_by"]]
    return search_options(values, options)


def search_options(values: Mapping[str, Any], options: dict[str, Any]) -> list[Any] | None:
    """The search and custom attributes that the watch list and performance share."""
    if values.get("search_by_field"):
        options["searchBy"] = {"fieldName": values["search_by_field"], "value": values.get("search_by_value")}
    if values.get("attribute_ids"):
        options["attributeIds"] = list(values["attribute_ids"])
    return [options] if options else None


def filtered(values: Mapping[str, Any]) -> bool:
    """A filter or a search leaves users out: they are not departed, only not asked for."""
    return values.get("filter_by") not in (None, [], "video_count_all") or bool(values.get("search_by_field"))


DATA_SET = DataSet(
    name="watchlist",
    title="Watch list (one event per user)",
    loop=USERS,
    endpoint="watchlist_details",
    sourcetypes={SOURCETYPE: "one watch-listed user (get-watchlist-details)"},
    shape=as_is(SOURCETYPE, user=True),
    settings=(PAGE_SIZE, FILTER_BY, *SEARCH),
    request=request,
    risk=RiskColumns(
        {"watchlist": lambda record: "true", "watchlist_count": field("watchlistCount", number)},
        departed={"watchlist": "false", "watchlist_count": 0},
    ),
    filtered=filtered,
)
