from __future__ import annotations

import json

import pytest

from splunk_app.splunk import kvstore


def _docs(count, start=0):
    return [
        {"_key": f"user{i:05d}@example.com", "grade": "ABCDF"[i % 5]} for i in range(start, start + count)
    ]


def test_read_pages_through_more_documents_than_one_page(splunkd, service):
    splunkd.create_collection("risk", _docs(2501))

    docs = list(kvstore.read(service, "risk", page_size=1000))

    assert [doc["_key"] for doc in docs] == [doc["_key"] for doc in _docs(2501)]
    reads = [r for r in splunkd.requests if r.method == "GET"]
    assert [(r.query["skip"], r.query["limit"]) for r in reads] == [
        ("0", "1000"),
        ("1000", "1000"),
        ("2000", "1000"),
    ]
    assert all(r.query["sort"] == "_key" for r in reads)


def test_read_stops_after_an_exactly_full_last_page_with_one_empty_read(splunkd, service):
    splunkd.create_collection("risk", _docs(20))

    assert len(list(kvstore.read(service, "risk", page_size=10))) == 20
    assert len([r for r in splunkd.requests if r.method == "GET"]) == 3


def test_read_passes_query_and_fields(splunkd, service):
    splunkd.create_collection("risk", _docs(10))

    docs = list(kvstore.read(service, "risk", query={"grade": "F"}, fields=["grade"]))

    assert docs == [
        {"_key": "user00004@example.com", "grade": "F"},
        {"_key": "user00009@example.com", "grade": "F"},
    ]


def test_pages_larger_than_splunkds_row_cap_are_refused(service):
    with pytest.raises(ValueError, match=r"1\.\.50000"):
        next(kvstore.read(service, "risk", page_size=50001))


def test_read_is_lazy(splunkd, service):
    splunkd.create_collection("risk", _docs(30))

    reader = kvstore.read(service, "risk", page_size=10)
    next(reader)

    assert len([r for r in splunkd.requests if r.method == "GET"]) == 1


def test_save_upserts_in_batches_of_at_most_1000(splunkd, service):
    splunkd.create_collection("risk", [{"_key": "user00000@example.com", "grade": "old"}])

    saved = kvstore.save(service, "risk", iter(_docs(2345)))

    assert saved == 2345
    batches = [json.loads(r.body) for r in splunkd.requests if r.path.endswith("/batch_save")]
    assert [len(batch) for batch in batches] == [1000, 1000, 345]
    stored = splunkd.collection("risk")
    assert len(stored) == 2345
    assert stored[0]["grade"] == "A"


def test_batches_over_1000_are_refused_here_and_by_the_stand_in_as_by_splunkd(splunkd, service, monkeypatch):
    splunkd.create_collection("risk")
    with pytest.raises(ValueError, match=r"1..1000"):
        kvstore.save(service, "risk", _docs(1), batch_size=1001)

    monkeypatch.setattr(kvstore, "BATCH_LIMIT", 5000)
    with pytest.raises(
        kvstore.KVStoreError, match=r"400.*Too many documents for a single batch save"
    ) as caught:
        kvstore.save(service, "risk", _docs(1001), batch_size=1001)
    assert caught.value.status == 400
    assert splunkd.collection("risk") == []


def test_save_of_nothing_makes_no_call(splunkd, service):
    splunkd.create_collection("risk")

    assert kvstore.save(service, "risk", []) == 0
    assert splunkd.requests == []


def test_delete_keys_removes_only_those_keys_in_short_calls(splunkd, service):
    splunkd.create_collection("risk", _docs(300))
    doomed = [doc["_key"] for doc in _docs(250)] + ["nobody@example.com"]

    assert kvstore.delete_keys(service, "risk", doomed) == 251

    assert [doc["_key"] for doc in splunkd.collection("risk")] == [
        doc["_key"] for doc in _docs(50, start=250)
    ]
    deletes = [r for r in splunkd.requests if r.method == "DELETE"]
    assert len(deletes) == 3
    assert all(len(json.loads(r.query["query"])["$or"]) <= kvstore.KEYS_PER_DELETE for r in deletes)


def test_missing_collection_is_named_with_what_to_check(splunkd, service):
    with pytest.raises(kvstore.CollectionMissing, match=r"'mimecast_user_risk'.*collections.conf") as caught:
        list(kvstore.read(service, "mimecast_user_risk"))
    assert caught.value.status == 404


def test_kvstore_down_says_so(splunkd, service):
    splunkd.create_collection("risk", _docs(3))
    splunkd.faults.kvstore_unavailable = True

    with pytest.raises(kvstore.KVStoreUnavailable, match=r"503.*KV Store is initializing.*kvstore-status"):
        kvstore.save(service, "risk", _docs(3))
    assert len(splunkd.collection("risk")) == 3


def test_an_update_replaces_the_document_of_a_key_with_characters_that_urls_encode(splunkd, service):
    key = "prod|eNo1/ab+c|ann@example.com"
    splunkd.create_collection("c", [{"_key": key, "beat": "1"}])

    kvstore.update(service, "c", {"_key": key, "beat": "2"})

    assert [(doc["_key"], doc["beat"]) for doc in splunkd.collection("c")] == [(key, "2")]
    assert any("%7C" in request.path and "%257C" not in request.path for request in splunkd.requests)
