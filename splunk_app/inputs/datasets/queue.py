"""get-queue: one event per training module in the queue."""

from __future__ import annotations

from typing import Any

from splunk_app.inputs.dataset import RECORDS, DataSet, empty_request
from splunk_app.inputs.events import as_is, content_hash
from splunk_app.inputs.settings import PAGE_SIZE

SOURCETYPE = "mimecast:awareness:module"


def key(record: dict[str, Any]) -> str:
    return f"module:{record.get('id') or content_hash(record)}"


DATA_SET = DataSet(
    name="queue",
    title="Training queue (one event per module)",
    loop=RECORDS,
    endpoint="queue",
    sourcetypes={SOURCETYPE: "one training module in the queue (get-queue)"},
    shape=as_is(SOURCETYPE),
    settings=(PAGE_SIZE,),
    key=key,
    request=empty_request,
)
