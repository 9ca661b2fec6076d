"""phishing get-campaign, then phishing get-user-data per campaign: one event per phishing campaign and one
per user result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from splunk_app.inputs.dataset import CAMPAIGNS, DataSet, Results, empty_request
from splunk_app.inputs.datasets.campaign import campaign_key, result_event
from splunk_app.inputs.events import Event, Snapshot, event
from splunk_app.inputs.settings import PAGE_SIZE, Setting, choices

CAMPAIGN = "mimecast:awareness:phishing_campaign"
RESULT = "mimecast:awareness:phishing_result"


def shape(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield event(CAMPAIGN, record, snapshot)


def result_shape(parent: dict[str, Any], record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield result_event(RESULT, parent, record, snapshot)


DATA_SET = DataSet(
    name="phishing",
    title="Phishing campaigns and user results",
    loop=CAMPAIGNS,
    endpoint="phishing_campaigns",
    sourcetypes={
        CAMPAIGN: "one phishing campaign (phishing get-campaign)",
        RESULT: "one user's result in a phishing campaign (phishing get-user-data)",
    },
    shape=shape,
    settings=(
        PAGE_SIZE,
        Setting(
            "result_filter",
            "Results",
            "Optional: only user results with these statuses (empty = all).",
            "choices",
            choices=choices(
                ("sent", "Sent"), ("opened", "Opened"), ("clicked", "Clicked"), ("submitted", "Submitted")
            ),
        ),
    ),
    key=campaign_key,
    request=empty_request,
    results=Results("phishing_user_data", result_shape, "result_filter"),
)
