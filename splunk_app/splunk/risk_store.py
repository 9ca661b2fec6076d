"""The risk table as the KV store collection `mimecast_user_risk`, seen through splunkd's REST API."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from splunklib import client

from splunk_app.risk.identity import Aliases
from splunk_app.risk.policy import Policy, shipped
from splunk_app.risk.table import COLLECTION, FIELDS, RiskTable, table_from_rows
from splunk_app.splunk import kvstore
from splunk_app.splunk.service import get_json

KV_PAGE_SIZE = 10_000  # documents per KV store read; limits.conf max_rows_per_query is 50,000


def read_table(
    service: client.Service,
    aliases: Aliases | None = None,
    default_domain: str = "",
    collection: str = COLLECTION,
) -> RiskTable:
    """The risk table from the KV store, a page at a time: what `mimecastrisk` and the alert actions resolve
    users against (`RiskTable.resolve`)."""
    documents = kvstore.read(service, collection, fields=FIELDS, page_size=KV_PAGE_SIZE)
    return table_from_rows(documents, default_domain, aliases)


def risky_query(policy: Policy) -> dict[str, Any]:
    """A KV store query for the users the risk policy counts as risky: who the training input pulls when
    the administrator lists no users."""
    grades = policy.grades()
    every_listed = all(rule.risky for (_grade, listed), rule in policy.rules.items() if listed)
    parts: list[dict[str, Any]] = [{"watchlist": "true"}] if every_listed else []
    for grade in grades:
        if policy.rule(grade).risky:
            parts.append({"safe_grade": grade})
        elif not every_listed and policy.rule(grade, True).risky:
            parts.append({"safe_grade": grade, "watchlist": "true"})
    return {"$or": parts}


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
        """The users the risk policy counts as risky (watch-listed, grade D or F as shipped), by email."""
        query = risky_query(shipped())
        for row in kvstore.read(self.service, self.collection, query=query, fields=("_key",)):
            yield str(row["_key"])


def kvstore_ready(service: client.Service) -> bool:
    """Whether this instance has a KV store that answers: `kvStoreStatus` of server/info is `ready`. A heavy
    forwarder (KV store disabled) or a KV store still starting says otherwise."""
    answer = get_json(service, "server/info", "read server info (is there a KV store?)")
    entries = (answer or {}).get("entry") or [{}]
    return str((entries[0].get("content") or {}).get("kvStoreStatus", "")).lower() == "ready"
