"""The risk table as the KV store collection `mimecast_user_risk`, seen through splunkd's REST API."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from splunklib import client

from splunk_app.risk import policy, prepared
from splunk_app.risk.identity import Aliases
from splunk_app.risk.policy import Policy
from splunk_app.risk.table import COLLECTION, FIELDS, RiskTable, prepared_table, profiles_of, table_from_rows
from splunk_app.splunk import kvstore
from splunk_app.splunk.service import SplunkdError, get_json

KV_PAGE_SIZE = 10_000  # documents per KV store read; limits.conf max_rows_per_query is 50,000
VERSION_COLLECTION = "mimecast_user_risk_version"  # one document: a token every writer changes
VERSION_KEY = "table"
LOG = logging.getLogger(__name__)


def read_table(
    service: client.Service,
    aliases: Aliases | None = None,
    default_domain: str = "",
    cache: Path | None = None,
    collection: str = COLLECTION,
) -> RiskTable:
    """The risk table from the KV store: what `mimecastrisk` and the alert actions resolve users against
    (`RiskTable.resolve`). With a `cache` folder and a version token, the table is looked up in its prepared
    form made from the table's current version (by the writer, or by this search when no one has);
    otherwise it is read whole, a page at a time."""
    stamp = table_version(service, collection) if cache is not None else None
    if cache is not None and stamp:
        table = prepared_table(
            _path(cache, collection), stamp, _profiles(service, collection), default_domain, aliases
        )
        if table is not None:
            return table
    return table_from_rows(_documents(service, collection), default_domain, aliases)


def prepare(service: client.Service, cache: Path | None, collection: str = COLLECTION) -> bool:
    """The writer's step once the table is written: its prepared form for the table's new version, so the
    next search opens it at once. False where there is nothing to prepare for (no cache folder, no version
    token) or it could not be written."""
    stamp = table_version(service, collection) if cache is not None else None
    if cache is None or not stamp:
        return False
    table = prepared_table(_path(cache, collection), stamp, _profiles(service, collection))
    if table is None:
        return False
    table.close()
    return True


def _path(cache: Path, collection: str) -> Path:
    return prepared.prepared_path(cache, f"kvstore:{collection}")


def _documents(service: client.Service, collection: str) -> Iterator[dict[str, Any]]:
    return kvstore.read(service, collection, fields=FIELDS, page_size=KV_PAGE_SIZE)


def _profiles(service: client.Service, collection: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    return profiles_of(_documents(service, collection))


def table_version(service: client.Service, collection: str = COLLECTION) -> list[Any] | None:
    """What changes whenever the table does: the token its writers change before and after they write, the
    newest `updated` (which the inputs and the rebuild search set), and the risk policy a table's missing
    priorities come from. None without a token: then no prepared form is trusted."""
    try:
        token = kvstore.first(service, VERSION_COLLECTION, "_key", ("version",))
    except kvstore.CollectionMissing:
        return None
    if token is None or token.get("_key") != VERSION_KEY or not token.get("version"):
        return None
    newest = kvstore.first(service, collection, "updated:-1", ("updated",)) or {}
    return [str(token["version"]), str(newest.get("updated", "")), collection, *policy.stamp()]


def bump_version(service: client.Service) -> None:
    """A new token, so that every prepared copy of the table is rebuilt. A search head without the version
    collection keeps none, and then no copy is trusted."""
    with contextlib.suppress(kvstore.CollectionMissing):
        kvstore.save(service, VERSION_COLLECTION, [{"_key": VERSION_KEY, "version": secrets.token_hex(8)}])


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
    # No grade, or one the policy does not name (Mimecast may add one): the row unknown says.
    unnamed: list[dict[str, Any]] = [{"safe_grade": {"$ne": grade}} for grade in grades]
    if policy.rule(None).risky:
        parts.append({"$and": unnamed or [{}]})
    elif not every_listed and policy.rule(None, True).risky:
        parts.append({"$and": [*unnamed, {"watchlist": "true"}]})
    return {"$or": parts}


class KVRiskStore:
    """RiskStore over the KV store: paged reads in `_key` order, batches of at most 1,000 per save."""

    def __init__(self, service: client.Service, collection: str = COLLECTION) -> None:
        self.service = service
        self.collection = collection

    def scan(self) -> Iterator[dict[str, Any]]:
        return kvstore.read(self.service, self.collection)

    def save(self, rows: Iterable[dict[str, Any]]) -> int:
        bump_version(self.service)  # before and after: a copy made while rows change is never trusted
        try:
            return kvstore.save(self.service, self.collection, rows)
        finally:
            bump_version(self.service)

    def delete(self, keys: Iterable[str]) -> int:
        bump_version(self.service)
        try:
            return kvstore.delete_keys(self.service, self.collection, keys)
        finally:
            bump_version(self.service)

    def written(self) -> None:
        """The table is written: prepare the searches' form of it (`prepare`), stamped with the policy in
        force (the writer follows the administrator's rows before it writes: admin_tables.follow_policy).
        A failure costs the next search the preparation, so it is one WARNING, never the input's failure."""
        try:
            prepare(self.service, prepared.cache_folder(os.environ.get("SPLUNK_HOME")), self.collection)
        except (SplunkdError, OSError) as err:
            LOG.warning(
                "risk table: the searches' prepared form was not written (%s); the next search writes it", err
            )

    def training_users(self, policy: Policy) -> Iterator[str]:
        """The users `policy` counts as risky (watch-listed, grade D or F as shipped), by email."""
        query = risky_query(policy)
        for row in kvstore.read(self.service, self.collection, query=query, fields=("_key",)):
            yield str(row["_key"])


def kvstore_ready(service: client.Service) -> bool:
    """Whether this instance has a KV store that answers: `kvStoreStatus` of server/info is `ready`. A heavy
    forwarder (KV store disabled) or a KV store still starting says otherwise."""
    answer = get_json(service, "server/info", "read server info (is there a KV store?)")
    entries = (answer or {}).get("entry") or [{}]
    return str((entries[0].get("content") or {}).get("kvStoreStatus", "")).lower() == "ready"
