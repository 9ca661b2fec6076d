"""get-safe-score-details: one event per user, and the SAFE grade columns of the risk table."""

from __future__ import annotations

from splunk_app.inputs.dataset import USERS, DataSet
from splunk_app.inputs.events import as_is
from splunk_app.inputs.settings import PAGE_SIZE
from splunk_app.risk.sync import RiskColumns, field, grade

SOURCETYPE = "mimecast:awareness:safe_score"


DATA_SET = DataSet(
    name="safe_score",
    title="SAFE score details (one event per user)",
    loop=USERS,
    endpoint="safe_score_details",
    sourcetypes={SOURCETYPE: "one user's SAFE score (get-safe-score-details)"},
    shape=as_is(SOURCETYPE, user=True),
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
