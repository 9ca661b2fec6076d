"""The table read from the KV store of a loopback splunkd stand-in: once per search, a page at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.splunkd import SplunkdStandIn
from splunk_app.inputs.catalogue import by_name
from splunk_app.risk import policy, prepared, sync
from splunk_app.risk.policy import COLUMNS
from splunk_app.risk.table import COLLECTION
from splunk_app.splunk.admin_tables import POLICY_COLLECTION, follow_policy
from splunk_app.splunk.risk_store import KV_PAGE_SIZE, VERSION_COLLECTION, KVRiskStore
from splunk_app.splunk.service import connect

from .harness import environment, exchange, only_error, run

USERS = KV_PAGE_SIZE * 2 + 500  # three pages


def _doc(number: int) -> dict:
    """A document as the inputs store it: numbers as numbers, no priority column for some."""
    grade = "ABCDF"[number % 5]
    return {
        "_key": f"user{number:05d}@example.com",
        "email": f"user{number:05d}@example.com",
        "department": f"Dept {number % 7}",
        "safe_grade": grade,
        "human_error": grade,
        "engagement": "B",
        "knowledge": "C",
        "sentiment": "A",
        "watchlist": number % 3 == 0,
        "watchlist_count": number % 3,
        "updated": 1763895600 + number,
    }


def _search(splunkd: SplunkdStandIn, records: list[dict], *args: str) -> bytes:
    return exchange(
        list(args),
        [records[:2], records[2:]],
        splunkd_uri=splunkd.uri,
        session_key=splunkd.session_key,
    )


def test_more_users_than_a_page_read_once_in_pages():
    records = [
        {"user": "user00000@example.com"},
        {"user": "CORP\\user10000"},
        {"user": "USER20499@EXAMPLE.COM"},
        {"recipient": ["user00003@example.com", "user20001@example.com"]},
        {"user": "user99999"},
    ]
    with SplunkdStandIn() as splunkd:
        splunkd.create_collection(COLLECTION, [_doc(number) for number in range(USERS)])
        result = run(_search(splunkd, records), None)
        reads = [
            request
            for request in splunkd.requests
            if request.path.endswith(f"/{COLLECTION}/") or request.path.endswith(f"/{COLLECTION}")
        ]

    assert result.returncode == 0, result.stderr
    assert result.info == {"type": "stateful"}  # the KV store is on the search head
    assert len(reads) == 3 and all(request.method == "GET" for request in reads)
    assert [int(request.query["skip"]) for request in reads] == [0, KV_PAGE_SIZE, KV_PAGE_SIZE * 2]
    first, second, third, listed, unknown = result.records
    assert (
        first["mimecast_safe_grade"],
        first["mimecast_watchlist"],
        first["mimecast_watchlist_count"],
        first["mimecast_priority"],
        first["mimecast_risk_updated"],
    ) == ("A", "true", "0", "low", "1763895600")
    assert (second["mimecast_identity"], second["mimecast_safe_grade"], second["mimecast_department"]) == (
        "user10000@example.com",
        "A",
        "Dept 4",
    )
    assert (third["mimecast_identity"], third["mimecast_safe_grade"], third["mimecast_watchlist"]) == (
        "user20499@example.com",
        "F",
        "true",
    )
    assert second["mimecast_match"] == "local_part"  # no option: the table has one mail domain
    assert listed["mimecast_grades"] == ["D", "B"]
    assert (listed["mimecast_safe_grade"], listed["mimecast_watchlist"]) == ("D", "true")
    assert (unknown["mimecast_safe_grade"], unknown["mimecast_identity"], unknown["mimecast_match"]) == (
        "unknown",
        "",
        "none",
    )


def test_a_missing_collection_stops_the_search_with_one_message():
    with SplunkdStandIn() as splunkd:
        text = only_error(run(_search(splunkd, [{"user": "a@example.com"}]), None))
        key = splunkd.session_key
    assert "the collection does not exist" in text
    assert key not in text


def test_a_kv_store_that_is_down_stops_the_search_with_one_message():
    with SplunkdStandIn() as splunkd:
        splunkd.create_collection(COLLECTION, [_doc(1)])
        splunkd.faults.kvstore_unavailable = True
        text = only_error(run(_search(splunkd, [{"user": "a@example.com"}]), None))
    assert "the KV store is not ready" in text


def test_an_unreachable_splunkd_stops_the_search_with_one_message():
    with SplunkdStandIn() as splunkd:
        data = _search(splunkd, [{"user": "a@example.com"}])
    assert "could not be reached" in only_error(run(data, None))


def _page_reads(splunkd: SplunkdStandIn) -> int:
    """How many pages of the table were read (not the version checks)."""
    return sum(
        request.path.rstrip("/").endswith(f"/{COLLECTION}") and request.query.get("sort") == "_key"
        for request in splunkd.requests
    )


def test_later_searches_read_the_prepared_table_until_a_writer_changes_it(tmp_path):
    env = {**environment(), "SPLUNK_HOME": str(tmp_path)}  # the prepared form's folder
    records = [{"user": "CORP\\user00005"}, {"user": "user00007@example.com"}]
    with SplunkdStandIn() as splunkd:
        splunkd.create_collection(COLLECTION, [_doc(number) for number in range(USERS)])
        splunkd.create_collection(VERSION_COLLECTION)
        store = KVRiskStore(connect(splunkd.uri, splunkd.session_key))
        store.save([])  # a writer's run: the table gets a version token
        grades = []
        reads = []
        for _search_number in range(3):
            before = _page_reads(splunkd)
            result = run(_search(splunkd, records), None, env=env)
            assert result.returncode == 0, result.stderr
            grades.append([record["mimecast_safe_grade"] for record in result.records])
            reads.append(_page_reads(splunkd) - before)
            if _search_number == 1:
                store.save([{**_doc(5), "safe_grade": "D"}])  # a writer that does not prepare
        # The risk table's form (the alias table has one beside it, which this test leaves alone).
        form = prepared.prepared_path(Path(), f"kvstore:{COLLECTION}").name
        tampered = next(path for path in Path(tmp_path).rglob(form))
        tampered.write_bytes(tampered.read_bytes()[:-10])
        before = _page_reads(splunkd)
        last = run(_search(splunkd, records), None, env=env)
        reads.append(_page_reads(splunkd) - before)

    assert reads[:2] == [3, 0]  # the second search read no page of the table
    assert grades[:2] == [["A", "C"], ["A", "C"]]
    assert (reads[2], grades[2]) == (3, ["D", "C"])  # the writer changed user00005: read again
    assert (reads[3], [record["mimecast_safe_grade"] for record in last.records]) == (3, ["D", "C"])


def test_the_inputs_sync_prepares_the_table_so_the_first_search_after_it_reads_no_page(tmp_path, monkeypatch):
    """The writer prepares: the risk sync ends with `written`, which writes the prepared form of the new
    version where the searches look for it (SPLUNK_HOME's var/run)."""
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path))
    env = {**environment(), "SPLUNK_HOME": str(tmp_path)}
    columns = by_name("safe_score").risk
    with SplunkdStandIn() as splunkd:
        splunkd.create_collection(COLLECTION, [_doc(number) for number in range(USERS)])
        splunkd.create_collection(VERSION_COLLECTION)
        store = KVRiskStore(connect(splunkd.uri, splunkd.session_key))
        found = []
        for grade in ("D", "B"):
            records = [
                {"emailAddress": doc["email"], "risk": doc["safe_grade"]} for doc in map(_doc, range(USERS))
            ]
            records[5]["risk"] = grade
            rows = sorted(
                (sync.row_from(columns, record, 1.8e9) for record in records), key=lambda row: row["_key"]
            )
            sync.sync(store, rows, columns, 1.8e9, True)
            before = _page_reads(splunkd)
            result = run(
                _search(splunkd, [{"user": "CORP\\user00005"}, {"user": "user00007"}]), None, env=env
            )
            assert result.returncode == 0, result.stderr
            found.append(
                ([record["mimecast_safe_grade"] for record in result.records], _page_reads(splunkd) - before)
            )

    assert found == [(["D", "C"], 0), (["B", "C"], 0)]  # the first search after each sync: no page read


def test_without_a_version_token_every_search_reads_the_table(tmp_path):
    env = {**environment(), "SPLUNK_HOME": str(tmp_path)}
    with SplunkdStandIn() as splunkd:
        splunkd.create_collection(COLLECTION, [_doc(number) for number in range(50)])
        runs = [run(_search(splunkd, [{"user": "user00001"}]), None, env=env) for _ in range(2)]
        reads = _page_reads(splunkd)
    assert reads == 2
    assert [result.records[0]["mimecast_safe_grade"] for result in runs] == ["B", "B"]


def test_the_writer_prepares_under_the_administrators_policy_and_a_changed_policy_is_never_answered_from_it(
    tmp_path, monkeypatch
):
    """The form is stamped with the policy in force (a user without a priority takes the policy's): the
    writer prepares under the administrator's rows as the searches read them, so the first search opens
    its form; a policy changed since, with the table unchanged, is never answered from that form."""
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path))
    env = {**environment(), "SPLUNK_HOME": str(tmp_path)}
    rows = [
        {"_key": f"A-{listed}", **dict(zip(COLUMNS, ("A", listed, "1", "critical", "0", "false")))}
        for listed in ("false", "true")
    ]
    with SplunkdStandIn() as splunkd:
        splunkd.create_collection(COLLECTION, [{**_doc(number), "safe_grade": "A"} for number in range(50)])
        splunkd.create_collection(VERSION_COLLECTION)
        splunkd.create_collection(POLICY_COLLECTION, rows)
        monkeypatch.setattr(policy, "_IN_FORCE", policy._InForce())  # this process's policy, undone after
        service = connect(splunkd.uri, splunkd.session_key)
        store = KVRiskStore(service)
        follow_policy(service, pytest.fail)  # a writer's run: the input follows the policy before it writes,
        store.save([])
        store.written()  # and ends as the risk sync does
        found = []
        for _search_number in range(2):
            before = _page_reads(splunkd)
            result = run(_search(splunkd, [{"user": "CORP\\user00005"}]), None, env=env)
            assert result.returncode == 0, result.stderr
            found.append((result.records[0]["mimecast_priority"], _page_reads(splunkd) - before))
            splunkd.create_collection(POLICY_COLLECTION, [{**row, "priority": "low"} for row in rows])

    assert found == [("critical", 0), ("low", 1)]  # the writer's form, then the table read again
