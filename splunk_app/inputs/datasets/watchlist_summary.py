"""get-watchlist-summary (API 2.0): the company's watch-list summary, each record as Mimecast returns it.
Mimecast documents its records only as data[], so nothing here assumes a field."""

from __future__ import annotations

from splunk_app.inputs.dataset import RECORDS, DataSet, empty_request
from splunk_app.inputs.events import as_is, content_hash

SOURCETYPE = "mimecast:awareness:watchlist_summary"


DATA_SET = DataSet(
    name="watchlist_summary",
    title="Watch-list summary (records as Mimecast returns them)",
    loop=RECORDS,
    endpoint="watchlist_summary",
    sourcetypes={SOURCETYPE: "one record of the company's watch-list summary (get-watchlist-summary)"},
    shape=as_is(SOURCETYPE),
    key=lambda record: f"watchlist_summary:{content_hash(record)}",
    request=empty_request,
    paged=False,
)
