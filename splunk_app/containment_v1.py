"""Containment records written by version 1.0.0, before records were signed: how to tell one, whether its
times are ones 1.0.0 could have written, and the signed record it becomes when an administrator adopts it
(splunk_app.actions.adopt_unsigned). Without adoption the sweep leaves such a record alone, so its user
would stay in the group for good; adopting it without an administrator would let anyone who can write the
collection make the sweep act.

1.0.0 (splunk_app/containment.py of the 2026-11-29 release) wrote `user`, `group`, `group_id`, `account`,
`added_at`, `expires_at`, `search_name`, `sid`, `already_member` and `extended_by_sid` under the key
`account|group id|email`; an extension moved `expires_at` on and set `extended_by_sid`, keeping `added_at`
and `sid`. The MAC, `state`, `stamped_at`, `for_days`, `latest_sid` and `generation` came with signing."""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from splunk_app.containment import CLOCK_SLACK, DAY, HELD, MAX_DAYS, Record, out_of_bounds

# The fields that came with signing: a 1.0.0 record has none of them.
LATER = ("mac", "generation", "state", "stamped_at", "for_days", "latest_sid")
# 1.0.0's release day: no record of it was added before.
RELEASED = float(calendar.timegm((2026, 11, 29, 0, 0, 0)))


def shaped(document: Mapping[str, Any]) -> bool:
    """The document has the shape of a 1.0.0 record: none of the fields that came with signing (a record
    with a wrong or emptied MAC but later fields is no 1.0.0 record, and is never adopted)."""
    return all(document.get(name) in (None, "") for name in LATER)


def unfit(record: Record, now: float) -> str:
    """Why a 1.0.0-shaped record cannot be one that 1.0.0 wrote, by the clock `now`, or "" when it can."""
    if record.added_at < RELEASED:
        return "it was added before version 1.0.0 was released"
    if record.expires_at <= record.added_at:
        return "it expires before it was added"
    if record.expires_at > now + MAX_DAYS * DAY + CLOCK_SLACK:
        return f"it expires more than {MAX_DAYS:g} days from now, which no run of 1.0.0 could ask"
    return out_of_bounds(adopted(record), now)


def adopted(record: Record) -> Record:
    """The record as the add-on writes records now (to be signed): held, stamped when it was added, for the
    days between then and its expiry (an extension's, where 1.0.0 extended it), the run that last asked
    for it (the extending one, else the adding one) as its latest, generation 1."""
    return replace(
        record,
        state=HELD,
        stamped_at=record.added_at,
        for_days=(record.expires_at - record.added_at) / DAY,
        latest_sid=record.extended_by_sid or record.sid,
        generation=1,
        mac="",
    )


def digest(records: list[Record]) -> str:
    """A short digest of exactly these records as listed (every field 1.0.0 wrote): the administrator
    gives it back to adopt them, so a record planted or changed after the list was read adopts nothing."""
    names = ("key", "user", "group", "group_id", "account", "added_at", "expires_at", "search_name", "sid")
    fields = [[getattr(r, name) for name in (*names, "extended_by_sid", "already_member")] for r in records]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=True).encode()).hexdigest()[:20]
