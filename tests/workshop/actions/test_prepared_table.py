"""The actions resolve users in the risk table's prepared form that the searches share (written by the
table's writer), and never in a form older than the table."""

from __future__ import annotations

from splunk_app.splunk.risk_store import VERSION_COLLECTION, KVRiskStore
from splunk_app.splunk.service import connect

from .conftest import RISK_TABLE, rows_for

ADD = "mimecast_add_to_group"


def _page_reads(splunkd) -> int:
    return sum(
        request.path.rstrip("/").endswith(f"/{RISK_TABLE}") and request.query.get("sort") == "_key"
        for request in splunkd.requests
    )


def test_the_action_opens_the_writers_form_and_a_changed_table_is_read_again(
    run_action, splunkd, splunk_home, monkeypatch
):
    monkeypatch.setenv("SPLUNK_HOME", str(splunk_home))  # where the writer prepares, as the inputs do
    splunkd.create_collection(VERSION_COLLECTION)
    store = KVRiskStore(connect(splunkd.uri, splunkd.session_key))
    store.save([])
    store.written()

    before = _page_reads(splunkd)
    first = run_action(ADD, rows_for("CORP\\ann", "zed@simulated.example"), dry_run="1")
    opened = _page_reads(splunkd) - before
    store.save([{"_key": "zed@simulated.example", "email": "zed@simulated.example"}])  # no preparation
    before = _page_reads(splunkd)
    second = run_action(ADD, rows_for("CORP\\ann", "zed@simulated.example"), dry_run="1")
    read = _page_reads(splunkd) - before

    assert (first.status, opened) == (1, 0)  # zed is not in the table yet: one user not acted on
    assert sorted(user for user, _outcome in first.outcomes()) == ["", "ann@simulated.example"]
    assert (second.status, read) == (0, 1)  # the changed table, read again (one page) and prepared
    assert sorted(user for user, _outcome in second.outcomes()) == [
        "ann@simulated.example",
        "zed@simulated.example",
    ]
