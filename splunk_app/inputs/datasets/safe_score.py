"""get-safe-score-details: one event per user, and the SAFE grade columns of the risk table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from splunk_app.inputs.dataset import USERS, DataSet
from splunk_app.inputs.events import Event, Snapshot, event
from splunk_app.inputs.settings import PAGE_SIZE
from splunk_app.mimecast.records import email_of
from splunk_app.risk.sync import RiskColumns, field, grade

SOURCETYPE = "mimecast:awareness:safe_score"


def shape(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield event(SOURCETYPE, record, snapshot, mc_user=email_of(record))


DATA_SET = DataSet(
    name="safe_score",
    title="SAFE score details (one event per user)",
    loop=USERS,
    endpoint="safe_score_details",
    sourcetypes={SOURCETYPE: "one user's SAFE score (get-safe-score-details)"},
    shape=shape,
    settings=(PAGE_SIZE,),
    risk=RiskColumns(
        {
            "safe_grade": field("risk", grade),
            "human_error": field("humanError", grade),
            "engagement": field("engagement", grade),
            "knowledge": field("knowledge", grade),
            "sentiment": field("sentiment", grade),
        }
    ),
)
