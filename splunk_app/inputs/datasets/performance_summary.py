"""get-performance-summary (API 2.0): one event per department's completion figures
(data[0].departmentCompletionStats[]), every field Mimecast sends kept as it is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from splunk_app.inputs.dataset import RECORDS, DataSet, empty_request
from splunk_app.inputs.events import Event, Snapshot, content_hash, event

SOURCETYPE = "mimecast:awareness:performance_summary"
# Mimecast documents the counts, not the department's own field: the first of these that a record has.
DEPARTMENT_FIELDS = ("department", "departmentName", "name")


def department_of(record: dict[str, Any]) -> str:
    return next((str(record[name]) for name in DEPARTMENT_FIELDS if record.get(name) not in (None, "")), "")


def shape(record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    yield event(SOURCETYPE, record, snapshot, mc_department=department_of(record))


def key(record: dict[str, Any]) -> str:
    """A department by its name (its content when it has none, so it is not lost)."""
    name = department_of(record)
    return f"department:{name.lower()}" if name else f"department:#{content_hash(record)}"


DATA_SET = DataSet(
    name="performance_summary",
    title="Performance summary (one event per department)",
    loop=RECORDS,
    endpoint="performance_summary",
    sourcetypes={SOURCETYPE: "one department's training completion figures (get-performance-summary)"},
    shape=shape,
    key=key,
    request=empty_request,
    paged=False,
)
