"""The containment records (splunk_app.containment) in the KV store collection `mimecast_containment`, and
their ledger (the latest generation of each) in `mimecast_containment_ledger`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from splunklib import client

from splunk_app.containment import COLLECTION, LEDGER, Mark, mark_from_document
from splunk_app.splunk import kvstore


class KVContainmentStore:
    """containment.Store over splunkd's KV store REST API."""

    def __init__(self, service: client.Service, collection: str = COLLECTION) -> None:
        self.service = service
        self.collection = collection
        self.where = f"the KV store collection {collection}"

    def get(self, key: str) -> Mapping[str, Any] | None:
        return next(iter(kvstore.read(self.service, self.collection, query={"_key": key})), None)

    def save(self, document: dict[str, Any]) -> None:
        kvstore.save(self.service, self.collection, [document])

    def save_many(self, documents: list[dict[str, Any]]) -> None:
        kvstore.save(self.service, self.collection, documents)

    def delete(self, key: str) -> None:
        kvstore.delete_keys(self.service, self.collection, [key])

    def delete_many(self, keys: list[str]) -> None:
        kvstore.delete_keys(self.service, self.collection, keys)

    def find(self, query: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        return kvstore.read(self.service, self.collection, query=query)


class KVLedger:
    """containment.Ledger over splunkd's KV store REST API. A mark only ever moves forward: the group's
    lease keeps two writers of one group from writing its marks at once."""

    def __init__(self, service: client.Service, collection: str = LEDGER) -> None:
        self.service = service
        self.collection = collection
        self.where = f"the KV store collection {collection}"

    def marks(self, account: str, group_id: str) -> dict[str, Mark]:
        found = kvstore.read(self.service, self.collection, query={"account": account, "group_id": group_id})
        marks = (mark_from_document(document) for document in found)
        return {mark.key: mark for mark in marks if mark is not None}

    def unreleased(self) -> list[Mark]:
        found = kvstore.read(self.service, self.collection, query={"released": {"$ne": True}})
        marks = (mark_from_document(document) for document in found)
        return [mark for mark in marks if mark is not None and not mark.released]

    def advance(self, marks: list[Mark]) -> None:
        if marks:
            kvstore.save(self.service, self.collection, [mark.document() for mark in marks])
