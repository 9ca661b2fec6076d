"""The demo: the whole add-on against a simulated Mimecast tenant and a splunkd stand-in, all on 127.0.0.1.

Only Mimecast and splunkd are simulated. The inputs are the bin/ scripts run as splunkd runs them (a
subprocess fed splunkd's XML), and the search command is driven over the chunked protocol, so what the demo
shows is what a Splunk installation would do."""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit import chunked, modinput, words
from devkit.simulator import SimulatedTenant
from devkit.splunkd import SplunkdStandIn
from splunk_app import APP_ID
from splunk_app.inputs.runner import RISK_CHANGE
from splunk_app.risk import table as risk
from splunk_app.risk.policy import shipped, watchlisted

Say = Callable[[str], None]

CHUNK_SIZE = 500
BIN = Path(__file__).resolve().parents[1] / "bin"
API_PREFIX = "/api/awareness-training/"
GROUP = "High Risk Users"
ACT_ON = 5
ALERT_SEARCH = "Mimecast Awareness - Risky user clicked a link"
CONTAIN_DAYS = 2
CLOCK_MOVE_DAYS = 3
CONTAINMENT = "mimecast_containment"
LEASES = "mimecast_containment_lease"
LEDGER = "mimecast_containment_ledger"
SWEEP_SEARCH = "Mimecast Awareness - Containment sweep"
GRADE_DROP = "Mimecast Awareness - ES risk: SAFE grade dropped"
SHOWN_DROPS = 3

OAUTH2_ACCOUNT = "demo_oauth2"
HMAC_ACCOUNT = "demo_hmac"
SETTINGS_CONF = "ta_mimecast_awareness_settings"
INDEX = "mimecast"


@dataclass(frozen=True)
class DemoInput:
    """One modular input as an administrator would configure it on the Inputs page."""

    kind: str
    account: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.kind}://{self.kind.replace('mimecast_at_', 'demo_')}"


# Both authentication modes are used; the training input runs last because, with no users configured,
# it reads the risk table the others have just filled.
INPUTS = (
    DemoInput("mimecast_at_safe_score_summary", OAUTH2_ACCOUNT),
    DemoInput("mimecast_at_safe_score", OAUTH2_ACCOUNT, {"page_size": "500"}),
    DemoInput("mimecast_at_watchlist", HMAC_ACCOUNT, {"page_size": "500"}),
    DemoInput("mimecast_at_watchlist_summary", OAUTH2_ACCOUNT),
    DemoInput("mimecast_at_performance", OAUTH2_ACCOUNT, {"page_size": "500", "include_user_details": "1"}),
    DemoInput("mimecast_at_performance_summary", OAUTH2_ACCOUNT),
    DemoInput("mimecast_at_queue", HMAC_ACCOUNT, {"page_size": "500"}),
    DemoInput("mimecast_at_campaign", HMAC_ACCOUNT, {"page_size": "500"}),
    DemoInput("mimecast_at_phishing", OAUTH2_ACCOUNT, {"page_size": "500"}),
    DemoInput("mimecast_at_training", HMAC_ACCOUNT, {"max_users_per_run": "25"}),
)


class DemoError(Exception):
    """A step of the demo failed; the message says which and what it printed."""


@dataclass
class DemoResult:
    """What the demo found and wrote, for printing and for tests."""

    events_by_sourcetype: Counter[str] = field(default_factory=Counter)
    grades: Counter[str] = field(default_factory=Counter)
    watchlisted: list[dict[str, str]] = field(default_factory=list)
    enriched: list[dict[str, Any]] = field(default_factory=list)
    files: list[tuple[Path, str]] = field(default_factory=list)
    acted: list[str] = field(default_factory=list)
    contained: list[dict[str, Any]] = field(default_factory=list)
    members_before_sweep: int = 0
    swept: list[str] = field(default_factory=list)
    group_members: list[str] = field(default_factory=list)
    package: Path | None = None
    grade_changes: list[dict[str, Any]] = field(default_factory=list)
    api_requests: int = 0
    seconds: float = 0.0


def run(users: int, seed: int, out_dir: Path, sample_size: int, say: Say) -> DemoResult:
    """Run every input, build the risk table, enrich a sample of security events and act on the riskiest
    clickers; write the files and return what was found."""
    # The simulator is not packaged into the Splunk app, so only the demo itself imports it.

    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    result = DemoResult()
    say(f"Starting a simulated Mimecast tenant with {users:,} users and a splunkd stand-in on 127.0.0.1")
    with contextlib.ExitStack() as stack:
        tenant = stack.enter_context(SimulatedTenant(users=users, seed=seed))
        splunkd = stack.enter_context(SplunkdStandIn())
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mimecast-demo-")))
        configure(splunkd, tenant)
        _pull(tenant, splunkd, checkpoints=work / "checkpoints", out_dir=out_dir, result=result, say=say)
        table = splunkd.collection(risk.COLLECTION)
        say(f"Risk table: {words.counted(len(table), 'user')} in the KV store collection {risk.COLLECTION}")
        _tabulate(table, out_dir, result)
        _enrich_and_act(
            table, splunkd, sample_size=sample_size, seed=seed, dispatch=work / "dispatch", out_dir=out_dir,
            result=result, say=say,
        )  # fmt: skip
        result.members_before_sweep = len(tenant.group_members(GROUP))
        _expire(tenant, splunkd, work / "dispatch", result, say)
        result.group_members = sorted(tenant.group_members(GROUP))
        _grade_changes(
            tenant, splunkd, checkpoints=work / "checkpoints", out_dir=out_dir, result=result, say=say
        )
        result.api_requests = len(tenant.requests)
    result.package = newest_package(Path("dist"))
    result.seconds = time.monotonic() - started
    return result


def _pull(
    tenant: Any, splunkd: Any, *, checkpoints: Path, out_dir: Path, result: DemoResult, say: Say
) -> None:
    events_path = out_dir / "events.jsonl"
    with events_path.open("w", encoding="utf-8") as sink:
        for number, spec in enumerate(INPUTS, start=1):
            say(f"[{number}/{len(INPUTS)}] {spec.kind} ({_auth_label(spec.account)}: {spec.account})")
            before = len(tenant.requests)
            with _PageTicker(tenant, before, say):
                done = run_input(spec, splunkd, checkpoints)
            counted = write_events(done.events, sink, result.events_by_sourcetype)
            say(f"      {words.counted(counted, 'event')} from {_pages_text(tenant.requests[before:])}")
            for line in _log_summary(done.stderr):
                say(f"      input log: {line}")
    result.files.append((events_path, "every event, as JSON lines (sourcetype, time, index, event)"))


def _tabulate(table: list[dict[str, Any]], out_dir: Path, result: DemoResult) -> None:
    table_path = out_dir / "risk_table.csv"
    write_risk_table(table, table_path)
    result.files.append((table_path, "the risk table, the CSV twin of the KV store collection"))
    result.grades = Counter(row.get("safe_grade") or "none" for row in table)
    result.watchlisted = top_watchlisted(table, 10)


def _enrich_and_act(
    table: list[dict[str, Any]], splunkd: Any, *, sample_size: int, seed: int, dispatch: Path, out_dir: Path,
    result: DemoResult, say: Say,
) -> None:  # fmt: skip
    samples = sample_security_events(table, sample_size, seed, time.time())
    samples_path = out_dir / "security_events.jsonl"
    _write_jsonl(samples, samples_path)
    result.files.append((samples_path, "the generated proxy and email-click events"))
    say(
        f"Enriching {len(samples):,} generated proxy and email-click events: ... | mimecastrisk "
        "(no option: DOMAIN\\user and bare users found by their local part; the table read from the KV "
        "store, as on a search head)"
    )
    result.enriched = enrich(samples, splunkd)
    enriched_path = out_dir / "enriched_events.jsonl"
    _write_jsonl(result.enriched, enriched_path)
    result.files.append((enriched_path, "the same events after | mimecastrisk"))
    clickers = riskiest_clickers(result.enriched, ACT_ON)
    say(
        f"Alert action 'Add to Mimecast group' ({GROUP}) for the {len(clickers)} riskiest clickers, "
        "as the alert template 'Risky user clicked a link' would trigger it: a dry run, then for real, "
        f"time-boxed to {CONTAIN_DAYS} days"
    )
    for number, dry_run in enumerate(("1", "0"), start=1):
        configuration = {
            "email_field": "mimecast_identity",
            "dry_run": dry_run,
            "for_days": str(CONTAIN_DAYS),
        }
        result.acted += run_action(
            "mimecast_add_to_group",
            clickers,
            splunkd,
            dispatch / _scheduled_run(ALERT_SEARCH, number),
            configuration,
        )
    result.contained = splunkd.collection(CONTAINMENT)


def _expire(tenant: Any, splunkd: Any, dispatch: Path, result: DemoResult, say: Say) -> None:
    """Move Mimecast's clock past the containment (its answers' Date, which times containments), then run
    the scheduled sweep as splunkd would: it removes everyone whose time is up."""
    say(f"Moving the clock {CLOCK_MOVE_DAYS} days on, then the scheduled search '{SWEEP_SEARCH}' runs")
    tenant.date_offset = CLOCK_MOVE_DAYS * 86400
    result.swept = run_action(
        "mimecast_containment_sweep",
        [],
        splunkd,
        dispatch / _scheduled_run(SWEEP_SEARCH, 3),
        {},
        search_name=SWEEP_SEARCH,
    )


def _grade_changes(
    tenant: Any, splunkd: Any, *, checkpoints: Path, out_dir: Path, result: DemoResult, say: Say
) -> None:
    """Some users' grades change in the tenant; the SAFE score input's next pull writes the change events,
    and the risk the ES detection on a grade drop would raise for each is read from the risk policy."""
    spec = next(spec for spec in INPUTS if spec.kind == "mimecast_at_safe_score")
    tenant.advance(changed=max(10, tenant.user_count // 10))
    say(f"Some users' SAFE grades change in the tenant; {spec.kind} pulls again")
    done = run_input(spec, splunkd, checkpoints)
    path = out_dir / "risk_changes.jsonl"
    with path.open("w", encoding="utf-8") as sink:
        write_events(
            (e for e in done.events if e.sourcetype == RISK_CHANGE), sink, result.events_by_sourcetype
        )
    result.files.append((path, f"the second pull's {RISK_CHANGE} events"))
    result.grade_changes = [json.loads(e.data) for e in done.events if e.sourcetype == RISK_CHANGE]
    policy = shipped()
    drops = [c for c in result.grade_changes if 0 < policy.rank(c["old_grade"]) < policy.rank(c["new_grade"])]
    say(
        f"      {words.counted(len(result.grade_changes), RISK_CHANGE + ' event')}, "
        f"{len(drops)} of them grade drops"
    )
    for change in drops[:SHOWN_DROPS]:
        score = policy.rule(change["new_grade"], change["new_watchlist"] == "true").change_risk_score
        say(
            f"      {change['user']:<36} {change['old_grade']} -> {change['new_grade']}: "
            f"'{GRADE_DROP}' would raise user risk by {score}"
        )


def _scheduled_run(search_name: str, number: int) -> str:
    """The dispatch folder of a scheduled search's run, named as Splunk's scheduler names them (the sid is
    `scheduler__<owner>__<app>__` and this: a hash of the search, the time, the run): the demo's runs read
    like real ones, in their order."""
    digest = hashlib.blake2b(search_name.encode("utf-8"), digest_size=8).hexdigest()
    return f"RMD5{digest}_at_{int(time.time())}_{number}"


def configure(splunkd: Any, tenant: Any) -> None:
    """Save the two demo accounts and the settings as the Configuration page would (secrets encrypted)."""

    modinput.add_account(splunkd, OAUTH2_ACCOUNT, tenant, auth="oauth2")
    modinput.add_account(splunkd, HMAC_ACCOUNT, tenant, auth="hmac")
    splunkd.set_conf(SETTINGS_CONF, "proxy", {"proxy_enabled": "0"})
    splunkd.set_conf(SETTINGS_CONF, "logging", {"loglevel": "INFO"})
    splunkd.create_collection(risk.COLLECTION)
    splunkd.create_collection(CONTAINMENT)
    splunkd.create_collection(LEASES)
    splunkd.create_collection(LEDGER)


def run_input(spec: DemoInput, splunkd: Any, checkpoint_dir: Path) -> Any:
    """One run of the input's bin/ script, started as splunkd starts it; a failed run stops the demo."""

    params = {"account": spec.account, "interval": "3600", "index": INDEX, **spec.params}
    definition = modinput.input_definition(
        spec.name,
        params,
        server_uri=splunkd.uri,
        session_key=splunkd.session_key,
        checkpoint_dir=str(checkpoint_dir),
    )
    done = modinput.run(modinput.script_path(spec.kind), definition)
    if done.returncode != 0:
        raise DemoError(f"{spec.kind} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return done


def write_events(events: Iterable[Any], sink: Any, counts: Counter[str]) -> int:
    """Append events as JSON lines (sourcetype, time, source, event) and count them per sourcetype."""
    written = 0
    for event in events:
        line = {
            "time": event.time,
            "sourcetype": event.sourcetype,
            "source": event.source,
            "index": event.index,
            "event": json.loads(event.data),
        }
        sink.write(json.dumps(line, sort_keys=True) + "\n")
        counts[event.sourcetype] += 1
        written += 1
    return written


def write_risk_table(rows: list[dict[str, Any]], path: Path) -> None:
    """The CSV twin of the KV store collection: the same columns, for lookup=."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=risk.FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({name: "" if row.get(name) is None else row[name] for name in risk.FIELDS})


def top_watchlisted(rows: list[dict[str, Any]], count: int) -> list[dict[str, str]]:
    """Watch-listed users, most watch-list entries and worst grade first."""
    listed = [row for row in rows if str(row.get("watchlist")).lower() == "true"]
    listed.sort(
        key=lambda row: (
            -_int(row.get("watchlist_count")),
            -shipped().rank(row.get("safe_grade")),
            row.get("email") or "",
        )
    )
    return listed[:count]


def sample_security_events(
    table: list[dict[str, Any]], count: int, seed: int, now: float
) -> list[dict[str, Any]]:
    """Proxy and email-click events naming users the way real sources do: DOMAIN\\user, user@domain, bare
    user, mixed case, plus a few users Mimecast does not know. Risky users are over-sampled so that the
    enriched sample shows what the alert templates act on."""
    rng = random.Random(seed)
    risky = [row for row in table if _risky(row)]
    others = [row for row in table if not _risky(row)]
    risky_share = (1 + len(risky) / len(table)) / 2 if table else 0.0
    events = []
    for number in range(count):
        at = now - (count - number) * 7.0
        pool = risky if risky and rng.random() < risky_share else others or risky
        row = rng.choice(pool) if pool and rng.random() < 0.92 else None
        email = row["email"] if row else f"contractor{rng.randrange(1000)}@partner.example"
        local = email.split("@")[0]
        url = rng.choice(_URLS)
        if number % 2:
            user = rng.choice([f"CORP\\{local}", email, local, email.upper()]) if row else email
            events.append(
                {
                    "_time": round(at, 3),
                    "sourcetype": "demo:proxy",
                    "user": user,
                    "url": url,
                    "action": "allowed",
                    "src": f"10.20.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                    "_raw": f"{_iso(at)} proxy user={user} url={url}",
                }
            )
        else:
            recipient = email if rng.random() < 0.5 else email.title()
            events.append(
                {
                    "_time": round(at, 3),
                    "sourcetype": "demo:email_click",
                    "recipient": recipient,
                    "url": url,
                    "action": "clicked",
                    "_raw": f"{_iso(at)} click recipient={recipient} url={url}",
                }
            )
    return events


def enrich(events: list[dict[str, Any]], splunkd: Any) -> list[dict[str, Any]]:
    """Run `| mimecastrisk` over the events as splunkd runs it: bin/mimecastrisk.py speaking the chunked
    protocol, the events in chunks, the risk table read from splunkd's KV store."""

    exchange = chunked.getinfo([], splunkd_uri=splunkd.uri, session_key=splunkd.session_key, app=APP_ID)
    for start in range(0, len(events), CHUNK_SIZE):
        part = events[start : start + CHUNK_SIZE]
        exchange += chunked.execute(part, finished=start + CHUNK_SIZE >= len(events))
    env = {key: value for key, value in os.environ.items() if key != "SPLUNK_HOME"}
    done = chunked.run([sys.executable, str(BIN / "mimecastrisk.py")], exchange, env=env)
    if done.returncode != 0:
        raise DemoError(f"mimecastrisk failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return [
        {key: value for key, value in record.items() if value not in (None, "")} for record in done.records
    ]


def riskiest_clickers(enriched: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """What the alert template keeps (grade D/F or watch-listed users, their clicks counted per user), the
    most clicks first: the results an alert would hand to the action."""
    clicks: Counter[str] = Counter()
    for event in enriched:
        if _risky_profile(event.get("mimecast_safe_grade"), event.get("mimecast_watchlist")):
            clicks[event["mimecast_identity"]] += 1
    return [{"mimecast_identity": user, "clicks": str(n)} for user, n in clicks.most_common(count)]


def run_action(
    action: str,
    results: list[dict[str, Any]],
    splunkd: Any,
    dispatch: Path,
    configuration: dict[str, str],
    *,
    search_name: str = ALERT_SEARCH,
) -> list[str]:
    """Run an alert action as splunkd does (`--execute`, the JSON payload on stdin, the results as a gzipped
    CSV); return its per-user log lines."""
    dispatch.mkdir(parents=True)
    results_file = dispatch / "results.csv.gz"
    with gzip.open(results_file, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["mimecast_identity", "clicks"])
        writer.writeheader()
        writer.writerows(results)
    payload = {
        "app": APP_ID, "owner": "admin", "search_name": search_name,
        "sid": f"scheduler__admin__{APP_ID}__{dispatch.name}", "results_file": str(results_file),
        "server_uri": splunkd.uri, "session_key": splunkd.session_key,
        "configuration": {"account": OAUTH2_ACCOUNT, "group": GROUP, "max_users": "25", **configuration},
    }  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key != "SPLUNK_HOME"}
    done = subprocess.run(  # noqa: S603 - our own script, no shell
        [sys.executable, str(BIN / f"{action}.py"), "--execute"],
        input=json.dumps(payload), capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise DemoError(f"{action} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    lines = done.stderr.splitlines()
    return [
        line[line.index("outcome=") :] for line in lines if " outcome=" in line and "mc_summary=" not in line
    ]


def newest_package(dist: Path) -> Path | None:
    packages = sorted(dist.glob("*.tgz"), key=lambda path: path.stat().st_mtime)
    return packages[-1] if packages else None


def report(result: DemoResult, say: Say) -> None:
    """Print what a SOC would want to see first."""
    say("")
    say("Events per sourcetype")
    for sourcetype, count in sorted(result.events_by_sourcetype.items()):
        say(f"  {sourcetype:<42} {count:>8,}")
    say(f"  {'total':<42} {sum(result.events_by_sourcetype.values()):>8,}")
    say("")
    say("SAFE grade distribution (risk table)")
    total = sum(result.grades.values()) or 1
    named = shipped().grades()
    for grade in (*named, *sorted(set(result.grades) - {*named, "none"}), "none"):
        count = result.grades.get(grade, 0)
        if count or grade != "none":
            say(f"  {grade:<5} {count:>6,}  {'#' * round(40 * count / total)}")
    say("")
    say("Top watch-listed users")
    for row in result.watchlisted:
        grade = row.get("safe_grade") or "-"
        say(
            f"  {row.get('email', ''):<40} grade {grade:<2} watch list {row.get('watchlist_count')}"
            f"  {row.get('department') or ''}"
        )
    say("")
    say("Ten enriched events (| mimecastrisk)")
    for event in _showcase(result.enriched, 10):
        who = event.get("user") or event.get("recipient")
        say(
            f"  {event['sourcetype']:<16} {who:<36} -> {event.get('mimecast_identity') or '-':<34} "
            f"grade {event.get('mimecast_safe_grade')}  watch list {event.get('mimecast_watchlist')}  "
            f"priority {event.get('mimecast_priority')}  match {event.get('mimecast_match')}"
        )
    say("")
    say(f"Alert action: Add to Mimecast group {GROUP}")
    for line in result.acted:
        say(f"  {line}")
    say(f"  members of {GROUP} in the simulated tenant: {result.members_before_sweep}")
    for record in result.contained:
        say(
            f"  contained: {record['user']:<36} for {CONTAIN_DAYS} days: added {_when(record['added_at'])}, "
            f"due {_when(record['expires_at'])} (KV store collection {CONTAINMENT})"
        )
    say("")
    say(f"Containment sweep, {CLOCK_MOVE_DAYS} days later ({SWEEP_SEARCH})")
    if result.contained:
        now = _when(time.time() + CLOCK_MOVE_DAYS * 86400)
        due = _when(result.contained[0]["expires_at"])
        say(
            f"  The demo does not wait {CLOCK_MOVE_DAYS} days: it moves the simulated tenant's clock "
            f"(the Date of its answers, which times containments) {CLOCK_MOVE_DAYS} days on, so the sweep "
            f"runs at Mimecast's time {now}, past the due time {due}."
        )
    for line in result.swept:
        say(f"  {line}")
    say(f"  members of {GROUP} in the simulated tenant now: {len(result.group_members)}")
    say("")
    say(
        f"{words.counted(result.api_requests, 'request')} to the simulated Mimecast API (token requests "
        f"included), {result.seconds:.1f} s in all"
    )
    say("Files written:")
    width = max((len(str(path)) for path, _ in result.files), default=0)
    for path, what in result.files:
        say(f"  {path!s:<{width}}   {what}")
    say(f"Package: {result.package}" if result.package else "Package: none built yet (make package)")


def _showcase(enriched: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """A mix: mostly grade D/F or watch-listed matches, and at least one unknown user."""
    risky = [e for e in enriched if _risky_profile(e.get("mimecast_safe_grade"), e.get("mimecast_watchlist"))]
    unknown = [e for e in enriched if e.get("mimecast_safe_grade") == "unknown"]
    rest = [e for e in enriched if e not in risky and e not in unknown]
    chosen = risky[: count - 3] + rest[:2] + unknown[:1]
    return chosen + [e for e in enriched if e not in chosen][: count - len(chosen)]


def _risky(row: dict[str, Any]) -> bool:
    return _risky_profile(row.get("safe_grade"), row.get("watchlist"))


def _risky_profile(grade: object, listed: object) -> bool:
    """Who the risk policy counts as risky (as shipped: grade D or F, or watch-listed), as the searches do."""
    return shipped().rule(str(grade or ""), watchlisted(listed)).risky


def _write_jsonl(rows: Iterable[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True) + "\n")


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


def _auth_label(account: str) -> str:
    return "OAuth 2.0" if account == OAUTH2_ACCOUNT else "API 1.0 HMAC"


def _log_summary(stderr: str) -> list[str]:
    """The input's run summary (it logs to stderr outside Splunk), from its outcome on, and the line that
    says why a partial run is partial."""
    summaries = [
        line[line.index("outcome=") :] for line in stderr.splitlines() if "mc_summary=input " in line
    ]
    reasons = [line.split(": partial: ", 1)[1] for line in stderr.splitlines() if ": partial: " in line]
    return summaries + [f"partial: {reason}" for reason in reasons]


def _pages_text(requests: list[Any]) -> str:
    """`2 pages of company/get-safe-score-details, ...`: the API calls one input made, by endpoint."""
    pages = Counter(r.path.replace(API_PREFIX, "") for r in _api_calls(requests))
    if not pages:
        return "no API call"
    return ", ".join(f"{words.counted(count, 'page')} of {path}" for path, count in sorted(pages.items()))


def _api_calls(requests: list[Any]) -> list[Any]:
    """The data calls among the served requests: token requests (/oauth/token) fetch no page."""
    return [served for served in requests if served.path.startswith("/api/")]


class _PageTicker:
    """Prints, about once a second while an input runs, how many pages it has pulled so far."""

    def __init__(self, tenant: Any, start: int, say: Say) -> None:
        self._tenant, self._start, self._say = tenant, start, say
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def __enter__(self) -> _PageTicker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tick(self) -> None:
        shown = 0
        while not self._stop.wait(1.0):
            pulled = len(_api_calls(self._tenant.requests[self._start :]))
            if pulled != shown:
                self._say(f"      ... {words.counted(pulled, 'page')} pulled so far")
                shown = pulled


_URLS = (
    "http://login-micros0ft.example/verify",
    "https://payroll-update.example/form",
    "https://docs.example.com/q3-report",
    "https://intranet.example.com/news",
    "http://parcel-redelivery.example/track",
    "https://www.example.org/",
)


def iter_events(path: Path) -> Iterator[dict[str, Any]]:
    """Read back events.jsonl (used by the test and by anyone loading the demo's output)."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)
