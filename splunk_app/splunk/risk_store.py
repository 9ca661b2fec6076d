"""The risk table as the KV store collection `mimecast_user_risk`, seen through splunkd's REST API."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from splunklib import client

from splunk_app.risk.table import COLLECTION
from splunk_app.splunk import kvstore
from splunk_app.splunk.service import get_json

# Who the training input pulls when the administrator lists no users.
TRAINING_QUERY = {"$or": [{"watchlist": "true"}, {"safe_grade": "D"}, {"safe_grade": "F"}]}


class KVRiskStore:
    """RiskStore over the KV store: paged reads in `_key` order, batches of at most 1,000 per save."""

    def __init__(self, service: client.Service, collection: str = COLLECTION) -> None:
        self.service = service
        self.collection = collection

    def scan(self) -> Iterator[dict[str, Any]]:
        return kvstore.read(self.service, self.collection)

    def save(self, rows: Iterable[dict[str, Any]]) -> int:
        return kvstore.save(self.service, self.collection, rows)

    def delete(self, keys: Iterable[str]) -> int:
        return kvstore.delete_keys(self.service, self.collection, keys)

    def training_users(self) -> Iterator[str]:
        """The watch-listed and grade D/F users, by email."""
        for row in kvstore.read(self.service, self.collection, query=TRAINING_QUERY, fields=("_key",)):
            yield str(row["_key"])


def kvstore_ready(service: client.Service) -> bool:
    """Whether this instance has a KV store that answers: `kvStoreStatus` of server/info is `ready`. A heavy
    forwarder (KV store disabled) or a KV store still starting says otherwise."""
    answer = get_json(service, "server/info", "read server info (is there a KV store?)")
    entries = (answer or {}).get("entry") or [{}]
    return str((entries[0].get("content") or {}).get("kvStoreStatus", "")).lower() == "ready"
