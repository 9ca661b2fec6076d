"""Who a playbook's value names and how risky they are, read from Mimecast at the time of asking: the
tenant's SAFE scores and watch list become the add-on's risk-table rows (by the data sets' own column
declarations) and the add-on's identity rule picks the user. Training and phishing results are then asked
for that one user."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from splunk_app.inputs.datasets import safe_score, watchlist
from splunk_app.mimecast import Client
from splunk_app.mimecast.records import email_of
from splunk_app.risk.identity import Match
from splunk_app.risk.policy import grade_name, shipped, watchlisted
from splunk_app.risk.sync import merge, row_from
from splunk_app.risk.table import RiskTable, table_from_rows

# How many of the latest phishing campaigns a user's results are looked for in (one call each).
RECENT_CAMPAIGNS = 5
MAX_RESULTS = 1000  # rows one list answer carries at most


@dataclass
class Directory:
    """The tenant's users as risk-table rows by lower-cased email, and the identity rule over them."""

    rows: dict[str, dict[str, Any]]
    table: RiskTable = field(init=False)

    def __post_init__(self) -> None:
        self.table = table_from_rows(self.rows.values())

    def resolve(self, value: str) -> Match:
        return self.table.resolve(value)


def directory(client: Client, now: float | None = None) -> Directory:
    """Every user's SAFE grades and watch-list status, as the add-on's inputs would put them in the risk
    table (a user missing from the watch list is off it)."""
    stamp = time.time() if now is None else now
    rows: dict[str, dict[str, Any]] = {}
    for data_set in (safe_score.DATA_SET, watchlist.DATA_SET):
        risk = data_set.risk
        assert risk is not None  # both data sets feed the risk table
        for record in client.records(data_set.endpoint):
            update = row_from(risk, record, stamp)
            if update is None:
                continue
            key = update["_key"].lower()
            if data_set is watchlist.DATA_SET and key not in rows:
                continue  # the watch list names only users the SAFE score list holds
            rows[key] = merge(rows.get(key), dict(update, _key=key, email=key), risk)
    return Directory(rows)


def grades() -> list[str]:
    """The grades the risk policy names, best first (A to F as shipped)."""
    return shipped().grades()


def rank(grade: str) -> int:
    """A grade's rank by the risk policy (higher is riskier); a grade the policy does not name (E, should
    Mimecast add one) or no grade ranks as the policy's row unknown."""
    return shipped().rank(grade or None)


def named(grade: str) -> bool:
    """Whether the risk policy names the grade: only such a grade is compared with another, as the add-on's
    grade-drop alert passes the others over."""
    return grade_name(grade) in grades()


def worst(grade: str) -> bool:
    """Whether the grade is as bad as the worst the risk policy names (F as shipped)."""
    return named(grade) and rank(grade) >= rank(grades()[-1])


def risky_grade(grade: str) -> bool:
    """Whether the risk policy counts the grade risky by itself, off the watch list (D or F as shipped; a
    grade it does not name follows its row unknown)."""
    return shipped().rule(grade or None).risky


def first_risky() -> str:
    """The best grade the risk policy counts risky off the watch list (D as shipped), the worst if none."""
    return next((grade for grade in grades() if shipped().rule(grade).risky), grades()[-1])


def risky(
    users: Iterable[dict[str, Any]], threshold: str, watch_list_only: bool, department: str
) -> list[dict[str, Any]]:
    """Users at or worse than the threshold grade (any grade when empty), optionally only watch-listed
    ones and one department's (any case), riskiest first."""
    floor = rank(threshold) if threshold else None
    wanted = department.strip().casefold()
    found = [
        user
        for user in users
        if (floor is None or (user.get("safe_grade") and rank(user["safe_grade"]) >= floor))
        and (not watch_list_only or watchlisted(user.get("watchlist")))
        and (not wanted or str(user.get("department", "")).casefold() == wanted)
    ]
    return sorted(
        found, key=lambda u: (-rank(u.get("safe_grade", "")), not watchlisted(u.get("watchlist")), u["email"])
    )


def training(client: Client, email: str) -> dict[str, Any] | None:
    """The user's training totals (get-performance-details searched by email); None when Mimecast has none."""
    data = [{"includeUserDetails": False, "searchBy": {"fieldName": "email", "value": email}}]
    for record in client.records("performance_details", data=data):
        if (email_of(record) or "").lower() == email:
            return record
    return None


def phishing_results(client: Client, email: str = "", campaign_id: str = "") -> Iterator[dict[str, Any]]:
    """Phishing results, each with its campaign: one campaign's (all users, or `email`'s), or `email`'s in
    the latest RECENT_CAMPAIGNS campaigns."""
    if campaign_id:
        campaigns = [{"id": campaign_id, "name": ""}]
        for known in client.records("phishing_campaigns", data=[{"id": campaign_id}]):
            campaigns = [known]
    else:
        every = list(client.records("phishing_campaigns"))
        campaigns = sorted(every, key=lambda c: str(c.get("launchDate") or ""), reverse=True)[
            :RECENT_CAMPAIGNS
        ]
    for campaign in campaigns:
        for result in client.records("phishing_user_data", data=[{"id": campaign.get("id")}]):
            if email and (email_of(result) or "").lower() != email:
                continue
            yield {
                **result,
                "campaignId": str(campaign.get("id") or ""),
                "campaignName": str(campaign.get("name") or ""),
            }
