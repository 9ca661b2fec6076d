"""What the `Add to / Remove from Mimecast group` alert actions do, as plain functions over search results
and a Mimecast client: pick the users, guard the blast radius, resolve the group, act idempotently, and
say per user what happened. splunkd's side (payload, results file, reporting) is in splunk_app.splunk."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Any, Callable

from splunk_app import allowed_groups, containment, containment_v1, statedb
from splunk_app.mimecast import (
    BadCredentials,
    Client,
    InsecureUrl,
    KeysExpired,
    MimecastError,
    MissingPermission,
    NetworkError,
)
from splunk_app.mimecast.errors import MalformedResponse, OutOfTime, RateLimited, item_failures
from splunk_app.risk.identity import USER_FIELDS

# mimecastrisk's pick first, then the users' fields in the identity rule's order, without the sender.
EMAIL_FIELDS = ("mimecast_identity", *(name for name in USER_FIELDS if name != "sender"))
DEFAULT_MAX_USERS = 25
DEFAULT_SWEEP_USERS = 500  # the sweep's Max users when its alert action does not set one
NO_SWEEP = (
    "the containment sweep ('Mimecast Awareness - Containment sweep') is not scheduled: nothing ends these "
    "containments until an administrator enables it"
)
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


class LeaseLost(ActionError):
    """The run no longer holds its group's lease (another run took it over, or it could not get it); the
    lease of each product (the KV store's, the SOAR app's records file's) raises its own kind of it."""


LEASE_LOST = (
    "the run stopped there: what it changed in Mimecast before is in its records (pending ones end on time), "
    "and the users it did not reach wait for the next run"
)


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
    # skipped, failed, would_adopt, adopted (a 1.0.0 record: containment_v1); with no email: error (a
    # step failed for several users, named in the detail) and
    # warning (a note about the run: the clock, a record left alone, the sweep not scheduled)
    outcome: str
    detail: str = ""
    code: str = ""  # Mimecast's error code, when a failure came with one
    group: str = ""  # the group, when it is not the run's own (the sweep's users are in many)
    noted: bool = False  # a failure already named in an `error` outcome before it
    unsure: bool = False  # a failed call that Mimecast may have applied all the same

    @property
    def ok(self) -> bool:
        return self.outcome not in ("skipped", "failed", "error")


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    found: bool = True  # False: no group has this name, so it is taken as an id that only a real call checks


@dataclass
class Context:
    """What a run needs besides its parameters, so that tests can give plain stand-ins: a client per
    account, the risk table's identity resolver (identity -> the table's email, None when not in it), the
    group cache, the containment records and the key that signs them, the lease per (account, group id),
    the account's allow-list of groups, whether the sweep is scheduled (None: unknown), the audit sink,
    the run's origin, this host's clock (Mimecast's clock comes from the client) and the records' ledger
    (None: earlier versions of a record are not told from the latest)."""

    client_for: Callable[[str], Client]
    resolve: Callable[[str], str | None]
    run: containment.Run
    store: containment.Store | None = None
    audit: Callable[[dict[str, Any]], None] = lambda event: None
    cache: GroupCache | None = None
    clock: Callable[[], float] = time.time
    record_key: Callable[[], bytes] = lambda: b""
    lease: Callable[[str, str], AbstractContextManager[Callable[[], None]]] = lambda account, group: (
        nullcontext(lambda: None)
    )
    groups_allowed: Callable[[str], tuple[str, ...]] = lambda account: ()
    sweep_scheduled: Callable[[], bool | None] = lambda: None
    ledger: containment.Ledger | None = None


def parse_params(configuration: dict[str, Any], mode: str = "add") -> Params:
    """Validate the alert's parameters, saying which one is wrong and how to fix it. Dry run is the
    default: only an explicit 0 acts for real."""
    account = str(configuration.get("account") or "").strip()
    group = str(configuration.get("group") or "").strip()
    if not account:
        raise ActionError("parameter account is empty: choose a Mimecast account in the alert action")
    if not group:
        raise ActionError("parameter group is empty: give the Mimecast group's name or id")
    max_users = parse_max_users(configuration.get("max_users"), DEFAULT_MAX_USERS)
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
    return Params(account, group, email_field, max_users, raw_dry in _TRUE, for_days)


def parse_max_users(raw: Any, default: int) -> int:
    """The `max_users` parameter of an action or of the sweep: a whole number of at least 1 (empty: the
    default). Splunk's alert forms check nothing, so this is where a wrong value is refused."""
    text = str(raw or default).strip()
    number = containment.plain_number(text, whole=True)
    if number is None or number < 1:
        raise ActionError(f"parameter max_users={text!r} is not a whole number of at least 1")
    return int(number)


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
        with contextlib.suppress(statedb.StateError):  # a cache that cannot be written is only slower
            cache.put(account, group, ids[0])
    return Group(ids[0], group)


def act(
    client: Client,
    mode: str,
    group: Group,
    targets: list[Target],
    *,
    dry_run: bool,
) -> Iterator[Outcome]:
    """Add or remove the users in as few calls as Mimecast's limits allow, each user's outcome read from
    the answer's fail[] (already in, or already out of, the group is a success). A failure of a whole
    call is one `error` line and fails that call's users; one that every later call would hit too
    (credentials, permission, expired keys, network, unknown group) also ends the run, the users not
    reached reported as skipped. Under a lease, the client's beat renews it before each call."""
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
        except MimecastError as err:
            yield from _call_failed(endpoint, group, chosen, err)
            if isinstance(err, _FATAL):
                yield from _not_reached(targets[reached:])
                return
            continue
        refused = {_keyed_email(key): f for key, f in item_failures(answer)}
        if not set(refused) <= {target.email for target in chosen}:
            said = (
                f"{endpoint}: Mimecast's answer names in fail[] an item this call did not send, so it "
                "says nothing sure about the users it did send"
            )
            yield from _call_failed(endpoint, group, chosen, MalformedResponse(said, endpoint=endpoint))
            continue
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
    run with nothing to do (or a tripped guard) makes no Mimecast call. A real run holds the group's lease
    while it acts; a real add with `for_days` writes an intent record per user before calling Mimecast and
    confirms it after; a real remove clears their records; every change is audited."""
    targets, problems = pick_targets(results, params.email_field, context.resolve)
    yield from problems
    if not targets:
        return
    guard(targets, params.max_users)
    client = context.client_for(params.account)
    try:
        group = resolve_group(client, params.group, context.cache, params.account)
    except _FATAL as err:
        yield from _call_failed("find_groups", Group(params.group, params.group), targets[:1], err)
        yield from _not_reached(targets[1:])
        return
    check_allowed(context.groups_allowed(params.account), group, params.account)
    if params.dry_run:
        yield from act(client, mode, group, targets, dry_run=True)
        return
    if params.for_days and mode == "add" and context.sweep_scheduled() is False:
        yield Outcome("", None, "warning", NO_SWEEP)
    with context.lease(params.account, group.id) as keep, client.beating(keep):
        work = _Work(context, client, group, keep, _Trail(context))
        if mode == "add" and params.for_days and context.store is not None:
            steps = _contain(work, context.store, params.for_days, targets)
        else:
            steps = _change(work, mode, targets)
        try:
            for outcome in steps:
                if outcome.code == NO_GROUP and context.cache:
                    with contextlib.suppress(statedb.StateError):
                        context.cache.forget(params.account, params.group)
                yield outcome
        except LeaseLost as err:
            yield _error(f"{err}; {LEASE_LOST}")
        yield from work.trail.problems()


@dataclass
class _Work:
    """What each step of a real run on one group needs: the run's context, the account's client, the
    group, the lease's keep (called before each change) and the run's audit trail."""

    context: Context
    client: Client
    group: Group
    keep: Callable[[], None]
    trail: _Trail


def check_allowed(allowed: tuple[str, ...], group: Group, account: str) -> None:
    """The account's allow-list of groups (splunk_app.allowed_groups): a group outside it is refused before
    anything changes."""
    refused = allowed_groups.refusal(allowed, group.name, group.id, account)
    if refused:
        raise ActionError(refused)


def _change(work: _Work, mode: str, targets: list[Target]) -> Iterator[Outcome]:
    """An add without a time box, or a remove (which also ends the users' containment records)."""
    store, run, group = work.context.store, work.context.run, work.group
    marks: dict[str, containment.Mark] | None = None
    for outcome in act(work.client, mode, group, targets, dry_run=False):
        email = outcome.email or ""
        if store is not None and mode == "remove" and outcome.outcome in ("removed", "not_member"):
            try:
                held = _own_record(store, work.context.record_key, run.account, group.id, email)
                if held is not None:
                    _forget(work, store, [held])
                else:  # none, or not the add-on's: the ledger learns no generation from it
                    if marks is None and work.context.ledger is not None:
                        marks = work.context.ledger.marks(run.account, group.id)
                    _end_unrecorded(
                        work, (marks or {}).get(containment.record_key(run.account, group.id, email))
                    )
                    store.delete(containment.record_key(run.account, group.id, email))
            except LeaseLost:
                raise
            except Exception as err:
                work.trail.record_failed(email, err)
        work.trail.audit(run, group, outcome, containment.event_id(run.sid, group.id, email))
        yield outcome


def _contain(
    work: _Work, store: containment.Store, for_days: float, targets: list[Target]
) -> Iterator[Outcome]:
    """A time-boxed add: learn who is in the group, write an intent record per user, call Mimecast,
    confirm. A stop anywhere leaves either no change or a record the sweep releases.

    Members from before are not sent in the add call: the add would change nothing for them, and its
    answer, lost to a stop before the confirmations, is the only thing that could tell a member from before
    from one taken out by hand meanwhile and put back by the add. Instead, once the others are added, the
    group is read again: one still in it is a member from before; one gone gets a new intent record (the
    add-on's own, pending) before it is added."""
    emails = [target.email for target in targets]
    key = work.context.record_key()
    try:
        existing, intents, notes = _write_intents(work, store, key, for_days, emails)
    except MimecastError as err:
        yield from _call_failed("get_group_members", work.group, targets, err)
        return
    except LeaseLost:
        raise
    except Exception as err:
        yield _error(
            f"nothing was added: the intent records of {_users(emails)} could not be written to "
            f"{_where(store)} ({err})"
        )
        yield from _failed(
            targets, "not added: its containment record could not be written first", noted=True
        )
        return
    yield from notes
    yield from (Outcome(t.rid, t.email, "skipped", UNADOPTED) for t in targets if t.email not in intents)
    targets = [target for target in targets if target.email in intents]
    held: list[containment.Record] = []
    refused: list[containment.Record] = []
    before = [target for target in targets if intents[target.email].already_member]
    first = [target for target in targets if not intents[target.email].already_member]
    yield from _add_recorded(work, first, intents=intents, existing=existing, held=held, refused=refused)
    if before:
        yield from _members_from_before(
            work, store, before, key=key, intents=intents, existing=existing, held=held, refused=refused
        )
    # Confirmed after the audit events: a stop before this line leaves pending records, which the next
    # attempt (or the sweep) reads as the add-on's own.
    try:
        work.keep()
        confirmations = [containment.sign(containment.confirmed(record), key) for record in held]
        store.save_many([record.document() for record in confirmations])
        _advance(work, confirmations)
    except LeaseLost:
        raise
    except Exception as err:
        for record in held:
            work.trail.record_failed(record.user, err)
    try:
        _forget(work, store, refused)
    except LeaseLost:
        raise
    except Exception as err:
        for record in refused:
            work.trail.record_failed(record.user, err)


def _add_recorded(
    work: _Work,
    targets: list[Target],
    *,
    intents: dict[str, containment.Record],
    existing: dict[str, containment.Record],
    held: list[containment.Record],
    refused: list[containment.Record],
) -> Iterator[Outcome]:
    """The add call for users whose intent records are written: each answer read with its record and
    audited; the records to confirm go to `held`, those Mimecast refused (nothing to release) to `refused`."""
    for answer in act(work.client, "add", work.group, targets, dry_run=False):
        record = intents.get(answer.email or "")
        if record is None:
            yield answer
            continue
        outcome = _as_contained(answer, record, existing.get(record.user))
        if outcome.outcome in ("added", "already_member"):
            held.append(record)
        elif outcome.outcome == "failed" and record.user not in existing and not outcome.unsure:
            refused.append(record)
        ident = containment.event_id(record.account, record.group_id, record.user, record.added_at)
        work.trail.audit(work.context.run, work.group, outcome, ident, record)
        yield outcome


def _members_from_before(
    work: _Work,
    store: containment.Store,
    targets: list[Target],
    *,
    key: bytes,
    intents: dict[str, containment.Record],
    existing: dict[str, containment.Record],
    held: list[containment.Record],
    refused: list[containment.Record],
) -> Iterator[Outcome]:
    """Users who were in the group when the run began: those still in it stay members from before (no
    call); those taken out since become the add-on's containment, their intent records rewritten as such
    before the add call, so that a stop after it leaves a pending record of the add-on's own."""
    try:
        members = group_members(work.client, work.group.id)
    except MimecastError as err:
        yield from _call_failed("get_group_members", work.group, targets, err)
        return
    gone = [target for target in targets if target.email not in members]
    for target in targets:
        if target.email in members:
            record = intents[target.email]
            held.append(record)
            yield _as_contained(Outcome(target.rid, target.email, "already_member"), record, None)
    if not gone:
        return
    mine = {
        target.email: containment.sign(
            replace(
                intents[target.email], already_member=False, generation=intents[target.email].generation + 1
            ),
            key,
        )
        for target in gone
    }
    try:
        work.keep()
        store.save_many([record.document() for record in mine.values()])
        _advance(work, list(mine.values()))
    except LeaseLost:
        raise
    except Exception as err:
        yield _error(
            f"{_users(list(mine))} left the group while this run worked, and their intent records could "
            f"not be written to {_where(store)} ({err}): not added"
        )
        yield from _failed(gone, "not added: its containment record could not be written first", noted=True)
        return
    yield from _add_recorded(work, gone, intents=mine, existing=existing, held=held, refused=refused)


def _own_record(
    store: containment.Store, key: Callable[[], bytes], account: str, group_id: str, email: str
) -> containment.Record | None:
    """The record of this user in this group, when the add-on wrote it as it is."""
    found = store.get(containment.record_key(account, group_id, email))
    record = containment.from_document(found) if found else None
    return record if record is not None and containment.genuine(record, key()) else None


def _advance(work: _Work, records: list[containment.Record], *, released: bool = False) -> bool:
    """The ledger moved on to records just written (or about to go): any earlier version of them is stale
    from now on. False, and an error for the run's end, when the ledger could not be written."""
    ledger = work.context.ledger
    if ledger is None or not records:
        return True
    try:
        ledger.advance(containment.marks_of(records, released=released))
    except Exception as err:
        work.trail.ledger_failed([record.user for record in records], err, _where(ledger))
        return False
    return True


def _end_unrecorded(work: _Work, mark: containment.Mark | None) -> None:
    """A containment the ledger holds whose record was deleted ends with its user's removal (else each
    sweep would name it for ever)."""
    if work.context.ledger is not None and mark is not None and not mark.released:
        work.keep()
        work.context.ledger.advance([replace(mark, generation=mark.generation + 1, released=True)])


def _forget(work: _Work, store: containment.Store, records: list[containment.Record]) -> None:
    """Drop records whose containment is over: the ledger says so first, so that a stop in between, or a
    copy of one put back later, is read as released and moves nobody. Kept when the ledger cannot say so
    (the next sweep finds the user out of the group and tries again)."""
    if not records:
        return
    work.keep()
    if _advance(work, records, released=True):
        store.delete_many([record.key for record in records])


def _write_intents(
    work: _Work, store: containment.Store, key: bytes, for_days: float, emails: list[str]
) -> tuple[dict[str, containment.Record], dict[str, containment.Record], list[Outcome]]:
    """The add-on's records of these users before this run, the intent records it has written, and the
    warnings on the way (a record left alone or bounded, Mimecast's clock)."""
    work.keep()
    members = group_members(work.client, work.group.id)
    waiting = _unadopted(store, work.context.run.account, work.group.id, emails, members)
    emails = [email for email in emails if email not in waiting]
    now, clock_note = mimecast_now(work.context, work.client)
    ledger = work.context.ledger
    marks = ledger.marks(work.context.run.account, work.group.id) if ledger is not None else {}
    found, notes = _existing(
        store, key, work.context.run.account, work.group.id, emails=emails, now=now, marks=marks
    )
    # A containment whose user has left the group since (removed by hand) is over: a new one starts.
    existing = {
        email: record
        for email, record in found.items()
        if email in members or (record.state == containment.PENDING and not record.already_member)
    }
    intents = {
        email: containment.sign(
            containment.intent(
                existing.get(email),
                user=email,
                group=work.group.name,
                group_id=work.group.id,
                run=work.context.run,
                member_before=_member_before(email, members, marks, work.context.run.account, work.group.id),
                for_days=for_days,
                now=now,
                after=_generation(marks, work.context.run.account, work.group.id, email),
            ),
            key,
        )
        for email in emails
    }
    work.keep()
    store.save_many([record.document() for record in intents.values()])
    _advance(work, list(intents.values()))
    if clock_note:
        notes.append(Outcome("", None, "warning", clock_note))
    return existing, intents, notes


UNADOPTED = (
    "held by a containment record of version 1.0.0 that no administrator has adopted yet: not added again, "
    "so that the record stays for the adoption (docs/containment.md, Upgrading from 1.0.0)"
)


def _unadopted(
    store: containment.Store, account: str, group_id: str, emails: list[str], members: set[str]
) -> set[str]:
    """Users in the group whose record 1.0.0 wrote and nobody has adopted: an add now would find no signed
    record, take them for members from before (never released) and overwrite the record the adoption
    needs, so they wait for it. A user not in the group is added as usual, and so is one 1.0.0 recorded as
    a member from before (the add finds them so again)."""
    wanted = set(emails) & members
    found = (
        containment.from_document(doc)
        for doc in store.find({"account": account, "group_id": group_id})
        if containment_v1.shaped(doc)
    )
    return {r.user for r in found if r is not None and r.user in wanted and not r.already_member}


def _generation(marks: dict[str, containment.Mark], account: str, group_id: str, email: str) -> int:
    mark = marks.get(containment.record_key(account, group_id, email))
    return mark.generation if mark else 0


def _member_before(
    email: str, members: set[str], marks: dict[str, containment.Mark], account: str, group_id: str
) -> bool:
    """Whether a user in the group now was there before the add-on: a containment the ledger says the
    add-on still holds answers for itself (its record may have been replaced by an earlier copy)."""
    mark = marks.get(containment.record_key(account, group_id, email))
    if email in members and mark is not None and not mark.released:
        return mark.already_member
    return email in members


def _as_contained(
    answer: Outcome, record: containment.Record, previous: containment.Record | None
) -> Outcome:
    """Mimecast's answer for one user, read with the add-on's record of them: "already exists" for a user
    whose record is still pending (this run's or an earlier attempt's) means the add-on added them."""
    if answer.outcome not in ("added", "already_member"):
        return answer
    detail = answer.detail
    outcome = answer.outcome
    if outcome == "already_member" and not record.already_member:
        if previous is None or previous.state == containment.PENDING:
            outcome, detail = "added", "added by this or an earlier attempt"
        else:
            detail = "held by the add-on already"
    return replace(answer, outcome=outcome, detail=_until(record, detail))


def _until(record: containment.Record, detail: str) -> str:
    until = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(record.expires_at))
    held = (
        "in the group before the add-on asked: never removed by it"
        if record.already_member
        else f"held until {until}"
    )
    return "; ".join(part for part in (detail, held) if part)


MEMBERS_PAGE = 500


def group_members(client: Client, group_id: str) -> set[str]:
    """Who is in the group now (lower-cased emails), every page of get-group-members. A last page that is
    full without saying so by meta.pagination, or that ends short of the totalCount it gives, may hide
    members, and a member from before missed there would be taken for a user the add-on added (and
    released): such an answer is a MalformedResponse."""
    members: set[str] = set()
    read = 0
    for page in client.pages("get_group_members", data=[{"id": group_id}], page_size=MEMBERS_PAGE):
        read += len(page.records)
        members.update(
            str(member.get("emailAddress") or "").strip().lower()
            for member in page.records
            if member.get("emailAddress")
        )
        if page.next_token is not None:
            continue
        if page.total_count is None and len(page.records) >= MEMBERS_PAGE:
            short = f"a full page of {MEMBERS_PAGE} members without meta.pagination"
        elif page.total_count is not None and page.total_count > read:
            short = f"{read} members and no next page, but a totalCount of {page.total_count}"
        else:
            continue
        raise MalformedResponse(
            f"get_group_members: Mimecast answered {short}, so who else is in the group is unknown",
            endpoint="get_group_members",
        )
    return members


def mimecast_now(context: Context, client: Client) -> tuple[float, str]:
    """The time by Mimecast's clock (the Date of its latest answer), and a warning when this host's clock
    differs from it by more than CLOCK_SLACK, or when no answer had a Date (then the host's clock is used)."""
    host = context.clock()
    theirs = client.mimecast_time()
    if theirs is None:
        return host, "Mimecast's answers had no readable Date: containment times come from this host's clock"
    if abs(theirs - host) > containment.CLOCK_SLACK:
        return theirs, (
            f"this host's clock is {_span(host - theirs)} {'ahead of' if host > theirs else 'behind'} "
            "Mimecast's: containment times follow Mimecast's clock; check the host's time service (NTP)"
        )
    return theirs, ""


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    return (
        f"{seconds / containment.DAY:.1f} days"
        if seconds >= containment.DAY
        else f"{seconds / 60:.0f} minutes"
    )


def _existing(
    store: containment.Store,
    key: bytes,
    account: str,
    group_id: str,
    *,
    emails: list[str],
    now: float,
    marks: dict[str, containment.Mark],
) -> tuple[dict[str, containment.Record], list[Outcome]]:
    """The add-on's own records of these users in this group; a record failing its MAC check, or older
    than the ledger's latest, counts as none (it is overwritten by this run's), and one whose times
    cannot be right is bounded, each with a warning."""
    found: dict[str, containment.Record] = {}
    notes: list[Outcome] = []
    wanted = set(emails)
    for document in store.find({"account": account, "group_id": group_id}):
        record = containment.from_document(document)
        if record is None or record.user not in wanted:
            continue
        if not containment.genuine(record, key):
            notes.append(Outcome("", record.user, "warning", _forged(record, document)))
            continue
        old = containment.stale(record, marks.get(record.key))
        if old:
            notes.append(Outcome("", record.user, "warning", _stale_words(record, old)))
            continue
        reason = containment.out_of_bounds(record, now)
        if reason:
            record = containment.bounded(record, now)
            notes.append(Outcome("", record.user, "warning", _bounded_words(record, reason)))
        found[record.user] = record
    return found, notes


def _forged(record: containment.Record, document: Mapping[str, Any]) -> str:
    if containment_v1.shaped(document):
        return (
            f"the containment record {record.key!r} predates signing (version 1.0.0 wrote it, or someone "
            "made it look so): left alone, so its user stays in the group until an administrator adopts "
            "it by hand: | makeresults | sendalert mimecast_containment_sweep "
            f"param.adopt_unsigned={ADOPT_LIST} (docs/containment.md, Upgrading from 1.0.0)"
        )
    return (
        f"the containment record {record.key!r} fails its MAC check (the add-on did not write it as it is): "
        "left alone"
    )


def _stale_words(record: containment.Record, reason: str) -> str:
    return (
        f"the containment record {record.key!r} was written by the add-on but is not its latest: {reason}; "
        "put back from an earlier copy, or left by a stopped run: nobody is moved by it"
    )


def _bounded_words(record: containment.Record, reason: str) -> str:
    until = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(record.expires_at))
    return (
        f"the containment record {record.key!r}: {reason}; held no longer than its {record.for_days:g} days "
        f"from now (until {until})"
    )


def sweep(context: Context, revert_sid: str = "", max_users: int = DEFAULT_SWEEP_USERS) -> Iterator[Outcome]:
    """Let contained users go: those whose time is up by Mimecast's clock, or (with `revert_sid`) those
    whose latest containment that run was. Only records the add-on wrote are acted on; each group is
    worked under its lease, its records read again right before its users are removed (a newer extension
    stands), and a record goes only once Mimecast has removed the user (or they had left already); a
    failure keeps it, so the next sweep tries again. Members from before are never removed. At most
    `max_users` users a sweep; the rest wait for the next."""
    store = context.store
    if store is None:
        raise ActionError("the containment records cannot be read: no store was given")
    key = context.record_key()
    held = [] if revert_sid else _ledger_held(context.ledger)  # read first: an add writes its record first
    by_account: dict[str, list[containment.Record]] = {}
    for item in _signed_records(store, key, revert_sid):
        if isinstance(item, Outcome):
            yield item
        else:
            by_account.setdefault(item.account, []).append(item)
    recorded = {record.key for records in by_account.values() for record in records}
    yield from _unrecorded(context, store, [mark for mark in held if mark.key not in recorded])
    plans: list[tuple[Client, float, list[containment.Record]]] = []
    for account, records in by_account.items():
        try:
            client = context.client_for(account)
            _probe(client, records[0].group)
        except Exception as err:
            yield _error(f"account {account!r}: {err}; the containments it holds wait for the next sweep")
            continue
        now, note = mimecast_now(context, client)
        if note:
            yield Outcome("", None, "warning", note)
        plans.append((client, now, [r for r in records if revert_sid or _due_or_wrong(r, now)]))
    chosen = sorted((r for _, _, records in plans for r in records), key=lambda r: (r.expires_at, r.user))
    if len(chosen) > max_users:
        yield Outcome(
            "",
            None,
            "warning",
            (
                f"run {revert_sid} holds {len(chosen)} containments, more than max_users={max_users}: this "
                f"revert releases {max_users} of them; revert the run again (or with a higher max_users) "
                "for the rest, which no scheduled sweep reverts"
            )
            if revert_sid
            else (
                f"{len(chosen)} containments are due, more than max_users={max_users}: this sweep releases "
                f"the {max_users} due first, the next sweep the rest"
            ),
        )
    kept = {record.key for record in chosen[:max_users]}
    trail = _Trail(context)
    for client, now, records in plans:
        groups: dict[str, list[containment.Record]] = {}
        for record in records:
            if record.key in kept:
                groups.setdefault(record.group_id, []).append(record)
        for group_id, mine in groups.items():
            yield from _release_group(
                context,
                client,
                Group(group_id, mine[0].group),
                mine,
                trail=trail,
                now=now,
                revert_sid=revert_sid,
            )
    yield from trail.problems()


def _ledger_held(ledger: containment.Ledger | None) -> list[containment.Mark]:
    """The containments the ledger says the add-on holds now (not released, not of a member from
    before); none when it cannot be read (each group's ledger read later says so)."""
    try:
        marks = ledger.unreleased() if ledger is not None else []
    except Exception:
        return []
    return [mark for mark in marks if not mark.already_member]


def _unrecorded(
    context: Context, store: containment.Store, marks: list[containment.Mark]
) -> Iterator[Outcome]:
    """A WARNING per containment the ledger holds whose record is gone (someone who may write the records
    deleted it): no sweep ends it, and the ledger alone is no ground to act on (no expiry, no signature).
    Each is checked again first: a release or an add under way meanwhile is no loss."""
    latest: dict[tuple[str, str], dict[str, containment.Mark]] = {}
    for mark in marks:
        group = (mark.account, mark.group_id)
        if group not in latest and context.ledger is not None:
            latest[group] = context.ledger.marks(*group)
        now = latest.get(group, {}).get(mark.key)
        if now is None or now.released or store.get(mark.key) is not None:
            continue
        yield Outcome(
            "",
            mark.user,
            "warning",
            f"{mark.user} is held in group id {mark.group_id!r} (account {mark.account!r}) by the add-on's "
            f"ledger ({_where(context.ledger)}), but there is no containment record {mark.key!r} in "
            f"{_where(store)} (deleted by someone who may write it): no sweep will let them go, and none "
            "acts on the ledger alone. Remove them with Remove from Mimecast group, or add them again with "
            "for_days so that the sweep lets them go then",
        )


def _signed_records(
    store: containment.Store, key: bytes, revert_sid: str
) -> Iterator[containment.Record | Outcome]:
    """The add-on's own records (all, or the reverted run's latest), and a warning for each document that
    is not one."""
    query: dict[str, Any] = {"$or": [{"latest_sid": revert_sid}, {"sid": revert_sid}]} if revert_sid else {}
    for document in store.find(query):
        record = containment.from_document(document)
        if record is None:
            name = str(document.get("_key"))[:200]
            yield Outcome(
                "", None, "warning", f"{name!r} in {_where(store)} is not a containment record: left alone"
            )
        elif not containment.genuine(record, key):
            yield Outcome("", None, "warning", _forged(record, document))
        elif not revert_sid or record.latest_sid == revert_sid:
            yield record


ADOPT_LIST = "list"  # the sweep's adopt_unsigned value that lists the records a digest would adopt


def adopt_unsigned(context: Context, answer: str, max_users: int = DEFAULT_SWEEP_USERS) -> Iterator[Outcome]:
    """The one-time adoption of the records 1.0.0 wrote before records were signed (containment_v1), in an
    administrator's own run (the caller checks who runs it). `list` names each record it would adopt (at
    most max_users, by key) and the digest of that list; that digest given back signs exactly those
    records, each read again under its group's lease, with a ledger entry and an audit event each, and the
    sweep then releases them on time. Anything else, or a list that changed since (a record planted after
    the administrator read it), adopts nothing."""
    store = context.store
    if store is None:
        raise ActionError("the containment records cannot be read: no store was given")
    found: list[tuple[containment.Record, Client]] = []
    for item in _unsigned(context, store):
        if isinstance(item, Outcome):
            yield item
        else:
            found.append(item)
    found.sort(key=lambda pair: pair[0].key)
    if len(found) > max_users:
        yield Outcome(
            "",
            None,
            "warning",
            f"{len(found)} containment records predate signing, more than max_users={max_users}: this run "
            f"takes the first {max_users} (by key); list again after adopting them for the rest",
        )
    chosen = found[:max_users]
    digest = containment_v1.digest([record for record, _ in chosen])
    if answer == ADOPT_LIST:
        yield from _adoption_list([record for record, _ in chosen], digest)
    elif answer != digest:
        raise ActionError(
            f"adopt_unsigned={answer[:40]!r} is not the digest of the containment records that predate "
            f"signing now ({len(chosen)}): they changed since they were listed, or the value is wrong; "
            f"adopted none. List them again with param.adopt_unsigned={ADOPT_LIST} and read each line"
        )
    else:
        trail = _Trail(context)
        groups: dict[tuple[str, str], list[tuple[containment.Record, Client]]] = {}
        for record, client in chosen:
            groups.setdefault((record.account, record.group_id), []).append((record, client))
        for (account, group_id), mine in groups.items():
            group = Group(group_id, mine[0][0].group)
            with context.lease(account, group_id) as keep:
                work = _Work(context, mine[0][1], group, keep, trail)
                yield from _adopt(work, store, [record for record, _ in mine])
        yield from trail.problems()


def _unsigned(
    context: Context, store: containment.Store
) -> Iterator[tuple[containment.Record, Client] | Outcome]:
    """The 1.0.0-shaped records that 1.0.0 could have written, by Mimecast's clock and the ledger (a key the
    add-on has written since the upgrade is not 1.0.0's), and a warning for each one that is not."""
    by_account: dict[str, list[containment.Record]] = {}
    for document in store.find({}):
        record = containment.from_document(document)
        if record is not None and containment_v1.shaped(document):
            by_account.setdefault(record.account, []).append(record)
    marks: dict[tuple[str, str], dict[str, containment.Mark]] = {}
    for account, records in by_account.items():
        try:
            client = context.client_for(account)
            _probe(client, records[0].group)
        except Exception as err:
            yield _error(f"account {account!r}: {err}; its records that predate signing are not adopted")
            continue
        now, note = mimecast_now(context, client)
        if note:
            yield Outcome("", None, "warning", note)
        for record in records:
            if context.ledger is not None and (account, record.group_id) not in marks:
                marks[account, record.group_id] = context.ledger.marks(account, record.group_id)
            reason = containment_v1.unfit(record, now)
            if record.key in marks.get((account, record.group_id), {}):
                reason = (
                    "the add-on has written a signed record under its key since, so 1.0.0 did not write it"
                )
            if reason:
                yield Outcome("", record.user, "warning", f"{record.key!r} is not adopted: {reason}")
            else:
                yield record, client


def _adoption_list(records: list[containment.Record], digest: str) -> Iterator[Outcome]:
    for record in records:
        yield Outcome("", record.user, "would_adopt", _held_words(record), group=record.group)
    if not records:
        yield Outcome("", None, "warning", "no containment record predates signing: nothing to adopt")
        return
    yield Outcome(
        "",
        None,
        "warning",
        f"{len(records)} containment records predate signing (listed above, each with its record key): if "
        "the add-on's 1.0.0 alerts wrote each of them, adopt exactly these, by hand, as an administrator: "
        f"| makeresults | sendalert mimecast_containment_sweep param.adopt_unsigned={digest}",
    )


def _adopt(work: _Work, store: containment.Store, records: list[containment.Record]) -> Iterator[Outcome]:
    """One group's adoptions under its lease: each record read again (one changed since it was listed is
    left alone), signed, saved, its ledger entry written, then its audit event."""
    key = work.context.record_key()
    signed: list[containment.Record] = []
    for record in records:
        again = store.get(record.key)
        if again is None or not containment_v1.shaped(again) or containment.from_document(again) != record:
            yield Outcome(
                "", record.user, "warning", f"{record.key!r} changed since it was listed: not adopted"
            )
        else:
            signed.append(containment.sign(containment_v1.adopted(record), key))
    work.keep()  # a lost lease is its own error (LeaseLost), not a record that could not be written
    try:
        store.save_many([record.document() for record in signed])
    except Exception as err:
        for record in signed:
            work.trail.record_failed(record.user, err)
        return
    _advance(work, signed)
    origin = work.context.run
    for record in signed:
        run = containment.Run(origin.action, origin.search_name, origin.sid, record.account, origin.owner)
        outcome = Outcome("", record.user, "adopted", _held_words(record), group=work.group.name)
        ident = containment.event_id(record.account, record.group_id, record.user, record.added_at)
        work.trail.audit(run, work.group, outcome, ident, record)
        yield outcome


def _held_words(record: containment.Record) -> str:
    since = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(record.added_at))
    by = f"contained since {since} by {record.search_name!r} (sid {record.sid}), record {record.key!r}"
    return f"{by}; {_until(record, '')}"


def _due_or_wrong(record: containment.Record, now: float) -> bool:
    """Due by Mimecast's clock, or with times that cannot be right (to be bounded now)."""
    return record.expires_at <= now or bool(containment.out_of_bounds(record, now))


def _release_group(
    context: Context,
    client: Client,
    group: Group,
    records: list[containment.Record],
    *,
    trail: _Trail,
    now: float,
    revert_sid: str,
) -> Iterator[Outcome]:
    """One group's share of a sweep, under its lease (or one line when the account may not change it)."""
    try:
        check_allowed(context.groups_allowed(records[0].account), group, records[0].account)
    except ActionError as err:
        yield _error(
            f"{err} (the sweep keeps the containment records of {_users([r.user for r in records])})"
        )
        return
    with context.lease(records[0].account, group.id) as keep, client.beating(keep):
        try:
            yield from _release(_Work(context, client, group, keep, trail), records, now, revert_sid)
        except LeaseLost as err:
            yield _error(f"{err}; {LEASE_LOST}")


def _probe(client: Client, group: str) -> None:
    """One light call (find-groups) whose answer's Date tells Mimecast's clock."""
    next(iter(client.pages("find_groups", data=[{"query": group, "source": "cloud"}], page_size=1)), None)


def _reread(
    work: _Work, store: containment.Store, key: bytes, records: list[containment.Record], now: float
) -> Iterator[containment.Record | Outcome]:
    """The group's records read again under the lease, right before acting: one released meanwhile is
    gone, one replaced by something the add-on did not write is left alone, and one whose times cannot be
    right is bounded (and saved so) with a warning."""
    wanted = {record.key for record in records}
    fixes: list[containment.Record] = []
    over: list[containment.Record] = []
    ledger = work.context.ledger
    marks = ledger.marks(records[0].account, work.group.id) if ledger is not None else {}
    for document in store.find({"account": records[0].account, "group_id": work.group.id}):
        record = containment.from_document(document)
        if record is None or record.key not in wanted or not containment.genuine(record, key):
            continue
        mark = marks.get(record.key)
        old = containment.stale(record, mark)
        if old:
            yield Outcome("", record.user, "warning", _stale_words(record, old), group=work.group.name)
            if mark is not None and mark.released:
                over.append(record)  # released already: the record only goes, nobody is moved
            continue
        reason = containment.out_of_bounds(record, now)
        if reason:
            record = containment.sign(containment.bounded(record, now), key)
            fixes.append(record)
            yield Outcome("", record.user, "warning", _bounded_words(record, reason), group=work.group.name)
        yield record
    try:
        if fixes:
            store.save_many([record.document() for record in fixes])
            _advance(work, fixes)
        if over:
            store.delete_many([record.key for record in over])
    except Exception as err:
        for record in fixes + over:
            work.trail.record_failed(record.user, err)


def _release(
    work: _Work, records: list[containment.Record], now: float, revert_sid: str
) -> Iterator[Outcome]:
    """Release what is still due (or still the reverted run's latest): members from before keep their
    place, the others are removed; each record goes after its audit event."""
    store = work.context.store
    assert store is not None
    now = max(now, work.client.mimecast_time() or now)
    work.keep()
    current: dict[str, containment.Record] = {}
    for item in _reread(work, store, work.context.record_key(), records, now):
        if isinstance(item, Outcome):
            yield item
        elif (item.latest_sid == revert_sid) if revert_sid else item.expires_at <= now:
            current[item.user] = item
    done = [held for held in current.values() if held.already_member]
    if not revert_sid:
        for before in current.values():
            if before.already_member:
                note = "in the group before the action: left there"
                yield Outcome("", before.user, "released", note, "", work.group.name)
    removals = [Target(held.user, "") for held in current.values() if not held.already_member]
    word = "reverted" if revert_sid else "expired"
    origin = work.context.run
    for removal in act(work.client, "remove", work.group, removals, dry_run=False):
        record = current.get(removal.email or "")
        if record is None:  # a failed call's one line for all its users
            yield replace(removal, group=work.group.name)
            continue
        outcome = replace(removal, group=work.group.name)
        if removal.outcome in ("removed", "not_member"):
            since = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(record.added_at))
            left = "" if removal.outcome == "removed" else "; had already left the group"
            held = f"contained since {since} by {record.search_name!r} ({origin.id_name} {record.sid}){left}"
            outcome = Outcome("", record.user, word, held, "", work.group.name)
            done.append(record)
        run = containment.Run(origin.action, origin.search_name, origin.sid, record.account, origin.owner)
        ident = containment.event_id(record.account, record.group_id, record.user, record.added_at)
        work.trail.audit(run, work.group, outcome, ident, attempted=word)
        yield outcome
    # Records go after their audit events: a stop between the two repeats both, with the same event ids.
    try:
        _forget(work, store, done)
    except LeaseLost:
        raise
    except Exception as err:
        for gone in done:
            work.trail.record_failed(gone.user, err)


class _Trail:
    """The audit events of a run, and the records and events that could not be written: an audit failure
    never stops the records, and each kind of failure ends the run with one ERROR line naming the users
    and the store."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.unaudited: list[str] = []
        self.audit_error = ""
        self.unrecorded: list[str] = []
        self.record_error = ""
        self.unledgered: list[str] = []
        self.ledger_error = ""

    def record_failed(self, email: str, err: Exception) -> None:
        self.unrecorded.append(email)
        self.record_error = self.record_error or str(err)

    def ledger_failed(self, emails: list[str], err: Exception, where: str) -> None:
        self.unledgered.extend(emails)
        self.ledger_error = self.ledger_error or f"{where}: {err}"

    def audit(
        self,
        origin: containment.Run,
        group: Group,
        outcome: Outcome,
        ident: str,
        record: containment.Record | None = None,
        *,
        attempted: str = "",
    ) -> None:
        """One audit event per change made (or tried and failed) in Mimecast, with a stable id: the
        containment's (or the run's) id and the change."""
        changes = ("added", "removed", "expired", "reverted", "adopted")
        change = outcome.outcome if outcome.outcome in changes else ""
        if outcome.outcome == "failed":
            change = "failed"
        if not change:
            return
        event: dict[str, Any] = {
            "time": round(self.context.clock(), 3),
            "event_id": containment.event_id(ident, change, origin.sid if change == "failed" else ""),
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
        if record is not None:
            event["for_days"] = record.for_days
            event["expires_at"] = round(record.expires_at, 3)
        if outcome.detail:
            event["detail"] = outcome.detail
        if outcome.code:
            event["code"] = outcome.code
        try:
            self.context.audit(event)
        except Exception as err:
            self.unaudited.append(outcome.email or "")
            self.audit_error = self.audit_error or f"{type(err).__name__}: {err}"

    def problems(self) -> Iterator[Outcome]:
        store = _where(self.context.store)
        if self.unrecorded:
            yield _error(
                f"the changes in Mimecast stand, but the containment records of {_users(self.unrecorded)} "
                f"could not be written to {store} ({self.record_error}); a pending record, where one was "
                "written, still ends the containment"
            )
        if self.unledgered:
            yield _error(
                f"the containment records of {_users(self.unledgered)} are written, but the records' ledger "
                f"could not be ({self.ledger_error}): until a later run writes it, an earlier copy of these "
                "records put back is not told from the latest, and a released record stays for the next "
                "sweep to drop"
            )
        if self.unaudited:
            yield _error(
                f"the changes in Mimecast stand, but the audit events of {_users(self.unaudited)} could not "
                f"be written to {self.context.audit} ({self.audit_error})"
            )


def _error(text: str) -> Outcome:
    return Outcome("", None, "error", text)


def _users(emails: list[str]) -> str:
    shown = ", ".join(emails[:20])
    more = f" and {len(emails) - 20} more" if len(emails) > 20 else ""
    return f"{len(emails)} users ({shown}{more})" if len(emails) > 1 else (emails[0] if emails else "no user")


def _where(store: Any) -> str:
    return str(getattr(store, "where", "") or "the containment records")


def _call_failed(endpoint: str, group: Group, targets: list[Target], err: MimecastError) -> Iterator[Outcome]:
    """A whole call failed: one ERROR line naming the call, the group and its users; each user's own line
    (for ES's per-result status) repeats why, as a warning."""
    unsure = isinstance(err, (NetworkError, MalformedResponse)) or (err.status or 0) >= 500
    words = action_words(err)
    yield _error(f"{endpoint} for {_users([t.email for t in targets])} in group {group.name!r}: {words}")
    for target in targets:
        yield Outcome(
            target.rid,
            target.email,
            "failed",
            words,
            err.code or "",
            noted=True,
            unsure=unsure,
        )


def action_words(err: MimecastError) -> str:
    """What an action's reader needs from a failed call: Mimecast's error, and what happens next in terms
    of actions (not of inputs and intervals)."""
    if isinstance(err, (RateLimited, OutOfTime)):
        wait = f" (it asks to wait {err.retry_after:.0f} s)" if err.retry_after else ""
        return (
            f"Mimecast's rate limit is used up{wait}: nothing was changed for these users; the alert acts on "
            "them when it fires again, and the sweep retries its releases on its next run"
        )
    unknown = (
        "whether Mimecast applied the call is unknown: time-boxed users keep their pending records, which "
        "the sweep releases when due"
    )
    if (err.status or 0) >= 500:
        code = f" ({err.code})" if err.code else ""
        ref = f" [request id {err.request_id}]" if err.request_id else ""
        return f"{err.endpoint}: Mimecast answered HTTP {err.status}{code}{ref}; {unknown}"
    if isinstance(err, (NetworkError, MalformedResponse)):
        return f"{err} ({unknown})"
    return str(err)


def _keyed_email(key: Any) -> str:
    """The address a fail[] entry's key names ("" when it names none)."""
    return str(key.get("emailAddress") or "").strip().lower() if isinstance(key, dict) else ""


def _failed(targets: list[Target], reason: str, code: str = "", noted: bool = False) -> Iterator[Outcome]:
    for target in targets:
        yield Outcome(target.rid, target.email, "failed", reason, code, noted=noted)


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
