"""Running a modular alert action as splunkd does: `bin/<action>.py --execute` with the JSON payload on stdin
(server_uri, session_key, configuration, results_file: a gzipped CSV of the results, sid, search_name...).

Three actions share this runner: add, remove, and the containment sweep (`mode` "sweep": scheduled by the
saved search "Mimecast Awareness - Containment sweep", and run by hand with `revert_sid` to revert a run).
Outcomes go to `ta_mimecast_awareness_<action>_modalert.log`, one line per user, and one summary line per
run; every change made in Mimecast is also an audit event (splunk_app.splunk.audit).

Where Splunk_SA_CIM (which Enterprise Security ships) is installed, its `cim_actions.ModularAction` writes
those lines in the adaptive-response format (`sendmodaction - ... action_status=...`), which ES reads from
the cim_modactions index to show each response's status in Incident Review."""

from __future__ import annotations

import csv
import gzip
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from splunk_app import actions, containment
from splunk_app.mimecast import Client, MimecastError
from splunk_app.mimecast.retry import RetryPolicy
from splunk_app.mimecast.transport import Limits
from splunk_app.risk.identity import Aliases
from splunk_app.risk.policy import PolicyError
from splunk_app.risk.prepared import cache_folder
from splunk_app.risk.table import COLLECTION as RISK_TABLE
from splunk_app.risk.table import RiskTable
from splunk_app.splunk import containment_key, lease, logs, settings
from splunk_app.splunk.admin_tables import load_aliases, load_policy
from splunk_app.splunk.audit import AuditSpool
from splunk_app.splunk.containment_store import KVContainmentStore, KVLedger
from splunk_app.splunk.risk_store import read_table
from splunk_app.splunk.service import WRITE_CAPABILITIES, SplunkdError, caller_capabilities, connect, get_json

SIGNATURES = {
    "added": "Added {email} to Mimecast group {group}",
    "already_member": "{email} was already in Mimecast group {group}",
    "removed": "Removed {email} from Mimecast group {group}",
    "not_member": "{email} was not in Mimecast group {group}",
    "would_add": "Dry run: would add {email} to Mimecast group {group} {detail}",
    "would_remove": "Dry run: would remove {email} from Mimecast group {group} {detail}",
    "expired": "Containment over: removed {email} from Mimecast group {group} ({detail})",
    "reverted": "Reverted: removed {email} from Mimecast group {group} ({detail})",
    "released": "Containment over: {email} stays in Mimecast group {group}, {detail}",
    "would_adopt": "Would adopt the 1.0.0 containment of {email} in Mimecast group {group}: {detail}",
    "adopted": "Adopted the 1.0.0 containment of {email} in Mimecast group {group}: {detail}",
    "skipped": "Did not act on {email}: {detail}",
    "failed": "Could not act on {email} in Mimecast group {group}: {detail}",
    "error": "{detail}",
    "warning": "{detail}",
}
SWEEP_SEARCH = "Mimecast Awareness - Containment sweep"
_CSV_FIELD_LIMIT = 64 * 1024 * 1024
_ORIGIN = ("orig_sid", "orig_rid")
# splunkd stops an alert action after alert_actions.conf maxtime (5 minutes by default), and the alert fires
# again on its next run: retry briefly rather than spend that time on a gateway that is down.
RETRIES = RetryPolicy(max_retries=2, max_elapsed=60.0)
# One answer may take at most half the time a lease lasts without a beat: the run beats before each request
# and during each wait (Client.beating), never during one request.
ACTION_LIMITS = Limits(request_seconds=lease.STALE / 2)


class ResultsError(Exception):
    """The results file splunkd named cannot be read."""


def main(action: str, mode: str, argv: list[str], stdin: TextIO) -> int:
    """Exit status for splunkd: 0 every user handled as asked, 1 some users not, 2 nothing was done."""
    if argv[1:2] != ["--execute"]:
        print(
            f"{action}: splunkd runs this alert action with --execute and its payload on stdin",
            file=sys.stderr,
        )
        return 2
    logger = logs.get_logger(f"{action}_modalert")
    try:
        payload = json.load(stdin)
    except ValueError as err:
        logger.error(
            "action=%s the payload on stdin is not JSON (%s): nothing done", action, logs.prose(str(err))
        )
        return 2
    if not isinstance(payload, dict):
        logger.error("action=%s the payload on stdin is not a JSON object: nothing done", action)
        return 2
    logs.hide(payload.get("session_key"))
    report = Report(action, payload, logger, _cim_actions(logger))
    started = time.monotonic()
    configuration = payload.get("configuration") or {}
    try:
        service = connect(str(payload.get("server_uri", "")), str(payload.get("session_key", "")))
        logs.set_level(logger, settings.load_log_level(service))
        aliases = load_aliases(service, _app_root(argv), lambda words: logger.warning("%s", words))
        context = _context(service, action, payload, aliases)
        if mode == "sweep":
            revert = str(configuration.get("revert_sid") or "").strip()
            most = actions.parse_max_users(configuration.get("max_users"), actions.DEFAULT_SWEEP_USERS)
            adopt = str(configuration.get("adopt_unsigned") or "").strip()
            if adopt and _may_adopt(service, payload, report):
                outcomes = actions.adopt_unsigned(context, adopt, most)
            else:
                outcomes = actions.sweep(context, revert, most)
            group = ""
        else:
            params = actions.parse_params(configuration, mode)
            group = params.group
            results = report.remember(read_results(payload.get("results_file")))
            outcomes = actions.run(mode, params, results, context)
        for outcome in outcomes:
            report.outcome(outcome, group)
    except (actions.ActionError, ResultsError, SplunkdError, MimecastError, settings.SettingsError) as err:
        report.problem(f"{err}", type(err).__name__)
        return report.finish(started, 2)
    except Exception as err:
        logger.debug("unexpected failure", exc_info=True)
        report.problem(
            f"unexpected {type(err).__name__}: {err} (set the Logging level to DEBUG for details)",
            type(err).__name__,
        )
        return report.finish(started, 2)
    return report.finish(started, 0 if report.all_ok else 1)


def _app_root(argv: list[str]) -> Path:
    """The installed app's folder: the bin/ script splunkd ran is in its bin/."""
    return Path(os.path.abspath(argv[0])).parent.parent


def _context(service: Any, action: str, payload: dict[str, Any], aliases: Aliases) -> actions.Context:
    home = os.environ.get("SPLUNK_HOME") or ""
    # An ad hoc run (from Incident Review, or `| sendalert`) has no saved search: say who ran it.
    run = containment.Run(
        action,
        str(payload.get("search_name") or "ad hoc run"),
        str(payload.get("sid") or ""),
        str((payload.get("configuration") or {}).get("account") or ""),
        str(payload.get("owner") or ""),
    )
    keys: list[bytes] = []

    def record_key() -> bytes:
        if not keys:
            keys.append(containment_key.record_key(service))
        return keys[0]

    return actions.Context(
        client_for=lambda account: _client(service, account),
        resolve=_resolver(service, aliases),
        run=run,
        store=KVContainmentStore(service),
        audit=AuditSpool(home) if home else (lambda event: None),
        cache=_group_cache(),
        record_key=record_key,
        lease=lease.Leases(service).hold,
        groups_allowed=lambda account: settings.load_account(service, account).groups_allowed,
        sweep_scheduled=lambda: _sweep_scheduled(service),
        ledger=KVLedger(service),
    )


def _may_adopt(service: Any, payload: dict[str, Any], report: Report) -> bool:
    """Adopting records that predate signing is an administrator's own run (`| sendalert`, no saved
    search). A saved or scheduled run (the sweep's runs with the system's rights) never adopts: it says so
    and sweeps as usual, so that the parameter left on the sweep cannot stop every containment ending."""
    if payload.get("search_name") or str(payload.get("sid") or "").startswith("scheduler_"):
        words = (
            "adopt_unsigned is ignored in a saved or scheduled search, which adopts none: this run sweeps. "
            "An administrator adopts by hand: | makeresults | sendalert mimecast_containment_sweep "
            f"param.adopt_unsigned={actions.ADOPT_LIST}"
        )
        report.outcome(actions.Outcome("", None, "warning", words), "")
        return False
    if not caller_capabilities(service) & WRITE_CAPABILITIES:
        raise actions.ActionError(
            "adopt_unsigned needs an administrator of the add-on (the capability "
            f"{' or '.join(sorted(WRITE_CAPABILITIES))}): adopted none"
        )
    return True


def _sweep_scheduled(service: Any) -> bool | None:
    """Whether the shipped sweep search is enabled and scheduled here (None when that cannot be read)."""
    try:
        # splunklib encodes the path itself (the name has spaces only)
        answer = get_json(service, f"configs/conf-savedsearches/{SWEEP_SEARCH}", "read the sweep's schedule")
    except SplunkdError:
        return None
    entries = answer.get("entry") if isinstance(answer, dict) else None
    content = (entries[0].get("content") or {}) if entries else {}
    enabled = str(content.get("disabled", "0")).lower() not in ("1", "true")
    return enabled and str(content.get("enableSched", content.get("is_scheduled", "0"))).lower() in (
        "1",
        "true",
    )


def _resolver(service: Any, aliases: Aliases) -> Any:
    """identity -> the risk table's email, or None, by the rule `mimecastrisk` uses (the same aliases);
    the table is opened once, and only when asked: looked up in the prepared form the searches share."""
    found: list[RiskTable] = []

    def resolve(identity: str) -> str | None:
        if not found:
            found.append(_risk_table(service, aliases))
        return found[0].resolve(identity).email

    return resolve


def _risk_table(service: Any, aliases: Aliases) -> RiskTable:
    """The risk table as `mimecastrisk` reads it: its prepared form, stamped with the policy the searches
    follow (a policy they refuse leaves it to them: the table is then read whole, as resolving needs none)."""
    cache = cache_folder(os.environ.get("SPLUNK_HOME"))
    try:
        load_policy(service)
    except PolicyError:
        cache = None
    table = read_table(service, aliases, cache=cache)
    if not len(table):
        raise actions.ActionError(
            f"the risk table ({RISK_TABLE}) is empty, and the actions act only on its users: acted "
            "on none. Run the SAFE score input, or enable 'Mimecast Awareness - Rebuild risk table "
            "from events' where the inputs run on a heavy forwarder"
        )
    table.reload = lambda: read_table(service, aliases)  # should its prepared form turn out damaged
    return table


def read_results(path: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """(rid, row) for each result of the gzipped CSV splunkd wrote; rid is the result's position, as
    adaptive-response actions number results."""
    if not path or not os.path.isfile(str(path)):
        raise ResultsError(f"the results file {path!r} does not exist: nothing done")
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        with gzip.open(str(path), "rt", encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle)):
                yield str(row.get("rid") or number), row
    except (OSError, EOFError, csv.Error, UnicodeDecodeError) as err:
        raise ResultsError(f"the results file {path!r} is not a gzipped CSV ({err}): nothing done") from err


class Report:
    """One log line per outcome; through cim_actions (adaptive-response format) when ES's CIM app is here."""

    def __init__(
        self, action: str, payload: dict[str, Any], logger: logging.Logger, cim: ModuleType | None
    ) -> None:
        self.action = action
        self.logger = logger
        self.all_ok = True
        self.counts: Counter[str] = Counter()
        self._search = str(payload.get("search_name") or "")
        self._sid = str(payload.get("sid") or "")
        self._error_class = ""
        self._origins: dict[str, dict[str, str]] = {}
        self._modaction = cim.ModularAction(json.dumps(payload), logger, action) if cim else None

    def remember(self, results: Iterator[tuple[str, dict[str, str]]]) -> Iterator[tuple[str, dict[str, str]]]:
        """Passes the results on, keeping of each the notable event it comes from (`orig_sid`, `orig_rid`:
        set when ES runs the action from Incident Review), so that ES links each outcome to that event."""
        for rid, row in results:
            origin = {key: row[key] for key in _ORIGIN if row.get(key)}
            if origin:
                self._origins[rid] = origin
            yield rid, row

    def outcome(self, outcome: actions.Outcome, group: str) -> None:
        self.all_ok = self.all_ok and outcome.ok
        self.counts[outcome.outcome] += 1
        group = outcome.group or group
        detail = logs.prose(outcome.detail)
        words = SIGNATURES[outcome.outcome].format(
            email=logs.escaped(outcome.email), group=logs.escaped(group), detail=detail
        )
        if outcome.detail and outcome.outcome in ("added", "already_member", "removed", "not_member"):
            words = f"{words} ({detail})"
        signature = words.strip() if outcome.email else detail
        level = {
            "failed": logging.WARNING if outcome.noted else logging.ERROR,
            "error": logging.ERROR,
            "skipped": logging.WARNING,
            "warning": logging.WARNING,
        }.get(outcome.outcome, logging.INFO)
        if self._modaction is not None:
            self._modaction.update({"rid": outcome.rid, **self._origins.get(outcome.rid, {})})
            self._modaction.message(
                signature,
                status="success" if outcome.ok else "failure",
                level=level,
                mc_user=outcome.email or "",
                mc_group=group,
                outcome=outcome.outcome,
            )
            return
        fields = logs.pairs(
            search_name=self._search,
            sid=self._sid,
            rid=outcome.rid,
            mc_user=outcome.email or "",
            mc_group=group,
        )
        self.logger.log(
            level, "action=%s %s outcome=%s | %s", self.action, fields, outcome.outcome, signature
        )

    def finish(self, started: float, status: int) -> int:
        """The run's summary line (for the health dashboard); returns the exit status."""
        kind = "sweep" if self.action.endswith("_sweep") else "action"
        outcome = {0: "ok", 1: "partial"}.get(status, "failed")
        self.logger.info(
            "%s",
            logs.summary_line(
                kind,
                action=self.action,
                search_name=self._search,
                sid=self._sid,
                outcome=outcome,
                users=sum(n for key, n in self.counts.items() if key not in ("skipped", "error", "warning")),
                **{key: self.counts[key] for key in sorted(self.counts)},
                duration=round(time.monotonic() - started, 3),
                **({"error_class": self._error_class} if self._error_class else {}),
            ),
        )
        return status

    def problem(self, text: str, error_class: str = "") -> None:
        """A failure of the whole run."""
        self._error_class = error_class
        self.all_ok = False
        if self._modaction is not None:
            self._modaction.message(text, status="failure", level=logging.ERROR)
            return
        fields = logs.pairs(search_name=self._search, sid=self._sid)
        self.logger.error("action=%s %s outcome=failed | %s", self.action, fields, logs.prose(text))


def _client(service: Any, account_name: str) -> Client:
    account = settings.load_account(service, account_name)
    return Client(
        account.base_url,
        account.credentials,
        proxy=settings.load_proxy(service),
        retry=RETRIES,
        ca_bundle=settings.load_ca_bundle(service),
        account_code=account.account_code,
        limits=ACTION_LIMITS,
    )


def _group_cache() -> actions.GroupCache | None:
    home = os.environ.get("SPLUNK_HOME")
    if not home:
        return None
    return actions.GroupCache(
        os.path.join(home, "var", "run", "splunk", "ta_mimecast_awareness", "groups.sqlite")
    )


def _cim_actions(logger: logging.Logger) -> ModuleType | None:
    """Splunk_SA_CIM's cim_actions module when that app is installed (it is wherever ES is), else None."""
    home = os.environ.get("SPLUNK_HOME")
    lib = os.path.join(home or "", "etc", "apps", "Splunk_SA_CIM", "lib")
    if not home or not os.path.isfile(os.path.join(lib, "cim_actions.py")):
        return None
    if lib not in sys.path:
        sys.path.append(lib)
    try:
        import cim_actions  # noqa: PLC0415 - exists only where Splunk_SA_CIM is installed
    except Exception as err:
        logger.warning("Splunk_SA_CIM's cim_actions did not load (%s): reporting to this log only", err)
        return None
    return cim_actions
