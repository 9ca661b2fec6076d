"""The per-user risk profile: the columns of the risk table and what a SAFE grade means for the SOC."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping

COLLECTION = "mimecast_user_risk"
# The table's CSV twin in the app's lookups/ folder, for `| mimecastrisk lookup=...` on the indexers (the
# KV store lives on the search head only), and the shipped saved search that writes it from the collection.
CSV_TWIN = "mimecast_user_risk.csv"
CSV_TWIN_SEARCH = "Mimecast Awareness - Risk table CSV for indexers"

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


class TableError(Exception):
    """The risk table could not be read; the message says which table and what to do."""


# What `mimecastrisk` adds to an event, in this order (each name gets the command's prefix).
# `identity` and `grades` list every user of the event; the others describe its riskiest user.
ENRICH_FIELDS = (
    "safe_grade",
    "human_error",
    "engagement",
    "knowledge",
    "sentiment",
    "watchlist",
    "watchlist_count",
    "department",
    "priority",
    "risk_updated",
    "identity",
    "grades",
)
UNKNOWN = "unknown"
Profile = tuple  # one user's values for ENRICH_FIELDS, all str
NO_USER: Profile = (UNKNOWN, "", "", "", "", "false", "", "", UNKNOWN, "", "", "")
_GRADE, _WATCHLIST, _WATCHLIST_COUNT, _IDENTITY, _GRADES = 0, 5, 6, 10, 11
_LIST_SEPARATORS = re.compile(r"[,;]")


def _text(value: object) -> str:
    """A table value as the text Splunk shows: KV store documents carry numbers, booleans and nulls."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def profile_of(row: Mapping[str, object], shared: dict[str, str] | None = None) -> Profile | None:
    """The enrichment values of one table row (a KV store document or a CSV row); None without an email.
    `shared` lets many users share one copy of each repeated value (grades, departments), which keeps a
    100,000-user table small."""
    email = _text(row.get("email") or row.get("_key")).lower()
    if not email:
        return None
    pool = {} if shared is None else shared
    grade = _text(row.get("safe_grade")).upper()
    listed = _text(row.get("watchlist")).lower() in ("true", "1", "yes")
    values = (
        grade or UNKNOWN,
        _text(row.get("human_error")).upper(),
        _text(row.get("engagement")).upper(),
        _text(row.get("knowledge")).upper(),
        _text(row.get("sentiment")).upper(),
        "true" if listed else "false",
        _text(row.get("watchlist_count")),
        _text(row.get("department")),
        _text(row.get("priority")) or priority_for(grade),
        _text(row.get("updated")),
        email,
        grade or UNKNOWN,
    )
    return tuple(pool.setdefault(value, value) for value in values)


class RiskTable:
    """Every user's profile by lower-cased email, and the identity rules a SOC's logs need."""

    def __init__(self, profiles: dict[str, Profile], default_domain: str = "") -> None:
        self._profiles = profiles
        self.default_domain = default_domain.strip().lstrip("@").lower()

    def __len__(self) -> int:
        return len(self._profiles)

    def profile(self, identity: str) -> Profile:
        """The profile of one identity as logs write it: `user@example.com` (any case), `DOMAIN\\user`,
        `user@domain` with another domain, or bare `user`; the last three are tried as
        `user@<default_domain>`. Unknown users get safe_grade `unknown`, watchlist `false`."""
        key = identity.strip().lower()
        found = self._profiles.get(key)
        if found is not None:
            return found
        if not key:
            return NO_USER
        user = key.rpartition("\\")[2]
        local = user.partition("@")[0]
        for candidate in (user, f"{local}@{self.default_domain}" if self.default_domain else ""):
            found = self._profiles.get(candidate) if candidate else None
            if found is not None:
                return found
        return (*NO_USER[:_IDENTITY], key, UNKNOWN)

    def describe(self, identities: Iterable[str]) -> Profile:
        """One event's values from all of its users: each user's identity and grade listed (as lists,
        duplicates dropped), the grade and components of the riskiest user, watchlist `true` if any user
        is watch-listed and the highest watch-list count."""
        seen: dict[str, Profile] = {}
        for identity in identities:
            found = self.profile(identity)
            if found[_IDENTITY]:
                seen.setdefault(found[_IDENTITY], found)
        if not seen:
            return NO_USER
        users = list(seen.values())
        if len(users) == 1:
            return users[0]
        worst = max(users, key=risk_rank)
        listed = [user for user in users if user[_WATCHLIST] == "true"]
        count = max((user[_WATCHLIST_COUNT] for user in listed), key=_count, default=worst[_WATCHLIST_COUNT])
        return (
            *worst[:_WATCHLIST],
            "true" if listed else "false",
            count,
            *worst[_WATCHLIST_COUNT + 1 : _IDENTITY],
            [user[_IDENTITY] for user in users],
            [user[_GRADES] for user in users],
        )


def risk_rank(profile: Profile) -> tuple[int, bool, int]:
    """Orders users by risk: the worse grade first, then watch-listed, then the longer watch-list history."""
    grade, listed, count = profile[_GRADE], profile[_WATCHLIST], profile[_WATCHLIST_COUNT]
    return GRADE_RANK.get(grade, 0), listed == "true", _count(count)


def _count(text: str) -> int:
    try:
        return int(float(text))
    except ValueError:
        return 0


def split_identities(value: str) -> list[str]:
    """The users of one field value: a recipient list may be one value with commas or semicolons, and
    a mail log may write `Name <user@example.com>`."""
    parts = _LIST_SEPARATORS.split(value) if ("," in value or ";" in value) else [value]
    users = []
    for part in parts:
        text = part.strip()
        if "<" in text and text.endswith(">"):
            text = text[text.rindex("<") + 1 : -1].strip()
        if text:
            users.append(text)
    return users


def table_from_rows(rows: Iterable[Mapping[str, object]], default_domain: str = "") -> RiskTable:
    """A table from KV store documents or CSV rows; rows without an email are left out."""
    shared: dict[str, str] = {}
    profiles = {}
    for row in rows:
        found = profile_of(row, shared)
        if found is not None:
            profiles[found[_IDENTITY]] = found
    return RiskTable(profiles, default_domain)


def read_csv(path: str | os.PathLike[str], default_domain: str = "") -> RiskTable:
    """The table from a CSV with the collection's columns (a lookup file, or MIMECAST_AT_RISK_TABLE)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if "email" not in (reader.fieldnames or ()):
                raise TableError(
                    f"the risk table {os.fspath(path)!r} has no 'email' column; its header must name the "
                    f"columns {', '.join(FIELDS)}"
                )
            return table_from_rows(reader, default_domain)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise TableError(f"cannot read the risk table {os.fspath(path)!r}: {err}") from err
