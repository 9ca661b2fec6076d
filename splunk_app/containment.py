"""Time-boxed containment: which users the add-on put in a Mimecast group, until when, and on whose behalf,
so that a scheduled sweep can let them go when the time is up and an administrator can revert a run. The
records live in the KV store collection `mimecast_containment`; this module only decides what they say."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

COLLECTION = "mimecast_containment"
DAY = 86400.0
MAX_DAYS = 365.0


@dataclass(frozen=True)
class Run:
    """What started a change: the alert action (or sweep), the search and sid that triggered it, the
    account it acts with and the Splunk user who owns the run."""

    action: str
    search_name: str
    sid: str
    account: str
    owner: str = ""


@dataclass(frozen=True)
class Record:
    """One user held in one group. `already_member`: the user was in the group before the action, so no
    expiry or revert ever removes them; such records only remember that the add-on asked."""

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

    @property
    def key(self) -> str:
        return record_key(self.account, self.group_id, self.user)

    def document(self) -> dict[str, Any]:
        return {"_key": self.key, **asdict(self)}


class Store(Protocol):
    """Where records are kept (the KV store in Splunk, a dict in tests)."""

    def get(self, key: str) -> Mapping[str, Any] | None: ...

    def save(self, document: dict[str, Any]) -> None: ...

    def delete(self, key: str) -> None: ...

    def find(self, query: dict[str, Any]) -> Iterator[Mapping[str, Any]]: ...


def record_key(account: str, group_id: str, user: str) -> str:
    return f"{account}|{group_id}|{user.lower()}"


def from_document(document: Mapping[str, Any]) -> Record | None:
    """A stored document as a Record; None when it is not one (damaged or edited by hand)."""
    try:
        return Record(
            user=str(document["user"]).lower(),
            group=str(document.get("group") or document["group_id"]),
            group_id=str(document["group_id"]),
            account=str(document["account"]),
            added_at=float(document.get("added_at") or 0),
            expires_at=float(document["expires_at"]),
            search_name=str(document.get("search_name") or ""),
            sid=str(document.get("sid") or ""),
            already_member=str(document.get("already_member")).lower() in ("true", "1"),
            extended_by_sid=str(document.get("extended_by_sid") or ""),
        )
    except (KeyError, TypeError, ValueError):
        return None


def parse_days(raw: Any) -> float | None:
    """The `for_days` parameter: None (empty: no time box) or a number of days above 0, at most a year;
    fractions are allowed (0.5 is twelve hours)."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not 0 < days <= MAX_DAYS:
        raise ValueError(f"for_days={text!r} is not a number of days above 0 and at most {MAX_DAYS:g}")
    return days


def after_add(
    existing: Record | None,
    *,
    user: str,
    group: str,
    group_id: str,
    run: Run,
    added: bool,
    for_days: float,
    now: float,
) -> Record:
    """The record after an add of `for_days`: `added` says Mimecast really added the user (else they were
    a member already). A later run extends a containment (the later expiry wins, never a shorter one)
    and keeps who really added them; a member from before the action stays marked as such."""
    expires = now + for_days * DAY
    if added or existing is None:
        return Record(user, group, group_id, run.account, now, expires, run.search_name, run.sid, not added)
    return Record(
        existing.user,
        group,
        group_id,
        run.account,
        existing.added_at,
        max(existing.expires_at, expires),
        existing.search_name,
        existing.sid,
        existing.already_member,
        run.sid if expires > existing.expires_at else existing.extended_by_sid,
    )


def due(records: Iterable[Record], now: float) -> list[Record]:
    """The records whose time is up, oldest expiry first."""
    return sorted((r for r in records if r.expires_at <= now), key=lambda r: (r.expires_at, r.user))
