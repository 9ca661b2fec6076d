"""`mimecast-at pull <data set>`: one input's pull against any Mimecast gateway, through the same
collection code splunkd runs, written as JSON lines. Secrets come from environment variables only.

Every run is a whole snapshot (a fresh checkpoint, so every record is written). With --out the lines go
to a temporary file that is renamed only when the pull is complete: a failed pull leaves no file that
looks finished.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import IO

from devkit.commands import options
from devkit.words import counted
from splunk_app.account_check import explain
from splunk_app.inputs import runner
from splunk_app.inputs.catalogue import CATALOGUE, by_name
from splunk_app.inputs.events import Event
from splunk_app.mimecast import (
    ApiError,
    BadCredentials,
    Client,
    InsecureUrl,
    KeysExpired,
    MalformedResponse,
    MimecastError,
    MissingPermission,
    NetworkError,
    RateLimited,
)
from splunk_app.mimecast.auth import FIELDS_BY_AUTH
from splunk_app.state import Checkpoint

# Errors about the connection or the account, said as `mimecast-at check` says them, in the shell's words;
# any other (a page Mimecast got wrong) as the client words it.
_ABOUT_THE_CONNECTION = (
    InsecureUrl,
    NetworkError,
    BadCredentials,
    KeysExpired,
    MissingPermission,
    RateLimited,
)


def _about_the_connection(err: MimecastError) -> bool:
    """Whether the error is about where the pull goes or who it is, not about one answer's content: an
    answer that is not JSON, or a 404 or 405, means something other than a Mimecast gateway answered."""
    if isinstance(err, _ABOUT_THE_CONNECTION):
        return True
    if isinstance(err, MalformedResponse):
        return err.status is not None
    return isinstance(err, ApiError) and err.status in (404, 405)


class JsonLinesSink:
    """One JSON object per event: its time, sourcetype and the event itself."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.count = 0

    def write(self, event: Event) -> None:
        line = {"time": event.time, "sourcetype": event.sourcetype, "event": event.data}
        self.stream.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.count += 1

    def flush(self) -> None:
        self.stream.flush()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    data_sets = [data_set.name for data_set in CATALOGUE.values()]
    parser.add_argument("data_set", choices=data_sets, help="which input's data to pull")
    options.add_connection(parser, sorted(FIELDS_BY_AUTH))
    parser.add_argument(
        "--page-size",
        type=options.count(1, 500),
        default=500,
        metavar="N",
        help="records per request (1-500, default 500)",
    )
    parser.add_argument(
        "--users",
        default="",
        metavar="EMAILS",
        help="training: comma-separated emails to pull (required for training; default: none)",
    )
    parser.add_argument("--account", default="cli", help="the mc_account value of the events (default cli)")
    parser.add_argument(
        "--out",
        type=options.output_file,
        metavar="FILE",
        help="write the events here, as JSON lines (default: standard output)",
    )


def run(args: argparse.Namespace) -> int:
    keys, problem = options.credentials_of(args.auth)
    if keys is None:
        return _fail(problem)
    if args.data_set == "training" and not args.users.strip():
        return _fail("training pulls per user: give --users a@example.com,b@example.com")
    proxy = options.proxy_of(args)
    try:
        client = Client(
            args.base_url.rstrip("/"), keys, proxy=proxy, ca_bundle=args.ca_bundle, retry=options.SHELL_RETRY
        )
        outcome = _pull(client, args, sys.stdout) if not args.out else _pull_to_file(client, args, args.out)
    except MimecastError as err:
        if _about_the_connection(err):
            return _fail(explain(err, args.base_url, keys, proxy, options.SHELL).message)
        return _fail(str(err))
    except BrokenPipeError:
        raise  # the reader left (`| head`): the CLI says so once for every command
    except OSError as err:
        return _fail(f"cannot write {args.out or 'standard output'}: {err.strerror or err}")
    for email in outcome.skipped:
        print(f"mimecast-at pull: Mimecast does not know user {email}; skipped", file=sys.stderr)
    where = f" to {args.out}" if args.out else ""
    print(
        f"pulled {args.data_set}: {counted(outcome.records, 'record')}, {counted(outcome.events, 'event')}"
        f"{where}, {counted(client.requests_made, 'request')}",
        file=sys.stderr,
    )
    return 0


def _pull(client: Client, args: argparse.Namespace, stream: IO[str]) -> runner.Outcome:
    data_set = by_name(args.data_set)
    users = [user for user in args.users.split(",") if user.strip()]
    # Every setting at its default (modules included), a whole snapshot: a fresh checkpoint, everyone due.
    values = {"page_size": args.page_size, "include_user_details": True, "max_users_per_run": len(users)}
    with tempfile.TemporaryDirectory(prefix="mimecast-pull-") as folder:
        checkpoint = Checkpoint(folder, f"pull://{data_set.name}", 3600.0)
        snapshot = runner.new_snapshot(args.account, time.time())
        sink = JsonLinesSink(stream)
        return runner.run(
            data_set, values, client=client, checkpoint=checkpoint, sink=sink, snapshot=snapshot, users=users
        )


def _pull_to_file(client: Client, args: argparse.Namespace, path: str) -> runner.Outcome:
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".pull-", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            outcome = _pull(client, args, stream)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return outcome


def _fail(message: str) -> int:
    print(f"mimecast-at pull: {message}", file=sys.stderr)
    return 1
