"""get-safe-score-summary: the company's grade counts, one event per snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from splunk_app.inputs.dataset import RECORDS, DataSet, empty_request
from splunk_app.inputs.events import Event, Snapshot, event

SOURCETYPE = "mimecast:awareness:safe_score_summary"


def shape(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield event(SOURCETYPE, record, snapshot)


DATA_SET = DataSet(
    name="safe_score_summary",
    title="SAFE score summary (company snapshot)",
    loop=RECORDS,
    endpoint="safe_score_summary",
    sourcetypes={SOURCETYPE: "the company's grade counts (get-safe-score-summary)"},
    shape=shape,
    key=lambda record: "summary",
    request=empty_request,
    paged=False,
)
