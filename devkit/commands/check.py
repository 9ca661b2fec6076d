"""`mimecast-at check`: the Configuration page's account check from a shell.

Secrets come from environment variables, never from the command line (where `ps` and shell history
would keep them).
"""

from __future__ import annotations

import argparse
import os

from splunk_app.account_check import FIELDS_BY_AUTH, check_account
from splunk_app.mimecast import Proxy

ENV = {
    "client_id": "MIMECAST_CLIENT_ID",
    "client_secret": "MIMECAST_CLIENT_SECRET",
    "app_id": "MIMECAST_APP_ID",
    "app_key": "MIMECAST_APP_KEY",
    "access_key": "MIMECAST_ACCESS_KEY",
    "secret_key": "MIMECAST_SECRET_KEY",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url", required=True, help="the Mimecast API gateway, e.g. https://api.services.mimecast.com"
    )
    parser.add_argument(
        "--auth",
        choices=sorted(FIELDS_BY_AUTH),
        default="oauth2",
        help="oauth2 reads MIMECAST_CLIENT_ID and MIMECAST_CLIENT_SECRET; hmac reads "
        "MIMECAST_APP_ID, MIMECAST_APP_KEY, MIMECAST_ACCESS_KEY and MIMECAST_SECRET_KEY",
    )
    parser.add_argument(
        "--proxy",
        help="HTTP proxy URL, e.g. http://proxy.example:3128 (credentials from "
        "MIMECAST_PROXY_USERNAME and MIMECAST_PROXY_PASSWORD)",
    )


def run(args: argparse.Namespace) -> int:
    fields = {"auth_type": args.auth, "base_url": args.base_url}
    fields.update({name: os.environ.get(ENV[name], "") for name in FIELDS_BY_AUTH[args.auth]})
    unset = [ENV[name] for name in FIELDS_BY_AUTH[args.auth] if not fields[name]]
    if unset:
        print(f"FAILED (incomplete): set the environment variable(s) {', '.join(unset)}")
        return 1
    proxy = None
    if args.proxy:
        proxy = Proxy(
            url=args.proxy,
            username=os.environ.get("MIMECAST_PROXY_USERNAME") or None,
            password=os.environ.get("MIMECAST_PROXY_PASSWORD") or None,
        )
    result = check_account(fields, proxy)
    print(("OK: " if result.ok else f"FAILED ({result.problem}): ") + result.message)
    return 0 if result.ok else 1
