"""The modular input runner: splunklib's Script around the collection code, one scheme per input type.

splunkd starts `bin/mimecast_at_<type>.py` with `--scheme`, with `--validate-arguments`, or with the
input definition on stdin; this module answers each. A failure logs one line that names the input, the
account, what failed and what to do, leaves the checkpoint as the last committed page left it, and the
input simply runs again at its next interval.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from splunklib.modularinput import Argument, Event, EventWriter, InputDefinition, Scheme, Script

from splunk_app.inputs import events as ev
from splunk_app.inputs import runner as collect
from splunk_app.inputs.catalogue import (
    CATALOG,
    SPLUNKD_SETTINGS,
    InputType,
    InvalidSetting,
    interval_seconds,
    is_filtered,
    parse,
    request_options,
)
from splunk_app.mimecast import Client, MimecastError
from splunk_app.risk.sync import Spool
from splunk_app.splunk import logs
from splunk_app.splunk.risk_store import KVRiskStore
from splunk_app.splunk.service import SplunkdError, connect
from splunk_app.splunk.settings import load_account, load_log_level, load_proxy
from splunk_app.state import Checkpoint, file_stem

_DATA_TYPES = {"int": Argument.data_type_number, "bool": Argument.data_type_boolean}
RISK_DATA_SETS = ("safe_score", "watchlist", "performance")


class XmlSink:
    """Events into splunkd's XML stream. splunklib flushes stdout after every event, so by the time a
    page is committed every one of its events has left the process."""

    def __init__(self, writer: EventWriter, stanza: str, index: str | None) -> None:
        self.writer = writer
        self.stanza = stanza
        self.index = index

    def write(self, event: ev.Event) -> None:
        self.writer.write_event(
            Event(
                data=event.text(),
                stanza=self.stanza,
                time=f"{event.time:.3f}",
                sourcetype=event.sourcetype,
                index=self.index,
            )
        )

    def flush(self) -> None:
        """Nothing left to do: every event was flushed as it was written."""


class MimecastInput(Script):
    """One input type. `failures` counts the stanzas that failed, for the exit status."""

    def __init__(self, input_type: InputType, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.input_type = input_type
        self.clock = clock
        self.failures = 0

    def get_scheme(self) -> Scheme:
        scheme = Scheme(self.input_type.name)
        scheme.description = f"Mimecast Awareness Training: {self.input_type.title}"
        scheme.use_external_validation = True
        scheme.use_single_instance = False
        for setting in self.input_type.settings:
            if setting.name in SPLUNKD_SETTINGS:
                continue
            scheme.add_argument(
                Argument(
                    setting.name,
                    title=setting.name,
                    description=setting.description,
                    data_type=_DATA_TYPES.get(setting.kind, Argument.data_type_string),
                    required_on_create=setting.required,
                    required_on_edit=False,
                )
            )
        return scheme

    def validate_input(self, definition: Any) -> None:
        """Raise (splunkd shows the message on the input's form) when a setting is wrong."""
        try:
            parse(self.input_type, definition.parameters)
        except InvalidSetting as err:
            raise ValueError(f"{self.input_type.title}: {err}") from err

    def stream_events(self, inputs: InputDefinition, ew: EventWriter) -> None:
        logger = logs.get_logger(self.input_type.data_set)
        for stanza, params in inputs.inputs.items():
            problem = self._run_stanza(stanza, params, inputs.metadata, ew, logger)
            if problem:
                self.failures += 1
                logger.error("%s", problem)
                ew.log(EventWriter.ERROR, logs.scrub(problem))

    def _run_stanza(
        self, stanza: str, params: dict[str, Any], metadata: dict[str, Any], ew: EventWriter, logger: Any
    ) -> str | None:
        """Run one input; the one-line failure to log, or None."""
        account_name = str(params.get("account") or "?")
        where = f"input {stanza!r} (account {account_name!r})"
        try:
            logs.hide(metadata["session_key"])
            service = connect(metadata["server_uri"], metadata["session_key"])
            logs.set_level(logger, load_log_level(service))
            values = parse(self.input_type, params)
            account = load_account(service, values["account"])
            logs.hide(*account.credentials.secrets())
            proxy = load_proxy(service)
            if proxy is not None:
                logs.hide(proxy.password)
            client = Client(
                account.base_url, account.credentials, proxy=proxy, account_code=account.account_code
            )
            checkpoint = Checkpoint(
                metadata["checkpoint_dir"],
                stanza,
                values["full_snapshot_hours"] * 3600.0,
                interval_seconds(values),
            )
            sink = XmlSink(ew, stanza, values.get("index"))
            snapshot = collect.new_snapshot(account.name, self.clock())
            started = time.monotonic()
            outcome = self._collect(
                client,
                checkpoint,
                sink,
                snapshot,
                values=values,
                service=service,
                metadata=metadata,
                stanza=stanza,
            )
        except InvalidSetting as err:
            return f"{where}: setting is wrong: {_words(err)}. Edit the input on the add-on's Inputs page."
        except MimecastError as err:
            return (
                f"{where}: Mimecast call failed: {_words(err)}. Nothing committed is lost: the input "
                "resumes at its next interval."
            )
        except SplunkdError as err:
            return (
                f"{where}: splunkd call failed: {_words(err)}. Events already written are checkpointed; "
                "the input tries again at its next interval."
            )
        except OSError as err:
            return (
                f"{where}: cannot use the checkpoint folder {metadata.get('checkpoint_dir')!r}: "
                f"{_words(err)}. Check its permissions and free space."
            )
        except Exception as err:  # the one place an unforeseen failure is logged, with its cause
            logger.debug("%s: unexpected failure", where, exc_info=True)
            return (
                f"{where}: unexpected {type(err).__name__}: {_words(err)}. The checkpoint is consistent "
                "and the input tries again at its next interval; if this repeats, set the log level to DEBUG "
                "and report the traceback."
            )
        logger.info(
            "%s: snapshot %s: %d records, %d events written, %d pages, %d gone, %s, %s, %d API requests, "
            "%.1f s",
            where,
            snapshot.snapshot_id,
            outcome.records,
            outcome.events,
            outcome.pages,
            outcome.gone,
            "complete" if outcome.complete else "partial (continues next run)",
            _risk_words(outcome),
            client.requests_made,
            time.monotonic() - started,
        )
        for email in outcome.skipped:
            logger.warning(
                "%s: Mimecast does not know user %s: remove it from the input's users", where, email
            )
        return None

    def _collect(
        self,
        client: Client,
        checkpoint: Checkpoint,
        sink: XmlSink,
        snapshot: ev.Snapshot,
        *,
        values: dict[str, Any],
        service: Any,
        metadata: dict[str, Any],
        stanza: str,
    ) -> collect.Outcome:
        data_set = self.input_type.data_set
        page = values.get("page_size") or 500
        if data_set in RISK_DATA_SETS:
            risk = collect.RiskTable(
                KVRiskStore(service),
                Spool(metadata["checkpoint_dir"], file_stem(stanza) + "-risk-"),
                remove_missing=not is_filtered(values),
            )
            options = request_options(data_set, values)
            if data_set == "safe_score":
                return collect.safe_score(client, checkpoint, sink, snapshot, page_size=page, risk=risk)
            function = collect.watchlist if data_set == "watchlist" else collect.performance
            return function(client, checkpoint, sink, snapshot, page_size=page, options=options, risk=risk)
        if data_set == "safe_score_summary":
            return collect.safe_score_summary(client, checkpoint, sink, snapshot)
        if data_set == "training":
            users = values["users"] or list(KVRiskStore(service).training_users())
            return collect.training(
                client, checkpoint, sink, snapshot, users=users, max_users=values["max_users_per_run"]
            )
        if data_set == "queue":
            return collect.queue(client, checkpoint, sink, snapshot, page_size=page)
        function = collect.campaign if data_set == "campaign" else collect.phishing
        return function(
            client, checkpoint, sink, snapshot, page_size=page, result_filter=values["result_filter"]
        )


def _words(err: BaseException) -> str:
    """The error's own sentence, without its full stop (ours follows), on one line."""
    return " ".join(str(err).split()).rstrip(".")


def _risk_words(outcome: collect.Outcome) -> str:
    if outcome.risk is None:
        return "risk table not touched"
    return f"risk table: {outcome.risk.saved} saved, {outcome.risk.removed} removed"


def main(input_type_name: str, argv: list[str] | None = None) -> int:
    """What a bin/ script calls: run as splunkd asked, exit non-zero when a stanza failed."""
    script = MimecastInput(CATALOG[input_type_name])
    status = script.run(list(sys.argv if argv is None else argv))
    return status or (1 if script.failures else 0)
