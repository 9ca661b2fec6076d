"""The command line's shared options, each checked once where argparse reads it, so that a wrong value is
one line naming the option: counts and ports in range, the proxy, the company CA file, and the credentials
and connection settings that `pull` and `check` read from the environment (never from the command line,
where `ps` and shell history would keep a secret)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from splunk_app.account_check import Where
from splunk_app.mimecast import Proxy
from splunk_app.mimecast.auth import FIELDS_BY_AUTH, CredentialError, Credentials, credentials
from splunk_app.mimecast.retry import RetryPolicy
from splunk_app.mimecast.trust import MAX_BUNDLE_CHARS, CaBundleError, company_bundle

ENV = {
    "client_id": "MIMECAST_CLIENT_ID",
    "client_secret": "MIMECAST_CLIENT_SECRET",
    "app_id": "MIMECAST_APP_ID",
    "app_key": "MIMECAST_APP_KEY",
    "access_key": "MIMECAST_ACCESS_KEY",
    "secret_key": "MIMECAST_SECRET_KEY",
}
PROXY_ENV = ("MIMECAST_PROXY_USERNAME", "MIMECAST_PROXY_PASSWORD")
# Someone at a shell is waiting: two quick retries (a refused connection ends in seconds, not the inputs'
# half a minute), while a rate limit may still be waited out as an input would.
SHELL_RETRY = RetryPolicy(max_retries=2, max_elapsed=30.0, base_delay=1.0, max_delay=5.0)
# What the account check's answers point at when a shell user reads them.
SHELL = Where(
    base_url="--base-url",
    proxy=f"--proxy, {PROXY_ENV[0]}, {PROXY_ENV[1]}",
    ca_bundle="--ca-bundle FILE (the CA's certificates in PEM)",
    fields=ENV,
)


class Parser(argparse.ArgumentParser):
    """argparse that answers a wrong command line with one line (and exit status 2), not a usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def count(minimum: int, maximum: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `minimum` to `maximum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"{value} is out of range: give {minimum} to {maximum}")
        return value

    return parse


port = count(0, 65535)


def proxy_url(text: str) -> str:
    """An argparse type: http://host:port, where `host:port` alone means http://host:port."""
    url = text.strip() if "://" in text else f"http://{text.strip()}"
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} has no valid port: give http://host:port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a proxy URL: give http://host:port")
    if parts.username or parts.password:
        raise argparse.ArgumentTypeError(
            f"put the proxy credentials in {PROXY_ENV[0]} and {PROXY_ENV[1]}, not in the URL"
        )
    return url


def ca_bundle_file(path: str) -> str:
    """An argparse type: the PEM file of a company CA, read (bounded) and checked."""
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            text = handle.read(MAX_BUNDLE_CHARS + 1)
    except OSError as err:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        return company_bundle(text)
    except CaBundleError as err:
        raise argparse.ArgumentTypeError(f"{path} {err}") from None


def output_file(path: str) -> str:
    """An argparse type: a file that can be written (not a folder, in a folder that exists)."""
    if os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"{path} is a folder: give a file name, such as {path}/events.jsonl")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        problem = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise argparse.ArgumentTypeError(f"cannot write {path}: {folder} {problem}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write {path}: no permission to write in {folder}")
    return path


def output_folder(path: str) -> Path:
    """An argparse type: a folder to write into (created when missing), not a file."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"{path} is a file: give a folder for the output")
    return Path(path)


def add_connection(parser: argparse.ArgumentParser, auth_choices: list[str]) -> None:
    """--base-url, --auth, --proxy and --ca-bundle, as `pull` and `check` both take them."""
    parser.add_argument(
        "--base-url",
        required=True,
        metavar="URL",
        help="the Mimecast API gateway, e.g. https://api.services.mimecast.com (required)",
    )
    parser.add_argument(
        "--auth",
        choices=auth_choices,
        default="oauth2",
        help="oauth2 reads MIMECAST_CLIENT_ID and MIMECAST_CLIENT_SECRET; hmac reads "
        "MIMECAST_APP_ID, MIMECAST_APP_KEY, MIMECAST_ACCESS_KEY and MIMECAST_SECRET_KEY (default oauth2)",
    )
    parser.add_argument(
        "--proxy",
        type=proxy_url,
        metavar="URL",
        help=f"HTTP proxy, http://host:port or host:port (credentials from {' and '.join(PROXY_ENV)}; "
        "default: none, connect directly)",
    )
    parser.add_argument(
        "--ca-bundle",
        type=ca_bundle_file,
        metavar="FILE",
        help="PEM file of your company CA (a TLS-inspecting proxy's), trusted beside the public roots "
        "(default: the public roots only)",
    )


def proxy_of(args: argparse.Namespace) -> Proxy | None:
    """The --proxy option with its credentials from the environment, or None."""
    if not args.proxy:
        return None
    username, password = (os.environ.get(name) or None for name in PROXY_ENV)
    return Proxy(url=args.proxy, username=username, password=password if username else None)


def credential_fields(names: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """The credential fields read from their environment variables, and the variables left unset."""
    values = {name: os.environ.get(ENV[name], "") for name in names}
    return values, [ENV[name] for name, value in values.items() if not value]


def credentials_of(auth: str) -> tuple[Credentials | None, str]:
    """The credentials of `--auth` from their environment variables, read as a run reads an account, or
    None and the line that names the variable to set or fix."""
    values, unset = credential_fields(FIELDS_BY_AUTH[auth])
    if unset:
        return None, f"set the environment variable(s) {', '.join(unset)} for --auth {auth}"
    try:
        return credentials(auth, values), ""
    except CredentialError as err:
        return None, f"{ENV[err.field]} {err.problem}"
