"""On poll's rule: which users became riskier since the last poll. A user whose SAFE grade dropped (a
higher rank by the risk policy) or who joined the watch list is one change; each change has an id made of
what changed and when it was found, so sending it again never makes a second container. Grades are compared
as the add-on's grade-drop alert compares them: a grade the policy does not name (E, should Mimecast add
one) or no grade is passed over, and the next named grade is compared with the last named one."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from mimecast_soar.people import named, rank
from mimecast_soar.store import Seen

from splunk_app.risk.policy import watchlisted

COMPONENTS = ("human_error", "engagement", "knowledge", "sentiment")


def seen_now(rows: Mapping[str, Mapping[str, Any]], before: Mapping[str, Seen]) -> dict[str, Seen]:
    """Each user's watch-list status now and last grade the policy names: a user whose grade it does not
    name keeps the grade seen before (none for a user not seen before)."""
    seen = {}
    for email, row in rows.items():
        grade = str(row.get("safe_grade") or "")
        if not named(grade):
            old = before.get(email)
            grade = old.grade if old is not None else ""
        seen[email] = Seen(grade, watchlisted(row.get("watchlist")), str(row.get("watchlist_count") or ""))
    return seen


def changes(
    before: Mapping[str, Seen], now: Mapping[str, Seen], rows: Mapping[str, Mapping[str, Any]], at: float
) -> list[tuple[str, dict[str, Any]]]:
    """(id, change) for every user seen before whose grade dropped or who joined the watch list, found by
    the poll at `at` (a later drop back to the same grade is a change of its own); `before` and `now` hold
    the last named grades (seen_now), the change shows the grade Mimecast gave. A user new to the tenant is
    a baseline, not a change."""
    found = []
    for email in sorted(now):
        old = before.get(email)
        new = now[email]
        if old is None:
            continue
        dropped = named(new.grade) and named(old.grade) and rank(new.grade) > rank(old.grade)
        joined = new.watchlist and not old.watchlist
        if not (dropped or joined):
            continue
        row = rows[email]
        change = {
            "user": email,
            "name": str(row.get("name") or ""),
            "department": str(row.get("department") or ""),
            "old_grade": old.grade,
            "new_grade": str(row.get("safe_grade") or ""),
            "grade_dropped": dropped,
            "joined_watch_list": joined,
            "watch_list_count": new.count,
            "found_at": at,
            **{name: str(row.get(name) or "") for name in COMPONENTS},
        }
        key = f"{email}|{old.grade}|{new.grade}|{int(old.watchlist)}|{int(new.watchlist)}|{at!r}"
        found.append((hashlib.sha256(key.encode("utf-8")).hexdigest()[:32], change))
    return found
