"""get-campaigns, then get-user-data per campaign: one event per training campaign and one per user result.
Phishing campaigns have the same two levels; `declare` makes either."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from splunk_app.inputs.dataset import CAMPAIGNS, DataSet, Results, empty_request
from splunk_app.inputs.events import Event, Snapshot, as_is, content_hash, event
from splunk_app.inputs.settings import PAGE_SIZE, Setting, choices
from splunk_app.mimecast.records import email_of


def campaign_key(record: dict[str, Any]) -> str:
    """A campaign by its id (its content when it has none, so it is not lost)."""
    return f"campaign:{record.get('id') or content_hash(record)}"


def declare(
    name: str,
    title: str,
    endpoints: tuple[str, str],
    sourcetypes: tuple[tuple[str, str], tuple[str, str]],
    statuses: tuple[tuple[str, str], ...],
) -> DataSet:
    """A two-level data set: the campaigns (`endpoints[0]`), then each campaign's user results."""
    (campaign, campaign_what), (result, result_what) = sourcetypes

    def result_shape(parent: dict[str, Any], record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
        """A user's result, with the campaign it belongs to."""
        yield event(
            result,
            record,
            snapshot,
            mc_user=email_of(record),
            mc_campaign_id=parent.get("id"),
            mc_campaign_name=parent.get("name"),
        )

    status_setting = Setting(
        "result_filter",
        "Results",
        "Optional: only user results with these statuses (empty = all).",
        "choices",
        choices=choices(*statuses),
    )
    return DataSet(
        name=name,
        title=title,
        loop=CAMPAIGNS,
        endpoint=endpoints[0],
        sourcetypes={campaign: campaign_what, result: result_what},
        shape=as_is(campaign),
        settings=(PAGE_SIZE, status_setting),
        key=campaign_key,
        request=empty_request,
        results=Results(endpoints[1], result_shape, status_setting.name),
    )


DATA_SET = declare(
    "campaign",
    "Training campaigns and user results (API 1.0 accounts only: not in API 2.0)",
    ("campaigns", "campaign_user_data"),
    (
        ("mimecast:awareness:campaign", "one training campaign (get-campaigns)"),
        (
            "mimecast:awareness:campaign_result",
            "one user's result in a training campaign (campaign get-user-data)",
        ),
    ),
    (("sent", "Sent"), ("correct", "Correct"), ("incorrect", "Incorrect")),
)
