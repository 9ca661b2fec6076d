"""What the `Add to / Remove from Mimecast group` alert actions do, as plain functions over search results
and a Mimecast client: pick the users, guard the blast radius, resolve the group, act idempotently, and
say per user what happened. splunkd's side (payload, results file, reporting) is in splunk_app.splunk."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Callable

from splunk_app import statedb
from splunk_app.mimecast import (
    ApiError,
    BadCredentials,
    Client,
    InsecureUrl,
    KeysExpired,
    MimecastError,
    MissingPermission,
    NetworkError,
)

EMAIL_FIELDS = ("mimecast_identity", "user", "src_user", "recipient", "email")
DEFAULT_MAX_USERS = 25
GROUP_CACHE_SECONDS = 24 * 3600
MODES = {
    "add": ("add_group_member", "added", "already_member", "err_folder_group_member_already_exists"),
    "remove": ("remove_group_member", "removed", "not_member", "err_folder_email_address_not_found"),
}
NO_GROUP = "err_folder_not_found"
# Failures that every further call of the run would hit too: stop at the first.
_FATAL = (BadCredentials, MissingPermission, KeysExpired, InsecureUrl, NetworkError)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ActionError(Exception):
    """The run cannot act at all (bad parameters, unknown group, guard tripped); the message says why."""


@dataclass(frozen=True)
class Params:
    """The action's parameters as the alert's configuration gives them."""

    account: str
    group: str
    email_field: str
    max_users: int
    dry_run: bool


@dataclass(frozen=True)
class Target:
    """One user to act on and the search result (rid) it came from."""

    email: str
    rid: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one user, or to one result that named no usable user (email None)."""

    rid: str
    email: str | None
    outcome: str  # added, already_member, removed, not_member, would_add, would_remove, skipped, failed
    detail: str = ""
    code: str = ""  # Mimecast's error code, when a failure came with one

    @property
    def ok(self) -> bool:
        return self.outcome not in ("skipped", "failed")


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    found: bool = True  # False: no group has this name, so it is taken as an id that only a real call checks


def parse_params(configuration: dict[str, Any]) -> Params:
    """Validate the alert's parameters, saying which one is wrong and how to fix it."""
    account = str(configuration.get("account") or "").strip()
    group = str(configuration.get("group") or "").strip()
    if not account:
        raise ActionError("parameter account is empty: choose a Mimecast account in the alert action")
    if not group:
        raise ActionError("parameter group is empty: give the Mimecast group's name or id")
    raw_max = str(configuration.get("max_users") or DEFAULT_MAX_USERS).strip()
    if not raw_max.isdigit() or int(raw_max) < 1:
        raise ActionError(f"parameter max_users={raw_max!r} is not a whole number of at least 1")
    dry_run = str(configuration.get("dry_run") or "0").strip().lower() in ("1", "true", "yes", "t", "y")
    email_field = str(configuration.get("email_field") or "").strip()
    return Params(account, group, email_field, int(raw_max), dry_run)


def pick_targets(
    results: Iterable[tuple[str, dict[str, str]]], email_field: str
) -> tuple[list[Target], list[Outcome]]:
    """The distinct users named by the results (first result wins), and one problem per result that names
    none. `results` are (rid, row) pairs; a multivalue field (splunkd's `__mv_<field>` column) names
    several users."""
    fields = (email_field,) if email_field else EMAIL_FIELDS
    targets: dict[str, Target] = {}
    problems: list[Outcome] = []
    for rid, row in results:
        field = next((name for name in fields if _values(row, name)), None)
        if field is None:
            where = f"field {email_field}" if email_field else f"any of {', '.join(EMAIL_FIELDS)}"
            problems.append(Outcome(rid, None, "skipped", f"result {rid} has no value in {where}"))
            continue
        for value in _values(row, field):
            email = value.strip().lower()
            if not _EMAIL.match(email):
                problems.append(
                    Outcome(rid, None, "skipped", f"result {rid}: {field}={value!r} is not an email")
                )
            elif email not in targets:
                targets[email] = Target(email, rid)
    return list(targets.values()), problems


def guard(targets: list[Target], max_users: int) -> None:
    """The blast-radius guard: more users than max_users means act on none."""
    if len(targets) > max_users:
        raise ActionError(
            f"the results name {len(targets)} users, more than max_users={max_users}: acted on none. "
            "Narrow the search or raise Max users in the alert action"
        )


def resolve_group(client: Client, group: str, cache: GroupCache | None, account: str) -> Group:
    """The group whose name is `group` (any case), looked up with find-groups and cached; a value that
    names no group is taken as a group id (the add/remove call then says whether it exists)."""
    cached = cache.get(account, group) if cache else None
    if cached:
        return Group(cached, group)
    matches = [
        folder
        for folder in client.records("find_groups", data=[{"query": group, "source": "cloud"}])
        if str(folder.get("description", "")).strip().lower() == group.lower()
    ]
    ids = sorted({str(folder.get("id")) for folder in matches if folder.get("id")})
    if len(ids) > 1:
        raise ActionError(f"{len(ids)} Mimecast groups are named {group!r}: give the group's id instead")
    if not ids:
        return Group(group, group, found=False)
    if cache:
        cache.put(account, group, ids[0])
    return Group(ids[0], group)


def act(client: Client, mode: str, group: Group, targets: list[Target], dry_run: bool) -> Iterator[Outcome]:
    """Add or remove each user; a user already in (or already out of) the group is a success. A failure
    that every later call would hit too (credentials, permission, expired keys, network, unknown group)
    ends the run with one line, and the users not reached are reported as skipped."""
    endpoint, done, unchanged, unchanged_code = MODES[mode]
    if dry_run:
        note = "" if group.found else f"no group is named {group.name!r}; a real run takes it as a group id"
        for target in targets:
            yield Outcome(target.rid, target.email, f"would_{mode}", note)
        return
    for position, target in enumerate(targets):
        try:
            client.post(endpoint, data=[{"id": group.id, "emailAddress": target.email}])
            yield Outcome(target.rid, target.email, done)
        except ApiError as err:
            if err.code == unchanged_code:
                yield Outcome(target.rid, target.email, unchanged)
            elif err.code == NO_GROUP:
                reason = f"no Mimecast group is named or has the id {group.name!r}"
                yield from _stop(targets[position:], reason, NO_GROUP)
                return
            else:
                yield Outcome(target.rid, target.email, "failed", str(err), err.code or "")
        except _FATAL as err:
            yield from _stop(targets[position:], str(err))
            return
        except MimecastError as err:
            yield Outcome(target.rid, target.email, "failed", str(err))


def run(
    mode: str,
    params: Params,
    results: Iterable[tuple[str, dict[str, str]]],
    client_for: Callable[[], Client],
    cache: GroupCache | None = None,
) -> Iterator[Outcome]:
    """One alert run: every result's outcome, in order. The client is made only when there is work, so a
    run with nothing to do (or a tripped guard) makes no Mimecast call."""
    targets, problems = pick_targets(results, params.email_field)
    yield from problems
    if not targets:
        return
    guard(targets, params.max_users)
    client = client_for()
    try:
        group = resolve_group(client, params.group, cache, params.account)
    except _FATAL as err:
        yield from _stop(targets, str(err))
        return
    for outcome in act(client, mode, group, targets, params.dry_run):
        if outcome.code == NO_GROUP and cache:
            cache.forget(params.account, params.group)
        yield outcome


def _stop(targets: list[Target], reason: str, code: str = "") -> Iterator[Outcome]:
    first, *rest = targets
    yield Outcome(first.rid, first.email, "failed", reason, code)
    for target in rest:
        yield Outcome(target.rid, target.email, "skipped", "not attempted after the failure above")


def _values(row: dict[str, str], field: str) -> list[str]:
    """A field's values: splunkd writes a multivalue field as `$a$;$b$` in `__mv_<field>`."""
    multi = row.get(f"__mv_{field}") or ""
    if multi:
        return [value.replace("$$", "$") for value in re.findall(r"\$((?:[^$]|\$\$)*)\$", multi) if value]
    value = (row.get(field) or "").strip()
    return [value] if value else []


class GroupCache:
    """Group name -> id per account, in a small SQLite file (opened through `splunk_app.statedb`, so a
    damaged one is set aside), so a scheduled alert does not call find-groups on every run. Entries expire
    after a day and are dropped when the group turns out not to exist."""

    SCHEMA = statedb.Schema(
        "the alert actions' group cache",
        (
            # version 1
            "CREATE TABLE group_id (account TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, "
            "at REAL NOT NULL, PRIMARY KEY (account, name))",
        ),
        "groups are looked up again with find-groups",
    )

    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock

    def get(self, account: str, name: str) -> str | None:
        try:
            with self._open() as db:
                row = db.execute(
                    "SELECT id, at FROM group_id WHERE account = ? AND name = ?", (account, name.lower())
                ).fetchone()
        except statedb.StateError:
            return None  # a cache that cannot be read is a cache miss
        if row and self._clock() - row[1] < GROUP_CACHE_SECONDS:
            return str(row[0])
        return None

    def put(self, account: str, name: str, group_id: str) -> None:
        with self._open() as db, statedb.transaction(db):
            db.execute(
                "INSERT OR REPLACE INTO group_id VALUES (?, ?, ?, ?)",
                (account, name.lower(), group_id, self._clock()),
            )

    def forget(self, account: str, name: str) -> None:
        with self._open() as db, statedb.transaction(db):
            db.execute("DELETE FROM group_id WHERE account = ? AND name = ?", (account, name.lower()))

    def _open(self) -> contextlib.closing[sqlite3.Connection]:
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        except OSError as err:
            raise statedb.StateError(f"the group cache's folder cannot be created: {err}") from err
        return contextlib.closing(statedb.connect(self.path, self.SCHEMA))
