"""The containment records (splunk_app.containment) in the KV store collection `mimecast_containment`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from splunklib import client

from splunk_app.containment import COLLECTION
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
