"""The per-user risk profile: the columns of the risk table and what a SAFE grade means for the SOC."""

from __future__ import annotations

COLLECTION = "mimecast_user_risk"

FIELDS = (
    "email",
    "name",
    "department",
    "user_state",
    "safe_grade",
    "human_error",
    "engagement",
    "knowledge",
    "sentiment",
    "watchlist",
    "watchlist_count",
    "num_correct",
    "num_incorrect",
    "num_not_watched",
    "priority",
    "updated",
)

# Worse grades rank higher, so the worst of several users is simply the maximum.
GRADE_RANK = {"A": 1, "B": 2, "C": 3, "D": 4, "F": 5}

_PRIORITY = {"A": "low", "B": "medium", "C": "high", "D": "critical", "F": "critical"}


def priority_for(grade: str | None) -> str:
    """Map a SAFE grade to Enterprise Security's identity priority, so ES's own risk factors apply."""
    return _PRIORITY.get((grade or "").strip().upper(), "unknown")
