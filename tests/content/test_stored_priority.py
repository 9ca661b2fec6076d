"""Every shipped search that passes on a user's priority from the risk table takes it from the risk policy
as it reads it (the administrator's rows included), not from the table's stored column, which keeps the
priority it was written with until the inputs' next run (docs/admin-tables.md). Run with the SPL evaluator."""

from __future__ import annotations

import pytest

from splunk_app.risk.policy import COLUMNS, shipped
from splunk_app.splunk.admin_tables import POLICY_COLLECTION

from . import spl, spl_eval

SAVED = spl.conf("savedsearches.conf")
RUN = ["Mimecast Awareness - ES human risk score", "Mimecast Awareness - Risk table CSV for indexers"]


def test_every_search_that_reads_the_table_and_names_priority_takes_the_policys():
    """Including the ES identity lookup's search (its split() is beyond the evaluator, so not run here)."""
    readers = [
        name
        for name, stanza in SAVED.items()
        if "inputlookup mimecast_user_risk" in stanza.get("search", "")
        and "priority" in stanza["search"].replace("policy_priority", "")
    ]
    assert set(RUN) < set(readers)
    assert all("priority=policy_priority" in SAVED[name]["search"] for name in readers), readers


@pytest.mark.parametrize("name", RUN)
def test_a_reader_gives_the_administrators_priority_where_the_stored_one_is_older(name):
    stored = shipped().priority("D")
    admin = "medium" if stored != "medium" else "low"
    rows = [dict(zip(COLUMNS, ("D", listed, "4", admin, "60", "true"))) for listed in ("false", "true")]
    user = {"email": "a@x.com", "safe_grade": "D", "watchlist": "true", "priority": stored}
    commands = spl_eval.pipeline(spl_eval.after(SAVED[name]["search"], "inputlookup"))
    runnable = " | ".join(c for c in commands if c.split(" ", 1)[0] not in ("foreach", "outputlookup"))

    (result,) = spl_eval.run(runnable, [user], {POLICY_COLLECTION: rows})

    assert result["priority"] == admin
    (shipped_result,) = spl_eval.run(runnable, [dict(user)], {POLICY_COLLECTION: []})
    assert shipped_result["priority"] == stored
