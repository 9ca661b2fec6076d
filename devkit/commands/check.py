"""`mimecast-at check`: the Configuration page's account check from a shell.

Secrets come from environment variables, never from the command line (where `ps` and shell history
would keep them).
"""

from __future__ import annotations

import argparse

from devkit.commands import options
from splunk_app.account_check import check_account
from splunk_app.mimecast.auth import FIELDS_BY_AUTH


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_connection(parser, sorted(FIELDS_BY_AUTH))


def run(args: argparse.Namespace) -> int:
    values, unset = options.credential_fields(FIELDS_BY_AUTH[args.auth])
    if unset:
        print(f"FAILED (incomplete): set the environment variable(s) {', '.join(unset)}")
        return 1
    fields = {"auth_type": args.auth, "base_url": args.base_url, **values}
    result = check_account(fields, options.proxy_of(args), args.ca_bundle, where=options.SHELL)
    print(("OK: " if result.ok else f"FAILED ({result.problem}): ") + result.message)
    return 0 if result.ok else 1
