"""KV store collection data through splunkd's REST API: paged reads, batched upserts, deletes by key."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any
from urllib.parse import quote

from splunklib import client
from splunklib.binding import UrlEncoded

from splunk_app.splunk.service import SplunkdError, request

BATCH_LIMIT = 1000  # limits.conf [kvstore] max_documents_per_batch_save: splunkd refuses bigger batches
PAGE_SIZE = 1000
# limits.conf [kvstore] max_rows_per_query: splunkd silently returns no more rows than this per query, so a
# bigger page would look like the last one.
MAX_PAGE_SIZE = 50000
KEYS_PER_DELETE = 100  # keys travel in the query string of a DELETE; keep the URL short
_JSON = [("Content-Type", "application/json")]


class KVStoreError(SplunkdError):
    """A KV store call failed."""


class CollectionMissing(KVStoreError):
    """The collection is not defined (collections.conf not deployed on this search head)."""


class KVStoreUnavailable(KVStoreError):
    """The KV store is down, starting or disabled: try again later."""


class KeyExists(KVStoreError):
    """An insert named a `_key` that a document already has (splunkd answers 409)."""


def read(
    service: client.Service,
    collection: str,
    query: dict[str, Any] | None = None,
    fields: Iterable[str] = (),
    page_size: int = PAGE_SIZE,
) -> Iterator[dict[str, Any]]:
    """Yield the documents a page at a time (ordered by `_key`, so pages neither skip nor repeat)."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size}")
    params: dict[str, Any] = {"limit": page_size, "sort": "_key"}
    if query:
        params["query"] = json.dumps(query)
    if fields:
        params["fields"] = ",".join(fields)
    skip = 0
    while True:
        page = _call(service, "GET", collection, "", f"read page at {skip}", skip=skip, **params)
        yield from page
        if len(page) < page_size:
            return
        skip += len(page)


def first(
    service: client.Service, collection: str, sort: str, fields: Iterable[str] = ()
) -> dict[str, Any] | None:
    """The first document in `sort` order (for example `updated:-1`, the newest), or None when empty."""
    params: dict[str, Any] = {"limit": 1, "sort": sort}
    if fields:
        params["fields"] = ",".join(fields)
    page = _call(service, "GET", collection, "", f"read the first by {sort}", **params)
    return page[0] if isinstance(page, list) and page and isinstance(page[0], dict) else None


def save(
    service: client.Service, collection: str, docs: Iterable[dict[str, Any]], batch_size: int = BATCH_LIMIT
) -> int:
    """Insert or update (by `_key`) every document, in batch_save calls of at most `batch_size`;
    returns how many were saved. Streams: never holds more than one batch."""
    if not 1 <= batch_size <= BATCH_LIMIT:
        raise ValueError(f"batch_size must be 1..{BATCH_LIMIT}, not {batch_size}")
    saved = 0
    documents = iter(docs)
    while batch := list(islice(documents, batch_size)):
        _call(
            service,
            "POST",
            collection,
            "batch_save",
            f"save {len(batch)} documents after {saved}",
            headers=_JSON,
            body=json.dumps(batch),
        )
        saved += len(batch)
    return saved


def insert(service: client.Service, collection: str, document: dict[str, Any]) -> None:
    """Insert one document; KeyExists when its `_key` is taken (the KV store checks that atomically, so
    of two inserts of one key exactly one wins)."""
    _call(service, "POST", collection, "", "insert a document", headers=_JSON, body=json.dumps(document))


def update(service: client.Service, collection: str, document: dict[str, Any]) -> None:
    """Replace the document with this `_key`."""
    key = quote(str(document["_key"]), safe="")
    _call(service, "POST", collection, key, "update a document", headers=_JSON, body=json.dumps(document))


def delete_where(service: client.Service, collection: str, query: dict[str, Any]) -> None:
    """Delete the documents that match `query`, in one call (one document's match and removal cannot be
    split by another writer)."""
    _call(service, "DELETE", collection, "", "delete matching documents", query=json.dumps(query))


def delete_keys(service: client.Service, collection: str, keys: Iterable[str]) -> int:
    """Delete the documents with these keys (a missing key is not an error); returns how many keys."""
    deleted = 0
    remaining = iter(keys)
    while chunk := list(islice(remaining, KEYS_PER_DELETE)):
        query = json.dumps({"$or": [{"_key": key} for key in chunk]})
        _call(service, "DELETE", collection, "", f"delete {len(chunk)} keys", query=query)
        deleted += len(chunk)
    return deleted


def _call(service: client.Service, method: str, collection: str, tail: str, what: str, **query: Any) -> Any:
    # Encoded here, once: splunklib would encode the already encoded key again (`a|b` reached splunkd as
    # `a%7Cb`, so an update wrote a second document instead of replacing the first).
    path = UrlEncoded(f"storage/collections/data/{quote(collection, safe='')}/{tail}", skip_encode=True)
    label = f"KV store collection {collection!r} ({what})"
    try:
        return request(service, method, path, label, **query)
    except SplunkdError as err:
        if err.status == 404:
            raise CollectionMissing(
                f"{label}: the collection does not exist; check that the app's collections.conf is deployed "
                "on this search head",
                err.status,
            ) from err
        if err.status == 409:
            raise KeyExists(f"{label}: a document with this key exists", err.status) from err
        if err.status == 503:
            raise KVStoreUnavailable(
                f"{err} -- the KV store is not ready; check `splunk show kvstore-status`", err.status
            ) from err
        raise KVStoreError(str(err), err.status) from err
