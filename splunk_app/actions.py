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

from splunk_app import containment, statedb
from splunk_app.mimecast import (
    BadCredentials,
    Client,
    InsecureUrl,
    KeysExpired,
    MimecastError,
    MissingPermission,
    NetworkError,
)
from splunk_app.mimecast.errors import item_failures

EMAIL_FIELDS = ("mimecast_identity", "user", "src_user", "recipient", "email")
DEFAULT_MAX_USERS = 25
GROUP_CACHE_SECONDS = 24 * 3600
MODES = {
    "add": ("add_group_member", "added", "already_member", "err_folder_group_member_already_exists"),
    "remove": ("remove_group_member", "removed", "not_member", "err_folder_email_address_not_found"),
}
NO_GROUP = "err_folder_not_found"
TOO_BIG = "body_too_large"
# Failures that every further call of the run would hit too: stop at the first.
_FATAL = (BadCredentials, MissingPermission, KeysExpired, InsecureUrl, NetworkError)
_TRUE = ("1", "true", "yes", "t", "y")
_FALSE = ("0", "false", "no", "f", "n")


class ActionError(Exception):
    """The run cannot act at all (bad parameters, unknown group, guard tripped); the message says why."""


@dataclass(frozen=True)
class Params:
    """The action's parameters as the alert's configuration gives them. `for_days` (add only): hold the
    users that long, then a sweep removes them; None holds them until someone removes them."""

    account: str
    group: str
    email_field: str
    max_users: int
    dry_run: bool
    for_days: float | None = None


@dataclass(frozen=True)
class Target:
    """One user to act on (the risk table's email) and the search result (rid) that named them."""

    email: str
    rid: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one user, or to one result that named no usable user (email None)."""

    rid: str
    email: str | None
    # added, already_member, removed, not_member, would_add, would_remove, expired, reverted, released,
    # skipped, failed
    outcome: str
    detail: str = ""
    code: str = ""  # Mimecast's error code, when a failure came with one
    group: str = ""  # the group, when it is not the run's own (the sweep's users are in many)

    @property
    def ok(self) -> bool:
        return self.outcome not in ("skipped", "failed")


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    found: bool = True  # False: no group has this name, so it is taken as an id that only a real call checks


@dataclass
class Context:
    """What a run needs besides its parameters, so that tests can give plain stand-ins: a client per
    account, the risk table's identity resolver (identity -> the table's email, None when not in it), the
    group cache, the containment records, the audit sink, the run's origin and the clock."""

    client_for: Callable[[str], Client]
    resolve: Callable[[str], str | None]
    run: containment.Run
    store: containment.Store | None = None
    audit: Callable[[dict[str, Any]], None] = lambda event: None
    cache: GroupCache | None = None
    clock: Callable[[], float] = time.time


def parse_params(configuration: dict[str, Any], mode: str = "add") -> Params:
    """Validate the alert's parameters, saying which one is wrong and how to fix it. Dry run is the
    default: only an explicit 0 acts for real."""
    account = str(configuration.get("account") or "").strip()
    group = str(configuration.get("group") or "").strip()
    if not account:
        raise ActionError("parameter account is empty: choose a Mimecast account in the alert action")
    if not group:
        raise ActionError("parameter group is empty: give the Mimecast group's name or id")
    raw_max = str(configuration.get("max_users") or DEFAULT_MAX_USERS).strip()
    if not raw_max.isdigit() or int(raw_max) < 1:
        raise ActionError(f"parameter max_users={raw_max!r} is not a whole number of at least 1")
    raw_dry = str(configuration.get("dry_run") or "1").strip().lower()
    if raw_dry not in _TRUE + _FALSE:
        raise ActionError(f"parameter dry_run={raw_dry!r} is not 1 (report only) or 0 (act)")
    for_days = None
    if mode == "add":
        try:
            for_days = containment.parse_days(configuration.get("for_days"))
        except ValueError as err:
            raise ActionError(f"parameter {err}; leave it empty to add without a time box") from err
    email_field = str(configuration.get("email_field") or "").strip()
    return Params(account, group, email_field, int(raw_max), raw_dry in _TRUE, for_days)


def pick_targets(
    results: Iterable[tuple[str, dict[str, str]]], email_field: str, resolve: Callable[[str], str | None]
) -> tuple[list[Target], list[Outcome]]:
    """The distinct users of the risk table named by the results (first result wins), and one problem per
    value that names none: `resolve` maps a value as logs write it (any case, `DOMAIN\\user`, ...) to the
    table's email, so an address from outside the tenant's own people is never acted on. `results` are
    (rid, row) pairs; a multivalue field (splunkd's `__mv_<field>` column) names several users."""
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
            email = resolve(value.strip())
            if email is None:
                problems.append(
                    Outcome(
                        rid,
                        None,
                        "skipped",
                        f"result {rid}: {field}={value!r} is not a user of the risk table: acted on only "
                        "the tenant's own people",
                    )
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
    """Add or remove the users in as few calls as Mimecast's limits allow, each user's outcome read from
    the answer's fail[] (already in, or already out of, the group is a success). A failure of a whole
    call fails that call's users; one that every later call would hit too (credentials, permission,
    expired keys, network, unknown group) also ends the run, the users not reached reported as skipped."""
    endpoint, done, unchanged, unchanged_code = MODES[mode]
    if dry_run:
        note = "" if group.found else f"no group is named {group.name!r}; a real run takes it as a group id"
        for target in targets:
            yield Outcome(target.rid, target.email, f"would_{mode}", note)
        return
    by_email = {target.email: target for target in targets}
    items = [{"id": group.id, "emailAddress": target.email} for target in targets]
    reached = 0
    for batch, fits in client.batches(endpoint, items):
        chosen = [by_email[item["emailAddress"]] for item in batch]
        reached += len(chosen)
        if not fits:
            reason = f"the address is too long for one {endpoint} call (Mimecast's request size limit)"
            yield Outcome(chosen[0].rid, chosen[0].email, "failed", reason, TOO_BIG)
            continue
        try:
            answer = client.post(endpoint, data=batch)
        except _FATAL as err:
            yield from _failed(chosen, str(err), err.code or "")
            yield from _not_reached(targets[reached:])
            return
        except MimecastError as err:
            yield from _failed(chosen, str(err), err.code or "")
            continue
        refused = {str(key.get("emailAddress", "")).lower(): f for key, f in _keyed(answer)}
        for target in chosen:
            failure = refused.get(target.email)
            if failure is None:
                yield Outcome(target.rid, target.email, done)
            elif failure.code == unchanged_code:
                yield Outcome(target.rid, target.email, unchanged)
            elif failure.code == NO_GROUP:
                reason = f"no Mimecast group is named or has the id {group.name!r}"
                yield from _failed(chosen[chosen.index(target) :], reason, NO_GROUP)
                yield from _not_reached(targets[reached:])
                return
            else:
                said = f"Mimecast refused it ({failure.code}: {failure.message})"
                yield Outcome(target.rid, target.email, "failed", said, failure.code or "")


def run(
    mode: str,
    params: Params,
    results: Iterable[tuple[str, dict[str, str]]],
    context: Context,
) -> Iterator[Outcome]:
    """One alert run: every result's outcome, in order. The client is made only when there is work, so a
    run with nothing to do (or a tripped guard) makes no Mimecast call. A real add with `for_days`
    records each user it contained; a real remove clears their records; every change is audited."""
    targets, problems = pick_targets(results, params.email_field, context.resolve)
    yield from problems
    if not targets:
        return
    guard(targets, params.max_users)
    client = context.client_for(params.account)
    try:
        group = resolve_group(client, params.group, context.cache, params.account)
    except _FATAL as err:
        yield from _failed(targets[:1], str(err), err.code or "")
        yield from _not_reached(targets[1:])
        return
    for outcome in act(client, mode, group, targets, params.dry_run):
        if outcome.code == NO_GROUP and context.cache:
            context.cache.forget(params.account, params.group)
        real = not params.dry_run and outcome.email
        yield _keep_records(context, mode, params, group, outcome) if real else outcome


def sweep(context: Context, revert_sid: str = "") -> Iterator[Outcome]:
    """Let contained users go: those whose time is up, or (with `revert_sid`) everyone that run added.
    A record goes only once Mimecast has removed the user (or they had left already); a failure keeps
    it, so the next sweep tries again. Members from before the action are never removed."""
    store = context.store
    if store is None:
        raise ActionError("the containment records cannot be read: no store was given")
    now = context.clock()
    if revert_sid:
        query: dict[str, Any] = {"sid": revert_sid}
    else:
        query = {"expires_at": {"$lte": now}}
    records = [r for r in map(containment.from_document, store.find(query)) if r]
    if not revert_sid:
        records = containment.due(records, now)
    groups: dict[tuple[str, str], list[containment.Record]] = {}
    for record in records:
        if record.already_member:
            store.delete(record.key)
            if not revert_sid:
                note = "in the group before the action: left there"
                yield Outcome("", record.user, "released", note, "", record.group)
            continue
        groups.setdefault((record.account, record.group_id), []).append(record)
    word = "reverted" if revert_sid else "expired"
    for (account, group_id), kept in groups.items():
        by_user = {record.user: record for record in kept}
        targets = [Target(record.user, "") for record in kept]
        group = Group(group_id, kept[0].group)
        try:
            client = context.client_for(account)
        except Exception as err:
            for record in kept:
                yield Outcome("", record.user, "failed", f"account {account!r}: {err}", "", record.group)
            continue
        for removal in act(client, "remove", group, targets, dry_run=False):
            record = by_user[removal.email or ""]
            outcome = Outcome("", record.user, removal.outcome, removal.detail, removal.code, group.name)
            if removal.outcome in ("removed", "not_member"):
                store.delete(record.key)
                since = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(record.added_at))
                left = "" if removal.outcome == "removed" else "; had already left the group"
                held = f"contained since {since} by {record.search_name!r} (sid {record.sid}){left}"
                outcome = Outcome("", record.user, word, held, "", group.name)
            _audit(context, _record_run(record, context.run), group, outcome, attempted=word)
            yield outcome


def _record_run(record: containment.Record, run: containment.Run) -> containment.Run:
    """The sweep acts with the account of the record it releases."""
    return containment.Run(run.action, run.search_name, run.sid, record.account, run.owner)


def _keep_records(context: Context, mode: str, params: Params, group: Group, outcome: Outcome) -> Outcome:
    """The containment record and audit event for one real outcome; the outcome says if the record
    could not be written (the change in Mimecast stands, and the audit event shows it)."""
    email = outcome.email or ""
    store = context.store
    try:
        if store is not None and mode == "remove" and outcome.outcome in ("removed", "not_member"):
            store.delete(containment.record_key(params.account, group.id, email))
        if store is not None and params.for_days and outcome.outcome in ("added", "already_member"):
            stored = store.get(containment.record_key(params.account, group.id, email))
            record = containment.after_add(
                containment.from_document(stored) if stored else None,
                user=email,
                group=group.name,
                group_id=group.id,
                run=context.run,
                added=outcome.outcome == "added",
                for_days=params.for_days,
                now=context.clock(),
            )
            store.save(record.document())
    except Exception as err:
        outcome = Outcome(
            outcome.rid,
            email,
            outcome.outcome,
            f"{outcome.detail} (the containment record could not be written: {err})".strip(),
            outcome.code,
        )
    _audit(context, context.run, group, outcome, for_days=params.for_days)
    return outcome


def _audit(
    context: Context,
    origin: containment.Run,
    group: Group,
    outcome: Outcome,
    *,
    attempted: str = "",
    for_days: float | None = None,
) -> None:
    """One audit event per change made (or tried and failed) in Mimecast."""
    change = outcome.outcome if outcome.outcome in ("added", "removed", "expired", "reverted") else ""
    if outcome.outcome == "failed":
        change = "failed"
    if not change:
        return
    event: dict[str, Any] = {
        "time": round(context.clock(), 3),
        "change": change,
        "user": outcome.email,
        "group": group.name,
        "group_id": group.id,
        "account": origin.account,
        "action": origin.action,
        "search_name": origin.search_name,
        "sid": origin.sid,
        "owner": origin.owner,
    }
    if attempted and change == "failed":
        event["attempted"] = attempted
    if for_days and change == "added":
        event["for_days"] = for_days
        event["expires_at"] = round(context.clock() + for_days * containment.DAY, 3)
    if outcome.detail:
        event["detail"] = outcome.detail
    if outcome.code:
        event["code"] = outcome.code
    context.audit(event)


def _keyed(answer: dict[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    return [(key, f) for key, f in item_failures(answer) if isinstance(key, dict)]


def _failed(targets: list[Target], reason: str, code: str) -> Iterator[Outcome]:
    for target in targets:
        yield Outcome(target.rid, target.email, "failed", reason, code)


def _not_reached(targets: list[Target]) -> Iterator[Outcome]:
    for target in targets:
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
