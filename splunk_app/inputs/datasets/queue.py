"""get-queue: one event per training module in the queue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from splunk_app.inputs.dataset import RECORDS, DataSet, empty_request
from splunk_app.inputs.events import Event, Snapshot, content_hash, event
from splunk_app.inputs.settings import PAGE_SIZE

SOURCETYPE = "mimecast:awareness:module"


def shape(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield event(SOURCETYPE, record, snapshot)


def key(record: dict[str, Any]) -> str:
    return f"module:{record.get('id') or content_hash(record)}"


DATA_SET = DataSet(
    name="queue",
    title="Training queue (one event per module)",
    loop=RECORDS,
    endpoint="queue",
    sourcetypes={SOURCETYPE: "one training module in the queue (get-queue)"},
    shape=shape,
    settings=(PAGE_SIZE,),
    key=key,
    request=empty_request,
)
