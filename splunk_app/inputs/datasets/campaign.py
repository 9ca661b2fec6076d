"""get-campaigns, then get-user-data per campaign: one event per training campaign and one per user result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from splunk_app.inputs.dataset import CAMPAIGNS, DataSet, Results, empty_request
from splunk_app.inputs.events import Event, Snapshot, content_hash, event
from splunk_app.inputs.settings import PAGE_SIZE, Setting, choices
from splunk_app.mimecast.records import email_of

CAMPAIGN = "mimecast:awareness:campaign"
RESULT = "mimecast:awareness:campaign_result"


def campaign_key(record: dict[str, Any]) -> str:
    """A campaign of either kind, by its id (its content when it has none, so it is not lost)."""
    return f"campaign:{record.get('id') or content_hash(record)}"


def result_event(
    sourcetype: str, parent: dict[str, Any], record: dict[str, Any], snapshot: Snapshot
) -> Event:
    """A user's result, with the campaign it belongs to."""
    return event(
        sourcetype,
        record,
        snapshot,
        mc_user=email_of(record),
        mc_campaign_id=parent.get("id"),
        mc_campaign_name=parent.get("name"),
    )


def shape(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield event(CAMPAIGN, record, snapshot)


def result_shape(parent: dict[str, Any], record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield result_event(RESULT, parent, record, snapshot)


DATA_SET = DataSet(
    name="campaign",
    title="Training campaigns and user results",
    loop=CAMPAIGNS,
    endpoint="campaigns",
    sourcetypes={
        CAMPAIGN: "one training campaign (get-campaigns)",
        RESULT: "one user's result in a training campaign (campaign get-user-data)",
    },
    shape=shape,
    settings=(
        PAGE_SIZE,
        Setting(
            "result_filter",
            "Results",
            "Optional: only user results with these statuses (empty = all).",
            "choices",
            choices=choices(("sent", "Sent"), ("correct", "Correct"), ("incorrect", "Incorrect")),
        ),
    ),
    key=campaign_key,
    request=empty_request,
    results=Results("campaign_user_data", result_shape, "result_filter"),
)
