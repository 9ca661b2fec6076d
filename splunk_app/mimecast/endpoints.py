"""The endpoint catalogue: each endpoint's path and where its records sit in the answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from splunk_app.mimecast.errors import MalformedResponse

AT = "/api/awareness-training"


@dataclass(frozen=True)
class Endpoint:
    """`shape` names where records are: "list" = data[], "first" = data[0] (one record),
    "nested" = data[0][key][]; the token endpoint's "token" has no records. An endpoint that takes a list
    of items (the group calls) says how many fit in one call and how big its body may be (0: no limit).
    `api2` False: Mimecast's API 2.0 catalogue does not have it (an API 1.0 application only)."""

    name: str
    path: str
    shape: str
    key: str = ""
    max_items: int = 0
    max_body: int = 0
    api2: bool = True


def _catalogue(*endpoints: Endpoint) -> dict[str, Endpoint]:
    return {endpoint.name: endpoint for endpoint in endpoints}


ENDPOINTS = _catalogue(
    Endpoint("safe_score_details", f"{AT}/company/get-safe-score-details", "list"),
    Endpoint("safe_score_summary", f"{AT}/company/get-safe-score-summary", "first"),
    Endpoint("watchlist_details", f"{AT}/company/get-watchlist-details", "list"),
    Endpoint("performance_details", f"{AT}/company/get-performance-details", "list"),
    # API 2.0's catalogue: the watch-list summary's records are documented only as data[]
    Endpoint("watchlist_summary", f"{AT}/company/get-watchlist-summary", "list"),
    Endpoint(
        "performance_summary", f"{AT}/company/get-performance-summary", "nested", "departmentCompletionStats"
    ),
    Endpoint("training_details", f"{AT}/user/get-training-details", "first"),
    Endpoint("queue", f"{AT}/queue/get-queue", "list"),
    # Training campaigns: not in API 2.0's catalogue (December 2025); every known client uses API 1.0 keys.
    Endpoint("campaigns", f"{AT}/campaign/get-campaigns", "nested", "campaigns", api2=False),
    Endpoint("campaign_user_data", f"{AT}/campaign/get-user-data", "nested", "items", api2=False),
    Endpoint("phishing_campaigns", f"{AT}/phishing/campaign/get-campaign", "list"),
    Endpoint("phishing_user_data", f"{AT}/phishing/campaign/get-user-data", "nested", "items"),
    Endpoint("find_groups", "/api/directory/find-groups", "nested", "folders"),
    # Members in data[0].groupMembers[], paged with meta.pagination (API 1.0 and 2.0 alike, per the
    # reference; the simulated tenant serves this shape).
    Endpoint("get_group_members", "/api/directory/get-group-members", "nested", "groupMembers"),
    # Mimecast's documented limits: 1 to 500 members a call to add, 1 to 10 to remove, and a remove body
    # of at most 2,048 bytes (seen live by Netskope's integration).
    Endpoint("add_group_member", "/api/directory/add-group-member", "list", max_items=500),
    Endpoint(
        "remove_group_member", "/api/directory/remove-group-member", "list", max_items=10, max_body=2048
    ),
)


def resolve(name_or_path: str) -> Endpoint:
    """The catalogue entry for a name or a path; a path not in the catalogue is an endpoint of shape list."""
    if name_or_path in ENDPOINTS:
        return ENDPOINTS[name_or_path]
    for endpoint in ENDPOINTS.values():
        if endpoint.path == name_or_path:
            return endpoint
    if name_or_path.startswith("/api/"):
        return Endpoint(name_or_path, name_or_path, "list")
    raise ValueError(f"unknown Mimecast endpoint {name_or_path!r}; known: {', '.join(ENDPOINTS)}")


def body(data: list[Any], meta: dict[str, Any] | None = None) -> bytes:
    """The JSON request body exactly as it is sent: `{"meta": ..., "data": [...]}`, compact."""
    envelope: dict[str, Any] = {} if meta is None else {"meta": meta}
    envelope["data"] = data
    return json.dumps(envelope, separators=(",", ":")).encode()


def batches(
    endpoint: Endpoint, items: list[Any], meta: dict[str, Any] | None = None
) -> Iterator[tuple[list[Any], bool]]:
    """The items cut into calls that fit the endpoint's limits, in order, as (items, fits); an item too
    big for the body limit on its own comes alone with fits False and must not be sent."""
    batch: list[Any] = []
    for item in items:
        candidate = [*batch, item]
        full = endpoint.max_items and len(candidate) > endpoint.max_items
        if batch and (full or not _fits(endpoint, candidate, meta)):
            yield batch, True
            candidate = [item]
        if not _fits(endpoint, candidate, meta):
            yield candidate, False
            candidate = []
        batch = candidate
    if batch:
        yield batch, True


def _fits(endpoint: Endpoint, items: list[Any], meta: dict[str, Any] | None) -> bool:
    return not endpoint.max_body or len(body(items, meta)) <= endpoint.max_body


def records_of(endpoint: Endpoint, payload: Any) -> list[dict[str, Any]]:
    """The records of one answer, checked to be JSON objects; MalformedResponse when the shape is wrong."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise _malformed(endpoint, "has no data[] list")
    if endpoint.shape == "list":
        found = data
    elif not data:
        found = []
    elif not isinstance(data[0], dict):
        raise _malformed(endpoint, "has a data[0] that is not an object")
    elif endpoint.shape == "first":
        found = [data[0]]
    else:
        nested = data[0].get(endpoint.key)
        if not isinstance(nested, list):
            raise _malformed(endpoint, f"has no data[0].{endpoint.key}[] list")
        found = nested
    if not all(isinstance(record, dict) for record in found):
        raise _malformed(endpoint, "has records that are not JSON objects")
    return found


def _malformed(endpoint: Endpoint, what: str) -> MalformedResponse:
    return MalformedResponse(
        f"{endpoint.name}: the answer {what}, which is not the shape Mimecast documents for "
        f"{endpoint.path}; check that the Base URL is a Mimecast API gateway.",
        endpoint=endpoint.name,
    )
