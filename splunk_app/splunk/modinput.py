"""The modular input runner: splunklib's Script around the one runner, one scheme per data set.

splunkd starts `bin/mimecast_at_<data set>.py` with `--scheme`, with `--validate-arguments`, or with the
input definition on stdin; this module answers each. Every run of a stanza ends with one structured summary
line (`mc_summary=input ...`, read by the health dashboard); a failure adds one line that names the input,
the account, what failed and what to do, leaves the checkpoint as the last committed page left it, and the
input simply runs again at its next interval.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from splunklib.modularinput import (
    Argument,
    Event,
    EventWriter,
    InputDefinition,
    Scheme,
    Script,
    ValidationDefinition,
)

from splunk_app.inputs import events as ev
from splunk_app.inputs import runner
from splunk_app.inputs.catalogue import CATALOGUE
from splunk_app.inputs.dataset import PER_USER, DataSet
from splunk_app.inputs.settings import SPLUNKD_SETTINGS, InvalidSetting, interval_seconds, parse
from splunk_app.mimecast import Api1Only, Client, MimecastError, OAuth2Credentials
from splunk_app.mimecast.endpoints import ENDPOINTS
from splunk_app.mimecast.errors import api1_only
from splunk_app.risk.sync import Spool
from splunk_app.splunk import logs
from splunk_app.splunk.admin_tables import follow_policy
from splunk_app.splunk.risk_store import KVRiskStore, kvstore_ready
from splunk_app.splunk.service import SplunkdError, connect
from splunk_app.splunk.settings import (
    SettingsError,
    load_account,
    load_ca_bundle,
    load_log_level,
    load_proxy,
)
from splunk_app.state import Checkpoint, file_stem
from splunk_app.statedb import StateError

_DATA_TYPES = {"int": Argument.data_type_number, "bool": Argument.data_type_boolean}


class OutputClosed(Exception):
    """splunkd closed the input's standard output: it is stopping, or it stopped reading."""


class XmlSink:
    """Events into splunkd's XML stream. splunklib flushes stdout after every event, so by the time a
    page is committed every one of its events has left the process."""

    def __init__(self, writer: EventWriter, stanza: str, index: str | None) -> None:
        self.writer = writer
        self.stanza = stanza
        self.index = index

    def write(self, event: ev.Event) -> None:
        try:
            self.writer.write_event(
                Event(
                    data=event.text(),
                    stanza=self.stanza,
                    time=f"{event.time:.3f}",
                    sourcetype=event.sourcetype,
                    index=self.index,
                )
            )
        except (BrokenPipeError, ConnectionResetError) as err:
            raise OutputClosed(str(err)) from err

    def flush(self) -> None:
        """Nothing left to do: every event was flushed as it was written."""


@dataclass
class Report:
    """How one stanza's run went: its outcome, and the line that explains a failure."""

    outcome: str  # success, partial, skipped or failed
    problem: str = ""
    error_class: str = "none"
    result: runner.Outcome | None = None
    requests: int = 0


# What splunkd writes on stdin: a stanza's settings (the training input's users may run to a megabyte).
MAX_DEFINITION = 8 * 2**20


class MimecastInput(Script):
    """One data set's input type. `failures` counts the stanzas that failed, for the exit status."""

    def __init__(
        self,
        data_set: DataSet,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.data_set = data_set
        self.clock = clock
        self.sleep = sleep  # the client's back-off and rate-limit waits
        self.failures = 0

    def run_script(self, args: list[str], event_writer: EventWriter, input_stream: Any) -> int:
        """splunklib's, after reading what splunkd sent on stdin ourselves: bounded in size, and a document
        that is not the XML splunkd writes ends the run with one line, not splunklib's traceback."""
        parser = {1: InputDefinition}.get(len(args)) or (
            ValidationDefinition if args[1:2] == ["--validate-arguments"] else None
        )
        if parser is None:
            return int(super().run_script(args, event_writer, input_stream))
        text = input_stream.read(MAX_DEFINITION + 1)
        try:
            if len(text) > MAX_DEFINITION:
                raise ValueError(f"it is over {MAX_DEFINITION // 2**20} MiB")
            parser.parse(io.StringIO(text))
        except Exception as err:  # ParseError, a missing element, ...: whatever splunklib's parser raises
            words = " ".join(str(err).split())[:200]
            event_writer.log(
                EventWriter.ERROR, f"the definition splunkd sent on stdin cannot be read: {words}"
            )
            return 1
        return int(super().run_script(args, event_writer, io.StringIO(text)))

    def get_scheme(self) -> Scheme:
        scheme = Scheme(self.data_set.input_type)
        scheme.description = f"Mimecast Awareness Training: {self.data_set.title}"
        scheme.use_external_validation = True
        scheme.use_single_instance = False
        for setting in self.data_set.all_settings:
            if setting.name in SPLUNKD_SETTINGS:
                continue
            scheme.add_argument(
                Argument(
                    setting.name,
                    title=setting.name,
                    description=setting.help,
                    data_type=_DATA_TYPES.get(setting.kind, Argument.data_type_string),
                    required_on_create=setting.required,
                    required_on_edit=False,
                )
            )
        return scheme

    def validate_input(self, definition: Any) -> None:
        """Raise (splunkd shows the message on the input's form) when a setting is wrong, or when the account
        is an API 2.0 application and the data set exists only in API 1.0."""
        try:
            values = parse(self.data_set.all_settings, definition.parameters)
        except InvalidSetting as err:
            raise ValueError(f"{self.data_set.title}: {err}") from err
        api1 = [ENDPOINTS[name] for name in _endpoints(self.data_set) if not ENDPOINTS[name].api2]
        if api1 and _is_oauth2(definition.metadata, values["account"]):
            raise ValueError(f"{self.data_set.title}: {api1_only(api1[0].name, api1[0].path)}")

    def stream_events(self, inputs: InputDefinition, ew: EventWriter) -> None:
        logger = logs.get_logger(self.data_set.name)
        for stanza, params in inputs.inputs.items():
            started = time.monotonic()
            report = self._run_stanza(stanza, params, inputs.metadata, ew, logger)
            if report.outcome == "failed":
                self.failures += 1
                logger.error("%s", report.problem)
                with contextlib.suppress(OSError):  # splunkd.log too, through stderr
                    ew.log(EventWriter.ERROR, logs.scrub(report.problem))
            elif report.problem:
                logger.warning("%s", report.problem)
            logger.info("%s", _summary(stanza, self.data_set, params, report, time.monotonic() - started))
            if report.error_class == "output_closed":
                # Nobody reads this stanza's events, nor the next ones'. What splunklib and Python still write
                # to stdout (the stream's end, the exit-time flush) goes nowhere instead of into a traceback.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return

    def _run_stanza(
        self, stanza: str, params: dict[str, Any], metadata: dict[str, Any], ew: EventWriter, logger: Any
    ) -> Report:
        where = f"input {stanza!r} (account {str(params.get('account') or '?')!r})"
        client: Client | None = None
        try:
            logs.hide(metadata["session_key"])
            service = connect(metadata["server_uri"], metadata["session_key"])
            logs.set_level(logger, load_log_level(service))
            values = parse(self.data_set.all_settings, params)
            account = load_account(service, values["account"])
            logs.hide(*account.credentials.secrets())
            proxy = load_proxy(service)
            if proxy is not None:
                logs.hide(proxy.password)
            client = Client(
                account.base_url,
                account.credentials,
                proxy=proxy,
                ca_bundle=load_ca_bundle(service),
                sleep=self.sleep,
                account_code=account.account_code,
            )
            full_snapshot = values["full_snapshot_hours"] * 3600.0
            with Checkpoint(
                metadata["checkpoint_dir"], stanza, full_snapshot, interval_seconds(values)
            ) as checkpoint:
                risk, users, skip = self._collaborators(
                    service,
                    values,
                    metadata["checkpoint_dir"],
                    stanza,
                    lambda text: logger.warning("%s: %s", where, text),
                )
                if skip:
                    return Report("skipped", f"{where}: {skip}.", "no_users", requests=client.requests_made)
                if risk is None and self.data_set.risk is not None:
                    logger.info("%s: risk table not synced: %s", where, _sync_words(values))
                outcome = runner.run(
                    self.data_set,
                    values,
                    client=client,
                    checkpoint=checkpoint,
                    sink=XmlSink(ew, stanza, values.get("index")),
                    snapshot=runner.new_snapshot(account.name, self.clock()),
                    risk=risk,
                    users=users,
                )
        except Exception as err:  # every failure becomes one line that says what to do; see _FAILURES
            if not isinstance(err, _EXPECTED):
                logger.debug("%s: unexpected failure", where, exc_info=True)
            return _failure(err, where, metadata.get("checkpoint_dir"), client.requests_made if client else 0)
        if outcome.partial:
            logger.info("%s: partial: %s", where, outcome.partial)
        for email in outcome.skipped:
            logger.warning(
                "%s: Mimecast does not know user %s: remove it from the input's users", where, email
            )
        return Report(
            "success" if outcome.complete else "partial", result=outcome, requests=client.requests_made
        )

    def _collaborators(
        self, service: Any, values: dict[str, Any], folder: str, stanza: str, warn: Callable[[str], None]
    ) -> tuple[runner.RiskTable | None, list[str], str]:
        """The risk table to sync (None where it is not synced), the per-user loop's users, and why the run
        cannot go on (empty when it can). Either follows the risk policy in force, the administrator's rows
        included, read once here: the priorities the sync stores and the users it trains come from it."""
        risk = None
        if self.data_set.risk is not None and _syncs(values.get("risk_table_sync"), service):
            follow_policy(service, warn)
            risk = runner.RiskTable(KVRiskStore(service), Spool(folder, file_stem(stanza) + "-risk-"))
        if self.data_set.loop != PER_USER:
            return risk, [], ""
        users = list(values.get("users") or ())
        if users:
            return risk, users, ""
        if not kvstore_ready(service):
            return (
                risk,
                [],
                "no users to pull: the input lists none, and this instance has no KV store (a heavy "
                "forwarder?) to take the watch-listed and grade D/F users from. List the users in the "
                "input's Users setting",
            )
        return risk, list(KVRiskStore(service).training_users(follow_policy(service, warn))), ""


def _syncs(mode: str | None, service: Any) -> bool:
    """on: always (a missing KV store is an error); off: never; auto: where this instance has a KV store."""
    if mode == "on":
        return True
    return mode != "off" and kvstore_ready(service)


def _sync_words(values: dict[str, Any]) -> str:
    if values.get("risk_table_sync") == "off":
        return "risk_table_sync is off"
    return (
        "this instance has no KV store (a heavy forwarder?): on the search head, the saved search "
        "'Mimecast Awareness - Rebuild risk table from events' builds the table from the events"
    )


def _endpoints(data_set: DataSet) -> list[str]:
    return [data_set.endpoint, *([data_set.results.endpoint] if data_set.results else [])]


def _is_oauth2(metadata: dict[str, Any], account_name: str) -> bool:
    """Whether the account is an API 2.0 (OAuth 2.0) application; False when that cannot be told now (the
    run says what is wrong with the account)."""
    try:
        service = connect(str(metadata.get("server_uri", "")), str(metadata.get("session_key", "")))
        return isinstance(load_account(service, account_name).credentials, OAuth2Credentials)
    except (SplunkdError, ValueError):
        return False


# What each kind of failure means for the administrator, most specific first: (kind, error class, words).
_FAILURES: tuple[tuple[type[Exception], str, str], ...] = (
    (Api1Only, "api1_only", "{err}"),
    (InvalidSetting, "setting", "setting is wrong: {err}. Edit the input on the add-on's Inputs page"),
    (SettingsError, "configuration", "the account or the add-on's settings need fixing: {err}"),
    (
        MimecastError,
        "",
        "Mimecast call failed: {err}. Nothing committed is lost: the input resumes at its next interval",
    ),
    (
        OutputClosed,
        "output_closed",
        "splunkd closed the input's output (it is stopping, or restarting the input): the run ends here; the "
        "page in progress is sent again at the next run",
    ),
    (
        SplunkdError,
        "splunkd",
        "splunkd call failed: {err}. Events already written are checkpointed; the input tries again at its "
        "next interval",
    ),
    (
        StateError,
        "state",
        "cannot use the checkpoint folder {folder!r}: {err}. Check its permissions and free space",
    ),
)
_EXPECTED = tuple(kind for kind, _, _ in _FAILURES)
_UNEXPECTED = (
    "unexpected {kind}: {err}. Nothing committed is lost and the input tries again at its next interval; if "
    "this repeats, set the log level to DEBUG and report the traceback"
)


def _failure(err: Exception, where: str, folder: str | None, requests: int) -> Report:
    """The one line a failed run logs, and its error class for the summary."""
    found = next(((name, words) for kind, name, words in _FAILURES if isinstance(err, kind)), None)
    error_class, words = found or ("unexpected", _UNEXPECTED)
    text = words.format(err=_words(err), folder=folder, kind=type(err).__name__)
    return Report("failed", f"{where}: {text}.", error_class or type(err).__name__, requests=requests)


def _words(err: BaseException) -> str:
    """The error's own sentence, without its full stop (ours follows), on one line."""
    return " ".join(str(err).split()).rstrip(".")


def _summary(stanza: str, data_set: DataSet, params: dict[str, Any], report: Report, duration: float) -> str:
    result = report.result or runner.Outcome()
    risk = result.risk
    return logs.summary_line(
        "input",
        name=stanza,
        data_set=data_set.name,
        account=params.get("account") or "",
        outcome=report.outcome,
        records=result.records,
        events=result.events,
        pages=result.pages,
        requests=report.requests,
        gone=result.gone,
        risk_saved=risk.saved if risk else None,
        risk_removed=risk.removed if risk else None,
        risk_changed=risk.changed if risk else None,
        duration=duration,
        error_class=report.error_class,
        interval=params.get("interval"),
    )


def main(input_type: str, argv: list[str] | None = None, sleep: Callable[[float], None] = time.sleep) -> int:
    """What a bin/ script calls: run as splunkd asked, exit non-zero when a stanza failed. `sleep` is for
    a test that must not wait out the client's real back-off."""
    script = MimecastInput(CATALOGUE[input_type], sleep=sleep)
    status = script.run(list(sys.argv if argv is None else argv))
    return status or (1 if script.failures else 0)
