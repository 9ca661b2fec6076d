"""Time-boxed containment: which users the add-on put in a Mimecast group, until when, and on whose behalf,
so that a scheduled sweep can let them go when the time is up and an administrator can revert a run. The
records live in the KV store collection `mimecast_containment`; this module only decides what they say.

A record is written before Mimecast is called (state "pending") and confirmed after ("held"), so a stop
between the two leaves a record the sweep still releases. Each record carries a MAC (HMAC-SHA256, keyed by
a secret the add-on keeps in storage/passwords) over everything the sweep acts on, so a record the add-on did
not write (an `outputlookup` into the collection) moves nobody.

A record the add-on did write, but that is no longer the latest (a copy of an earlier version put back by
someone who may write the collection: a released containment, or one since extended) is caught by its
generation: each write of a record is a new generation, covered by the MAC, and the ledger (the KV store
collection `mimecast_containment_ledger`, which no lookup definition exposes to `outputlookup`) keeps the
latest generation of each record key, and whether its containment was released. The sweep acts only on a
record at least as new as its ledger entry."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

COLLECTION = "mimecast_containment"
LEDGER = "mimecast_containment_ledger"
DAY = 86400.0
MAX_DAYS = 365.0
PENDING, HELD = "pending", "held"
# A number as a person types it into a form: ASCII digits with at most one decimal point and a few places,
# nothing else (float() and int() also take "\u0667", "1_0", "+7", "1e-300" and "nan").
_PLAIN_NUMBER = re.compile(r"[0-9]{1,9}(?:\.[0-9]{0,6})?|\.[0-9]{1,6}")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
# How far a record's times may run ahead of Mimecast's clock before it counts as stamped in the future.
CLOCK_SLACK = 300.0
# The fields the MAC covers: whom, where, with which account, when, on whose behalf, and how it is held.
SIGNED = (
    "user",
    "group_id",
    "account",
    "added_at",
    "stamped_at",
    "expires_at",
    "for_days",
    "sid",
    "latest_sid",
    "already_member",
    "state",
)


@dataclass(frozen=True)
class Run:
    """What started a change: the alert action (or sweep), the search and sid that triggered it, the
    account it acts with, the Splunk user who owns the run, and what the caller's users call a run's id
    in messages (Splunk's sid; the SOAR app's run_id)."""

    action: str
    search_name: str
    sid: str
    account: str
    owner: str = ""
    id_name: str = "sid"


@dataclass(frozen=True)
class Record:
    """One user held in one group. `already_member`: the user was in the group before the add-on first
    asked, so no expiry or revert ever removes them. `added_at` starts the containment (it names it in the
    audit trail); `stamped_at` is when its current expiry was set (`for_days` from then); `latest_sid` is
    the last run that asked for it, the only run whose revert releases it."""

    user: str
    group: str
    group_id: str
    account: str
    added_at: float
    expires_at: float
    search_name: str
    sid: str
    already_member: bool
    extended_by_sid: str = ""
    state: str = HELD
    stamped_at: float = 0.0
    for_days: float = 0.0
    latest_sid: str = ""
    generation: int = 0  # one more on every write of the record; 0 in records written before generations
    mac: str = ""

    @property
    def key(self) -> str:
        return record_key(self.account, self.group_id, self.user)

    def document(self) -> dict[str, Any]:
        return {"_key": self.key, **asdict(self)}


@dataclass(frozen=True)
class Mark:
    """The ledger's entry for one record key: the latest generation the add-on wrote, whether that
    containment was released (its record then goes, or is going), and whether its user was in the group
    before it (so that a run which finds only an earlier copy still knows)."""

    account: str
    group_id: str
    user: str
    generation: int
    released: bool = False
    already_member: bool = False

    @property
    def key(self) -> str:
        return record_key(self.account, self.group_id, self.user)

    def document(self) -> dict[str, Any]:
        return {"_key": self.key, **asdict(self)}


class Ledger(Protocol):
    """Where the marks are kept (the KV store in Splunk, a dict in tests)."""

    def marks(self, account: str, group_id: str) -> dict[str, Mark]:
        """The group's marks by record key."""

    def unreleased(self) -> list[Mark]:
        """Every mark whose containment is not released, in any group."""

    def advance(self, marks: list[Mark]) -> None: ...


class Store(Protocol):
    """Where records are kept (the KV store in Splunk, a dict in tests)."""

    def get(self, key: str) -> Mapping[str, Any] | None: ...

    def save(self, document: dict[str, Any]) -> None: ...

    def save_many(self, documents: list[dict[str, Any]]) -> None: ...

    def delete(self, key: str) -> None: ...

    def delete_many(self, keys: list[str]) -> None: ...

    def find(self, query: dict[str, Any]) -> Iterator[Mapping[str, Any]]: ...


def record_key(account: str, group_id: str, user: str) -> str:
    return f"{account}|{group_id}|{user.lower()}"


def _number(value: float) -> str:
    return f"{float(value):.3f}"


_NUMBERS = frozenset({"added_at", "stamped_at", "expires_at", "for_days"})


def _signed_text(record: Record) -> bytes:
    values = asdict(record)
    # Records written before generations keep their MAC; later ones also sign the group's name, which the
    # sweep checks against the account's allow-list and names in its log lines and audit events.
    names = (*SIGNED, "generation", "group") if record.generation else SIGNED
    shown = [_number(values[name]) if name in _NUMBERS else values[name] for name in names]
    return json.dumps(shown, separators=(",", ":"), ensure_ascii=True).encode()


def sign(record: Record, key: bytes) -> Record:
    """The record with its MAC set (times rounded to the millisecond, as they are stored)."""
    rounded = replace(
        record,
        added_at=round(record.added_at, 3),
        stamped_at=round(record.stamped_at, 3),
        expires_at=round(record.expires_at, 3),
        mac="",
    )
    return replace(rounded, mac=hmac.new(key, _signed_text(rounded), hashlib.sha256).hexdigest())


def genuine(record: Record, key: bytes) -> bool:
    """True when the record carries the MAC the add-on's key gives it: the add-on wrote it as it is."""
    expected = hmac.new(key, _signed_text(replace(record, mac="")), hashlib.sha256).hexdigest()
    return bool(record.mac) and hmac.compare_digest(expected, record.mac)


def from_document(document: Mapping[str, Any]) -> Record | None:
    """A stored document as a Record; None when it is not one (damaged, edited by hand, or filed under a
    key that is not its own: the MAC covers the fields the key is made of, so a copy under another key is
    refused here)."""
    try:
        added = float(document.get("added_at") or 0)
        generation = int(document.get("generation") or 0)
        record = Record(
            user=str(document["user"]).lower(),
            group=str(document.get("group") or document["group_id"]),
            group_id=str(document["group_id"]),
            account=str(document["account"]),
            added_at=added,
            expires_at=float(document["expires_at"]),
            search_name=str(document.get("search_name") or ""),
            sid=str(document.get("sid") or ""),
            already_member=str(document.get("already_member")).lower() in ("true", "1"),
            extended_by_sid=str(document.get("extended_by_sid") or ""),
            state=PENDING if str(document.get("state")) == PENDING else HELD,
            stamped_at=float(document.get("stamped_at") or added),
            for_days=float(document.get("for_days") or 0),
            latest_sid=str(document.get("latest_sid") or document.get("sid") or ""),
            generation=generation if 0 <= generation < 2**53 else -1,
            mac=str(document.get("mac") or ""),
        )
    except (KeyError, TypeError, ValueError):
        return None
    if record.generation < 0 or document.get("_key", record.key) != record.key:
        return None
    return record


def mark_from_document(document: Mapping[str, Any]) -> Mark | None:
    """A ledger document as a Mark; None when it is not one."""
    try:
        mark = Mark(
            str(document["account"]),
            str(document["group_id"]),
            str(document["user"]).lower(),
            int(document.get("generation") or 0),
            str(document.get("released")).lower() in ("true", "1"),
            str(document.get("already_member")).lower() in ("true", "1"),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return mark if 0 < mark.generation < 2**53 and document.get("_key") == mark.key else None


def stale(record: Record, mark: Mark | None) -> str:
    """Why a record the add-on wrote is not its latest version by the ledger, or "" when it is. A record
    newer than its mark is the latest (a stop came between writing it and advancing the ledger)."""
    if mark is None or record.generation >= mark.generation:
        return ""
    if mark.released:
        return (
            f"its containment was released already (generation {record.generation}, ledger {mark.generation})"
        )
    return (
        f"it is an earlier version (generation {record.generation}; the add-on has written generation "
        f"{mark.generation} since)"
    )


def marks_of(records: Iterable[Record], *, released: bool = False) -> list[Mark]:
    """The ledger entries for records just written (or, released, for records about to go)."""
    return [
        Mark(r.account, r.group_id, r.user, r.generation + (1 if released else 0), released, r.already_member)
        for r in records
    ]


def plain_number(text: str, *, whole: bool = False) -> float | None:
    """The value of `text` if it is a plain ASCII decimal number (`whole`: without a decimal point), else
    None: the one reading of the numbers the actions' parameters take."""
    return float(text) if (_WHOLE_NUMBER if whole else _PLAIN_NUMBER).fullmatch(text) else None


def parse_days(raw: Any) -> float | None:
    """The `for_days` parameter: None (empty: no time box) or a number of days above 0, at most a year;
    fractions are allowed (0.5 is twelve hours). A number given as a number (a SOAR playbook's float) is
    written out in decimals first: str() would give 2e-05 for 0.00002, which the text rule refuses."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw):
        raw = f"{raw:.6f}"
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    days = plain_number(text)
    if days is None or not 0 < days <= MAX_DAYS:
        raise ValueError(f"for_days={text!r} is not a number of days above 0 and at most {MAX_DAYS:g}")
    return days


def intent(
    existing: Record | None,
    *,
    user: str,
    group: str,
    group_id: str,
    run: Run,
    member_before: bool,
    for_days: float,
    now: float,
    after: int = 0,
) -> Record:
    """The record to write before asking Mimecast to add `user` for `for_days`. A user the add-on holds
    already (pending or held) stays the add-on's: the later expiry wins, never a shorter one, and this run
    becomes the latest to ask. Otherwise `member_before` (from get-group-members) decides whether the
    user was in the group before the add-on asked. `after`: the ledger's generation for this key (a new
    record comes after every earlier one)."""
    expires = now + for_days * DAY
    generation = max(existing.generation if existing else 0, after) + 1
    if existing is None:
        return Record(
            user,
            group,
            group_id,
            run.account,
            now,
            expires,
            run.search_name,
            run.sid,
            member_before,
            state=PENDING,
            stamped_at=now,
            for_days=for_days,
            latest_sid=run.sid,
            generation=generation,
        )
    longer = expires > existing.expires_at
    return replace(
        existing,
        group=group,
        expires_at=expires if longer else existing.expires_at,
        stamped_at=now if longer else existing.stamped_at,
        for_days=for_days if longer else existing.for_days,
        extended_by_sid=run.sid if longer else existing.extended_by_sid,
        latest_sid=run.sid,
        generation=generation,
        mac="",
    )


def confirmed(record: Record) -> Record:
    """The record once Mimecast answered that the user is in the group."""
    return replace(record, state=HELD, generation=record.generation + 1, mac="")


def out_of_bounds(record: Record, now: float) -> str:
    """Why a record's times cannot be right by Mimecast's clock `now` (stamped in the future, or an expiry
    further than its for_days), or "" when they can."""
    if record.stamped_at > now + CLOCK_SLACK or record.added_at > now + CLOCK_SLACK:
        return "it is stamped in the future"
    if record.for_days <= 0 or record.expires_at > record.stamped_at + record.for_days * DAY + CLOCK_SLACK:
        return "its expiry is further away than its for_days"
    return ""


def bounded(record: Record, now: float) -> Record:
    """A record whose times cannot be right, held no longer than its for_days from `now` (when the add-on
    first saw it so). A record without for_days gets the longest containment, MAX_DAYS."""
    days = record.for_days if 0 < record.for_days <= MAX_DAYS else MAX_DAYS
    return replace(
        record,
        added_at=min(record.added_at, now),
        stamped_at=now,
        for_days=days,
        expires_at=min(record.expires_at, now + days * DAY),
        generation=record.generation + 1,
        mac="",
    )


def due(records: Iterable[Record], now: float) -> list[Record]:
    """The records whose time is up, oldest expiry first."""
    return sorted((r for r in records if r.expires_at <= now), key=lambda r: (r.expires_at, r.user))


def event_id(*parts: object) -> str:
    """A stable id for an audit event: the same change written twice (a retry, a second sweep) has the
    same id, so the trail never counts it twice."""
    text = "|".join(_number(part) if isinstance(part, float) else str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
