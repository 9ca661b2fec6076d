"""get-safe-score-summary: the company's grade counts, one event per snapshot."""

from __future__ import annotations

from splunk_app.inputs.dataset import RECORDS, DataSet, empty_request
from splunk_app.inputs.events import as_is

SOURCETYPE = "mimecast:awareness:safe_score_summary"


DATA_SET = DataSet(
    name="safe_score_summary",
    title="SAFE score summary (company snapshot)",
    loop=RECORDS,
    endpoint="safe_score_summary",
    sourcetypes={SOURCETYPE: "the company's grade counts (get-safe-score-summary)"},
    shape=as_is(SOURCETYPE),
    key=lambda record: "summary",
    request=empty_request,
    paged=False,
)
