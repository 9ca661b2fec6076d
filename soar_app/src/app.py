"""Mimecast Awareness Training for Splunk SOAR: the SDK's edges (asset, parameters, typed outputs, the
actions and on poll). The work is in mimecast_soar/, over the add-on's own client and rules (splunk_app,
copied into lib/ when the package is built). No `from __future__ import annotations` here: the SDK reads
these annotations at run time."""

import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Optional, Union

_HERE = Path(__file__).resolve().parent
for _folder in (_HERE / "lib", _HERE):  # the package's copy of splunk_app, then mimecast_soar
    if _folder.is_dir() and str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from mimecast_soar import people, poll, work  # noqa: E402
from mimecast_soar.connection import company_ca, proxy_from_environment  # noqa: E402
from mimecast_soar.store import Records  # noqa: E402
from soar_sdk.abstract import SOARClient  # noqa: E402
from soar_sdk.action_results import ActionOutput, ActionResult, OutputField  # noqa: E402
from soar_sdk.app import App  # noqa: E402
from soar_sdk.asset import AssetField, BaseAsset  # noqa: E402
from soar_sdk.exceptions import ActionFailure  # noqa: E402
from soar_sdk.logging import getLogger  # noqa: E402
from soar_sdk.models.artifact import Artifact  # noqa: E402
from soar_sdk.models.container import Container  # noqa: E402
from soar_sdk.params import OnPollParams, Param, Params  # noqa: E402

from splunk_app import actions, containment  # noqa: E402
from splunk_app.account_check import check_account  # noqa: E402
from splunk_app.risk.identity import AMBIGUOUS  # noqa: E402
from splunk_app.risk.policy import grade_name  # noqa: E402

logger = getLogger()
# The risk policy's grades, best first, and list risky users' default threshold: read from the policy table
# when the SDK's packager imports this module (soar_app/build.py stages the table first).
GRADES = people.grades()
THRESHOLD = people.first_risky()
MAX_PAGE_SIZE = 500
DEFAULT_POLL_CONTAINERS = 100


class Asset(BaseAsset):
    base_url: str = AssetField(description="Mimecast API gateway, https://host[:port]")
    auth_type: str = AssetField(
        description="oauth2 (API 2.0) or hmac (API 1.0)", default="oauth2", value_list=["oauth2", "hmac"]
    )
    client_id: str = AssetField(description="OAuth 2.0 client ID", required=False)
    client_secret: str = AssetField(description="OAuth 2.0 client secret", required=False, sensitive=True)
    app_id: str = AssetField(description="API 1.0 application ID", required=False)
    app_key: str = AssetField(description="API 1.0 application key", required=False, sensitive=True)
    access_key: str = AssetField(description="API 1.0 access key", required=False, sensitive=True)
    secret_key: str = AssetField(description="API 1.0 secret key", required=False, sensitive=True)
    account_code: str = AssetField(description="Mimecast account code (MSP or multi-account)", required=False)
    company_ca: str = AssetField(
        description="Company CA bundle (PEM) of a TLS-inspecting proxy", required=False
    )
    max_users: int = AssetField(
        description="Most users one group action may act on", required=False, default=25
    )
    groups_allowed: str = AssetField(
        description="Groups the actions may change: names or ids, comma-separated (empty: any group)",
        required=False,
    )


app = App(
    name="Mimecast Awareness Training",
    app_type="information",
    logo="logo.svg",
    logo_dark="logo_dark.svg",
    product_vendor="Mimecast",
    product_name="Awareness Training",
    publisher="Mimecast Awareness Training for Splunk developers",
    appid="6d1e4c2a-0f3b-4b8e-9a61-5c7f2e8d4b10",
    fips_compliant=False,
    asset_cls=Asset,
)


def _fields(asset: Asset) -> dict:
    return {key: value for key, value in asset.dict().items() if value is not None}


def _rows(
    params: Params, rows: Sequence[ActionOutput], summary: ActionOutput, message: str, ok: bool = True
) -> ActionResult:
    """A list action's answer as one action result: its rows (none when there are none: the SDK would make
    an empty list one empty row), its summary, and its message on one line. The actions still declare
    list[...] of their rows: the SDK reads that for the manifest's data paths."""
    result = ActionResult(ok, " ".join(message.split()), params.dict())
    for row in rows:
        result.add_data(row.dict())
    result.set_summary(summary.dict())
    return result


def _failing(err: work.Failed) -> ActionFailure:
    return ActionFailure(str(err))


@app.test_connectivity()
def test_connectivity(asset: Asset) -> None:
    """Tries the account with real calls and says what works and what the account may do (an allow-list
    of groups that cannot be read fails it first)."""
    fields = _fields(asset)
    try:
        ca = company_ca(fields)
        work.groups_allowed(fields)
    except (ValueError, work.Failed) as err:
        raise ActionFailure(str(err)) from err
    result = check_account(fields, proxy_from_environment(str(fields.get("base_url", ""))), ca, work.ASSET)
    if not result.ok:
        raise ActionFailure(result.message)
    logger.progress(result.message)


class UserParams(Params):
    user: str = Param(
        description="The user: email, display-name form, DOMAIN\\user or user name",
        primary=True,
        cef_types=["email", "user name"],
    )


class PhishingResult(ActionOutput):
    campaign_id: str
    campaign_name: str
    email: str = OutputField(cef_types=["email"])
    status: str = OutputField(example_values=["clicked", "submitted", "opened", "sent"])
    time_clicked: str
    time_submitted: str
    time_reported: str
    template: str


class UserRisk(ActionOutput):
    found: bool
    match: str = OutputField(example_values=["email", "alias", "local_part", "ambiguous", "none"])
    email: str = OutputField(cef_types=["email"], example_values=["ann@example.com"])
    name: str
    department: str
    safe_grade: str = OutputField(example_values=GRADES)
    risky_grade: bool
    human_error: str
    engagement: str
    knowledge: str
    sentiment: str
    watch_list: bool
    watch_list_count: str
    training_correct: str
    training_incorrect: str
    training_not_watched: str
    phishing_results: list[PhishingResult]


class UserRiskSummary(ActionOutput):
    found: bool
    safe_grade: str
    watch_list: bool


def _phishing(result: dict) -> PhishingResult:
    return PhishingResult(
        campaign_id=str(result.get("campaignId") or ""),
        campaign_name=str(result.get("campaignName") or ""),
        email=str(result.get("email") or "").lower(),
        status=str(result.get("status") or ""),
        time_clicked=str(result.get("timeClicked") or ""),
        time_submitted=str(result.get("timeSubmitted") or ""),
        time_reported=str(result.get("timeReported") or ""),
        template=str(result.get("templateName") or ""),
    )


@app.action(action_type="investigate", summary_type=UserRiskSummary)
def get_user_risk(params: UserParams, soar: SOARClient, asset: Asset) -> UserRisk:
    """A user's SAFE grade and its four components, watch list, training and recent phishing results."""
    fields = _fields(asset)
    try:
        with work.answering(fields):
            client = work.client(fields)
            users = people.directory(client)
            match = users.resolve(params.user)
            if match.email is None:
                result = _not_found(match.how)
            else:
                row = users.rows[match.email]
                trained = people.training(client, match.email) or {}
                recent = [_phishing(r) for r in people.phishing_results(client, email=match.email)]
                result = _user_risk(row, match.how, trained, recent)
    except work.Failed as err:
        raise _failing(err) from err
    soar.set_summary(
        UserRiskSummary(found=result.found, safe_grade=result.safe_grade, watch_list=result.watch_list)
    )
    if result.found:
        listed = "on the watch list" if result.watch_list else "not on the watch list"
        soar.set_message(
            f"{result.email}: SAFE grade {result.safe_grade or 'none'}, {listed} (matched by {result.match})"
        )
    else:
        soar.set_message(_nobody(params.user, result.match))
    return result


def _nobody(value: str, how: str) -> str:
    if how == AMBIGUOUS:
        return f"{value!r} names more than one user of this Mimecast tenant: give the email address"
    return f"{value!r} is not a user of this Mimecast tenant"


def _not_found(how: str) -> UserRisk:
    empty = dict.fromkeys(
        ("email", "name", "department", "safe_grade", "human_error", "engagement", "knowledge", "sentiment"),
        "",
    )
    counts = dict.fromkeys(
        ("watch_list_count", "training_correct", "training_incorrect", "training_not_watched"), ""
    )
    return UserRisk(
        found=False, match=how, risky_grade=False, watch_list=False, phishing_results=[], **empty, **counts
    )


def _user_risk(row: dict, how: str, trained: dict, recent: list[PhishingResult]) -> UserRisk:
    return UserRisk(
        found=True,
        match=how,
        email=row["email"],
        name=str(row.get("name") or ""),
        department=str(row.get("department") or ""),
        safe_grade=str(row.get("safe_grade") or ""),
        risky_grade=people.risky_grade(str(row.get("safe_grade") or "")),
        human_error=str(row.get("human_error") or ""),
        engagement=str(row.get("engagement") or ""),
        knowledge=str(row.get("knowledge") or ""),
        sentiment=str(row.get("sentiment") or ""),
        watch_list=row.get("watchlist") == "true",
        watch_list_count=str(row.get("watchlist_count") or "0"),
        training_correct=str(trained.get("numCorrect", "")),
        training_incorrect=str(trained.get("numIncorrect", "")),
        training_not_watched=str(trained.get("numNotWatched", "")),
        phishing_results=recent,
    )


class RiskyParams(Params):
    grade: str = Param(
        description=(
            f"Worst grades from this one on ({THRESHOLD}: {', '.join(GRADES[GRADES.index(THRESHOLD) :])})"
        ),
        default=THRESHOLD,
        value_list=GRADES,
    )
    watch_list_only: bool = Param(description="Only users on the watch list", required=False, default=False)
    department: str = Param(description="Only this department", required=False, default="")
    page: int = Param(description="Page number, from 1", required=False, default=1)
    page_size: int = Param(
        description=f"Users per page, at most {MAX_PAGE_SIZE}", required=False, default=100
    )


class RiskyUser(ActionOutput):
    email: str = OutputField(cef_types=["email"])
    name: str
    department: str
    safe_grade: str = OutputField(example_values=GRADES)
    watch_list: bool
    watch_list_count: str


class RiskySummary(ActionOutput):
    total_users: int
    page: int
    pages: int


@app.action(action_type="investigate", summary_type=RiskySummary)
def list_risky_users(params: RiskyParams, asset: Asset) -> list[RiskyUser]:
    """Users at a SAFE grade or worse, only watch-listed ones or one department's if asked; riskiest first."""
    grade = grade_name(params.grade)
    if grade not in GRADES:
        raise ActionFailure(f"grade {params.grade!r} is not one of {', '.join(GRADES)}")
    if params.page < 1 or not 1 <= params.page_size <= MAX_PAGE_SIZE:
        raise ActionFailure(f"page must be 1 or more and page_size 1 to {MAX_PAGE_SIZE}")
    fields = _fields(asset)
    try:
        with work.answering(fields):
            client = work.client(fields)
            users = people.directory(client)
            found = people.risky(users.rows.values(), grade, params.watch_list_only, params.department)
    except work.Failed as err:
        raise _failing(err) from err
    pages = max(1, -(-len(found) // params.page_size))
    chosen = found[(params.page - 1) * params.page_size : params.page * params.page_size]
    rows = [
        RiskyUser(
            email=row["email"],
            name=str(row.get("name") or ""),
            department=str(row.get("department") or ""),
            safe_grade=str(row.get("safe_grade") or ""),
            watch_list=row.get("watchlist") == "true",
            watch_list_count=str(row.get("watchlist_count") or "0"),
        )
        for row in chosen
    ]
    summary = RiskySummary(total_users=len(found), page=params.page, pages=pages)
    words = f"{len(found)} users at grade {grade} or worse; page {params.page} of {pages}"
    return _rows(params, rows, summary, words)


class PhishingParams(Params):
    user: str = Param(
        description="A user (any form), or empty with a campaign",
        required=False,
        default="",
        cef_types=["email", "user name"],
    )
    campaign_id: str = Param(description="A phishing campaign's id", required=False, default="")


class PhishingSummary(ActionOutput):
    results: int


@app.action(action_type="investigate", summary_type=PhishingSummary)
def get_phishing_results(params: PhishingParams, asset: Asset) -> list[PhishingResult]:
    """A user's results in the latest phishing campaigns, or every result of one campaign."""
    if not (params.user.strip() or params.campaign_id.strip()):
        raise ActionFailure("give a user, a campaign_id, or both")
    fields = _fields(asset)
    try:
        with work.answering(fields):
            client = work.client(fields)
            email = ""
            if params.user.strip():
                match = people.directory(client).resolve(params.user.strip())
                if match.email is None:
                    return _rows(params, [], PhishingSummary(results=0), _nobody(params.user, match.how))
                email = match.email
            found = []
            for result in people.phishing_results(
                client, email=email, campaign_id=params.campaign_id.strip()
            ):
                found.append(_phishing(result))
                if len(found) >= people.MAX_RESULTS:
                    break
    except work.Failed as err:
        raise _failing(err) from err
    words = f"{len(found)} phishing results" + (
        " (the first ones only)" if len(found) >= people.MAX_RESULTS else ""
    )
    return _rows(params, found, PhishingSummary(results=len(found)), words)


class MemberOutcome(ActionOutput):
    user: str = OutputField(cef_types=["email"])
    outcome: str = OutputField(
        example_values=[
            "added",
            "already_member",
            "would_add",
            "removed",
            "not_member",
            "would_remove",
            "expired",
            "reverted",
            "released",
            "skipped",
            "failed",
            "error",
            "warning",
        ]
    )
    detail: str
    group: str
    run_id: str


class GroupSummary(ActionOutput):
    run_id: str
    changed: int
    unchanged: int
    failed: int
    warnings: int


class GroupParams(Params):
    users: str = Param(
        description="Users, comma-separated, in any form",
        primary=True,
        allow_list=True,
        cef_types=["email", "user name"],
    )
    group: str = Param(description="The Mimecast group's name or id")
    dry_run: bool = Param(description="Only say what would happen", required=False, default=True)


class AddParams(GroupParams):
    days: float = Param(
        description="Hold them this many days, then release expired lets them go (empty: no time box)",
        required=False,
    )


def _context(fields: dict, client: Any, resolve: Any, run: containment.Run) -> actions.Context:
    """The shared containment code's context over this asset's records file: its store and their ledger,
    the key that signs its records, the lease per (account, group) and the asset's allow-list of groups;
    Mimecast's clock comes from the client."""
    allowed = work.groups_allowed(fields)
    records = Records(work.records_path(fields, _state_dir()))
    cache = actions.GroupCache(records.path + ".groups")
    return actions.Context(
        client_for=lambda account: client,
        resolve=resolve,
        run=run,
        store=records,
        audit=lambda event: logger.info(f"mimecast change: {event}"),
        cache=cache,
        clock=time.time,
        record_key=records.record_key,
        lease=records.lease,
        groups_allowed=lambda account: allowed,
        ledger=records,
    )


def _state_dir() -> Optional[str]:
    """SOAR's state folder for this app (None in local runs, where the SDK's stand-in has none)."""
    folder = getattr(app.actions_manager, "get_state_dir", None)
    return str(folder()) if callable(folder) else None


def _group_action(mode: str, params: GroupParams, soar: SOARClient, asset: Asset) -> ActionResult:
    fields = _fields(asset)
    run_id = uuid.uuid4().hex[:16]
    values = [value.strip() for value in params.users.split(",") if value.strip()]
    configuration = {
        "account": "asset",
        "group": params.group,
        "email_field": "user",
        "max_users": str(fields.get("max_users") or actions.DEFAULT_MAX_USERS),
        "dry_run": "1" if params.dry_run else "0",
        "for_days": ""
        if mode == "remove" or getattr(params, "days", None) in (None, 0)
        else f"{params.days:f}",  # a plain decimal, as for_days takes it: str() writes 0.00002 as 2e-05
    }
    outcomes: list[actions.Outcome] = []
    try:
        parsed = actions.parse_params(configuration, mode)
        with work.answering(fields):
            client = work.client(fields)
            users = people.directory(client)
            run = containment.Run(
                f"soar {mode}",
                f"SOAR container {soar.get_executing_container_id() or ''}".strip(),
                run_id,
                "asset",
                id_name="run_id",
            )
            context = _context(fields, client, lambda value: users.resolve(value).email, run)
            results = [(str(i), {"user": v}) for i, v in enumerate(values)]
            for outcome in actions.run(mode, parsed, results, context):
                outcomes.append(outcome)
    except (actions.ActionError, work.Failed) as err:
        _stopped(err, outcomes, len(values))
    return _report(params, outcomes, run_id, group=params.group, values=values)


def _stopped(err: Exception, outcomes: list[actions.Outcome], asked: int = 0) -> None:
    """A run that stopped part-way keeps what it did (a playbook must learn whom it changed): its rows
    and the reason as an error row. One that did nothing fails with the reason alone."""
    if not outcomes:
        raise ActionFailure(str(err)) from err
    users = sum(o.outcome not in NOTES for o in outcomes)
    reached = f" (the run stopped with {users} of the {asked} users given reached)" if asked else ""
    outcomes.append(actions.Outcome("", None, "error", f"{err}{reached}"))


CHANGED = ("added", "removed", "expired", "reverted")
NOTES = ("error", "warning")  # outcomes about the run, not about one user (the user, when named, is context)


def _report(
    params: Params,
    outcomes: list[actions.Outcome],
    run_id: str,
    *,
    group: str,
    values: list[str],
    nothing: str = "",
) -> ActionResult:
    """The run as one action result: a row per outcome (each user's, and the run's errors and warnings,
    all with an `outcome`), and a failed status when a user was not acted on as asked or a step failed
    (a record or audit event not written), with the first problem in its one-line message; `nothing` says
    why a run had no user to act on."""
    rows = [_member(o, run_id, group, values) for o in outcomes]
    users = [row for o, row in zip(outcomes, rows) if o.outcome not in NOTES]
    errors = [row for o, row in zip(outcomes, rows) if o.outcome == "error"]
    warnings = [row for o, row in zip(outcomes, rows) if o.outcome == "warning"]
    failed = [row for o, row in zip(outcomes, rows) if o.outcome not in NOTES and not o.ok]
    changed = sum(row.outcome in CHANGED for row in users)
    unchanged = len(users) - changed - len(failed)
    if failed:
        counts = f"{len(failed)} of {len(users)} users not acted on as asked, {changed} changed"
    else:
        counts = f"{changed} changed, {unchanged} unchanged" if users or not nothing else nothing
    if errors or failed:
        first = errors[0].detail if errors else f"{failed[0].user}: {failed[0].detail or failed[0].outcome}"
        message = f"run {run_id}: {counts}; {first}"
    elif warnings:
        message = f"run {run_id}: {counts}; {len(warnings)} warnings, the first: {warnings[0].detail}"
    else:
        message = f"run {run_id}: {counts}"
    summary = GroupSummary(
        run_id=run_id, changed=changed, unchanged=unchanged, failed=len(failed), warnings=len(warnings)
    )
    return _rows(params, rows, summary, message, ok=not (errors or failed))


def _member(outcome: actions.Outcome, run_id: str, group: str, values: list[str]) -> MemberOutcome:
    """One outcome in the playbook's words: a value that named nobody is shown as it was given; an error
    or warning about the run has no user."""
    user, detail = outcome.email or "", outcome.detail
    if not user and outcome.outcome == "skipped" and outcome.rid.isdigit() and int(outcome.rid) < len(values):
        user = values[int(outcome.rid)]
        detail = "not a user of this Mimecast tenant: only the tenant's own people are acted on"
    return MemberOutcome(
        user=user, outcome=outcome.outcome, detail=detail, group=outcome.group or group, run_id=run_id
    )


@app.action(action_type="contain", read_only=False, summary_type=GroupSummary)
def add_to_group(params: AddParams, soar: SOARClient, asset: Asset) -> list[MemberOutcome]:
    """Adds users to a Mimecast group (at most 500 a call), optionally for a number of days."""
    return _group_action("add", params, soar, asset)


@app.action(action_type="correct", read_only=False, summary_type=GroupSummary)
def remove_from_group(params: GroupParams, soar: SOARClient, asset: Asset) -> list[MemberOutcome]:
    """Removes users from a Mimecast group (at most 10 a call, 2,048 bytes)."""
    return _group_action("remove", params, soar, asset)


class RevertParams(Params):
    run_id: str = Param(description="The run_id of an add to group run to undo")


def _sweep(params: Params, asset: Asset, revert: str) -> ActionResult:
    fields = _fields(asset)
    run_id = uuid.uuid4().hex[:16]
    outcomes: list[actions.Outcome] = []
    try:
        with work.answering(fields):
            client = work.client(fields)
            action = "soar release" if not revert else "soar revert"
            run = containment.Run(action, "SOAR", run_id, "asset", id_name="run_id")
            context = _context(fields, client, lambda value: None, run)
            for outcome in actions.sweep(context, revert_sid=revert):
                outcomes.append(outcome)
    except (actions.ActionError, work.Failed) as err:
        _stopped(err, outcomes)
    nothing = (
        f"run {revert!r} holds no containment (an unknown run_id, or its users were let go already): "
        "nothing reverted"
        if revert
        else "no containment is due"
    )
    return _report(params, outcomes, run_id, group="", values=[], nothing=nothing)


@app.action(action_type="correct", read_only=False, summary_type=GroupSummary)
def release_expired(params: Params, asset: Asset) -> list[MemberOutcome]:
    """Lets go the users whose time-boxed containment is over (schedule it, e.g. hourly)."""
    return _sweep(params, asset, "")


@app.action(action_type="correct", read_only=False, summary_type=GroupSummary)
def revert_run(params: RevertParams, asset: Asset) -> list[MemberOutcome]:
    """Removes the users one add to group run contained (members from before stay)."""
    if not params.run_id.strip():
        raise ActionFailure("run_id is empty: give the run_id of an add to group run")
    return _sweep(params, asset, params.run_id.strip())


@app.on_poll()
def on_poll(params: OnPollParams, soar: SOARClient, asset: Asset) -> Iterator[Union[Container, Artifact]]:
    """Users whose SAFE grade dropped or who joined the watch list since the last poll, one container each."""
    fields = _fields(asset)
    try:
        with work.answering(fields):
            client = work.client(fields)
            records = Records(work.records_path(fields, _state_dir()))
            now = time.time()
            users = people.directory(client, now)
            before = records.seen()
            seen = poll.seen_now(users.rows, before or {})
            found = poll.changes(before, seen, users.rows, now) if before is not None else []
            records.record_poll(now, seen, found)
            if before is None:
                logger.progress(f"first poll: {len(seen)} users noted; later polls report their changes")
            limit = params.container_count or DEFAULT_POLL_CONTAINERS
            for change_id, change in records.unsent(limit):
                yield _container(change_id, change)
                yield _artifact(change_id, change)
                records.mark_sent(change_id)
    except work.Failed as err:
        raise ActionFailure(str(err)) from err


def _what(change: dict) -> str:
    parts = []
    if change["grade_dropped"]:
        parts.append(f"SAFE grade {change['old_grade'] or 'none'} to {change['new_grade']}")
    if change["joined_watch_list"]:
        parts.append("joined the watch list")
    return " and ".join(parts)


def _severity(change: dict) -> str:
    """High for the policy's worst grade (F as shipped) or a watch-list join."""
    return "high" if people.worst(change["new_grade"]) or change["joined_watch_list"] else "medium"


def _container(change_id: str, change: dict) -> Container:
    return Container(
        name=f"Mimecast Awareness: {change['user']} {_what(change)}",
        description=f"{change['user']} ({change['department'] or 'no department'}): {_what(change)}",
        severity=_severity(change),
        source_data_identifier=change_id,
    )


def _artifact(change_id: str, change: dict) -> Artifact:
    cef = {
        "suser": change["user"],
        "userName": change["name"],
        "department": change["department"],
        "oldGrade": change["old_grade"],
        "newGrade": change["new_grade"],
        "gradeDropped": change["grade_dropped"],
        "joinedWatchList": change["joined_watch_list"],
        "watchListCount": change["watch_list_count"],
        **{name: change[name] for name in poll.COMPONENTS},
    }
    return Artifact(
        name="user risk change",
        label="user",
        severity=_severity(change),
        source_data_identifier=change_id,
        cef=cef,
        cef_types={"suser": ["email"]},
    )


if __name__ == "__main__":
    app.cli()
