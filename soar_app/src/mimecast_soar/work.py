"""One action's run: the asset's client, its records file and the one-line answer for any failure, so that
every action fails with the add-on's own words for what went wrong, never a traceback."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path

from mimecast_soar.connection import AssetError, client_for, proxy_from_environment

from splunk_app import allowed_groups, statedb
from splunk_app.account_check import Where, credentials_from_fields, explain
from splunk_app.mimecast import Client, MimecastError
from splunk_app.mimecast.auth import LABELS as CREDENTIAL_LABELS
from splunk_app.risk.policy import PolicyError

# Where a reader of an answer fixes things in SOAR.
ASSET = Where(
    base_url="the asset's Base URL",
    proxy="SOAR's proxy settings (HTTPS_PROXY)",
    ca_bundle="the asset's Company CA (PEM)",
    fields={name: f"the asset's {label}" for name, label in CREDENTIAL_LABELS.items()},
)
STATE_ENV = "MIMECAST_SOAR_STATE_DIR"  # where the records go when SOAR gives no state folder (local runs)


class Failed(Exception):
    """The action cannot do its work; the message says why in one line."""


def client(fields: Mapping[str, object]) -> Client:
    try:
        return client_for(fields)
    except AssetError as err:
        raise Failed(str(err)) from err


@contextlib.contextmanager
def answering(fields: Mapping[str, object]) -> Iterator[None]:
    """Any failure of the client, the records or the policy as one line in the add-on's words."""
    try:
        yield
    except MimecastError as err:
        raise Failed(_explained(err, fields)) from err
    except (statedb.StateError, sqlite3.Error) as err:
        raise Failed(f"the app's records cannot be used: {err}") from err
    except PolicyError as err:
        raise Failed(f"the risk policy cannot be read: {err}") from err


def groups_allowed(fields: Mapping[str, object]) -> tuple[str, ...]:
    """The asset's allow-list of groups, by the add-on's rule (splunk_app.allowed_groups); () allows any."""
    try:
        return allowed_groups.parse(fields.get(allowed_groups.FIELD), "the asset")
    except allowed_groups.GroupsError as err:
        raise Failed(f"{err}: edit the asset") from err


def records_path(fields: Mapping[str, object], state_dir: str | None) -> str:
    """The asset's records file: one per Mimecast account (gateway, application id and account code), in
    SOAR's state folder for the app, or MIMECAST_SOAR_STATE_DIR / the working folder in local runs."""
    folder = state_dir or os.environ.get(STATE_ENV) or str(Path.cwd() / "mimecast_soar_state")
    who = "|".join(
        str(fields.get(name) or "") for name in ("base_url", "client_id", "app_id", "account_code")
    )
    return str(Path(folder) / f"mimecast_{hashlib.sha256(who.encode('utf-8')).hexdigest()[:16]}.sqlite")


def _explained(err: MimecastError, fields: Mapping[str, object]) -> str:
    text = {key: "" if value is None else str(value) for key, value in fields.items()}
    base_url = text.get("base_url", "")
    try:
        credentials = credentials_from_fields(text)
    except ValueError:
        return str(err)
    return explain(err, base_url, credentials, proxy_from_environment(base_url), ASSET).message
