"""The secret that signs containment records (splunk_app.containment.sign): made once, by the first run that
needs it, and kept in splunkd's storage/passwords under this app's realm, where only those who may read the
add-on's account secrets can read it. Two first runs at once agree: the second one's create is refused
(409) and it reads the first one's key."""

from __future__ import annotations

import secrets

from splunklib import client

from splunk_app import APP_ID
from splunk_app.splunk import logs
from splunk_app.splunk.service import SplunkdError, get_json, request

REALM = f"{APP_ID}_containment"
NAME = "record_mac_key"


class RecordKeyError(SplunkdError):
    """The key cannot be read or made."""


def record_key(service: client.Service) -> bytes:
    """The add-on's record key, made on first use."""
    found = _read(service)
    if found is None:
        try:
            request(
                service,
                "POST",
                "storage/passwords",
                "create the containment records' key",
                output_mode="json",
                name=NAME,
                realm=REALM,
                password=secrets.token_hex(32),
            )
        except SplunkdError as err:
            if err.status != 409:
                raise RecordKeyError(
                    "the containment records' key could not be created in storage/passwords (realm "
                    f"{REALM}): {err}. A Splunk administrator can run the containment sweep once to make "
                    "it",
                    err.status,
                ) from err
        found = _read(service)
    if not found:
        raise RecordKeyError(f"the containment records' key in storage/passwords (realm {REALM}) is empty")
    logs.hide(found)
    return found.encode()


def _read(service: client.Service) -> str | None:
    answer = get_json(
        service, "storage/passwords", "read the containment records' key", count=-1, search=f"realm={REALM}"
    )
    for entry in answer.get("entry") or []:
        content = entry.get("content") or {}
        if content.get("realm") == REALM and content.get("username") == NAME:
            return str(content.get("clear_password") or "")
    return None
