"""What each endpoint's cassette exercises, the same code when recording and when replaying.

Each scenario returns the endpoint's records so the test can check their shape.
"""

from __future__ import annotations

from typing import Any, Callable

from splunk_app.mimecast import Client
from splunk_app.mimecast.endpoints import ENDPOINTS

PAGE = 5


def _first(client: Client, name: str) -> dict[str, Any]:
    return next(iter(client.records(name, data=[], page_size=1)))


def _email(client: Client) -> str:
    return next(iter(client.records("safe_score_details", page_size=1)))["emailAddress"]


def _group_call(*names: str) -> Callable[[Client], list[dict[str, Any]]]:
    """find-groups, then each call in turn for one user; the last call's records."""

    def run(client: Client) -> list[dict[str, Any]]:
        group = next(iter(client.records("find_groups", data=[{"query": "", "source": "cloud"}])))
        member = [{"id": group["id"], "emailAddress": _email(client)}]
        return [record for name in names for record in client.records(name, data=member)][-1:]

    return run


SCENARIOS: dict[str, Callable[[Client], list[dict[str, Any]]]] = {
    "safe_score_details": lambda c: list(c.records("safe_score_details", page_size=PAGE)),
    "safe_score_summary": lambda c: list(c.records("safe_score_summary", data=[])),
    "watchlist_details": lambda c: list(c.records("watchlist_details", page_size=PAGE)),
    "performance_details": lambda c: list(
        c.records("performance_details", data=[{"includeUserDetails": True}], page_size=PAGE)
    ),
    "training_details": lambda c: list(c.records("training_details", data=[{"emailAddress": _email(c)}])),
    "queue": lambda c: list(c.records("queue", data=[], page_size=PAGE)),
    "campaigns": lambda c: list(c.records("campaigns", data=[], page_size=PAGE)),
    "campaign_user_data": lambda c: list(
        c.records("campaign_user_data", data=[{"id": _first(c, "campaigns")["id"]}], page_size=PAGE)
    ),
    "phishing_campaigns": lambda c: list(c.records("phishing_campaigns", data=[], page_size=PAGE)),
    "phishing_user_data": lambda c: list(
        c.records("phishing_user_data", data=[{"id": _first(c, "phishing_campaigns")["id"]}], page_size=PAGE)
    ),
    "find_groups": lambda c: list(c.records("find_groups", data=[{"query": "", "source": "cloud"}])),
    "add_group_member": _group_call("add_group_member"),
    "remove_group_member": _group_call("add_group_member", "remove_group_member"),
}

REQUIRED_KEYS = {
    "safe_score_details": {
        "emailAddress",
        "name",
        "department",
        "risk",
        "humanError",
        "sentiment",
        "engagement",
        "knowledge",
        "userState",
    },
    "safe_score_summary": {"scoreCounts"},
    "watchlist_details": {"email", "name", "department", "watchlistCount", "userState"},
    "performance_details": {"email", "numCorrect", "numIncorrect", "numNotWatched", "userDetails"},
    "training_details": {"training", "needEngagement", "meritBadge"},
    "queue": {"id", "title", "launchDate", "numSent", "numCompleted"},
    "campaigns": {"id", "name", "launchDate", "numSent", "percentComplete"},
    "campaign_user_data": {"email", "results", "acknowledgement", "userState"},
    "phishing_campaigns": {"id", "name", "numSent", "numClicked", "numOpened"},
    "phishing_user_data": {"email", "status", "templateName", "userState"},
    "find_groups": {"id", "description"},
    "add_group_member": {"id", "emailAddress"},
    "remove_group_member": {"id", "emailAddress"},
}


# What each auth mode can replay: API 2.0 (OAuth 2.0) has no training-campaign endpoints.
RECORDINGS = [
    (name, auth)
    for auth in ("oauth2", "hmac")
    for name in SCENARIOS
    if auth == "hmac" or ENDPOINTS[name].api2
]
