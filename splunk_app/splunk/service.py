"""The splunklib Service for the splunkd that started us, and the one way we read its REST answers."""

from __future__ import annotations

import json
import os
import ssl
from typing import Any
from urllib.parse import urlsplit

from splunklib import binding, client

from splunk_app import APP_ID


class SplunkdError(Exception):
    """splunkd refused or failed a REST call; `status` is its HTTP status (0 when it could not be reached)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def connect(server_uri: str, session_key: str, app: str = APP_ID) -> client.Service:
    """A Service in the app's namespace (owner `nobody`), authenticated with the session key splunkd
    passed us; no login, no password. TLS is verified: see `splunkd_ssl_context`."""
    parts = urlsplit(server_uri)
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.port:
        raise SplunkdError(f"splunkd URI {server_uri!r} is not scheme://host:port")
    return client.Service(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port,
        token=session_key,
        owner="nobody",
        app=app,
        verify=True,
        context=splunkd_ssl_context() if parts.scheme == "https" else None,
    )


def splunkd_ssl_context() -> ssl.SSLContext:
    """Verify splunkd's certificate against Splunk's own CA when there is one. splunkd's default
    certificate (signed by `$SPLUNK_HOME/etc/auth/cacert.pem`) names no host, and the URI is the loopback
    address splunkd itself gave us, so with that CA the chain is checked but not the host name."""
    ca_file = os.path.join(os.environ.get("SPLUNK_HOME", ""), "etc", "auth", "cacert.pem")
    if os.environ.get("SPLUNK_HOME") and os.path.isfile(ca_file):
        context = ssl.create_default_context(cafile=ca_file)
        context.check_hostname = False
        return context
    return ssl.create_default_context()


def request(service: client.Service, method: str, path: str, what: str, **query: Any) -> Any:
    """One REST call; the JSON answer (None when empty), or a SplunkdError that says what failed."""
    call = {"GET": service.get, "POST": service.post, "DELETE": service.delete}[method]
    try:
        response = call(path, **query)
    except binding.HTTPError as err:
        raise SplunkdError(f"splunkd answered {err.status} to {what}: {_reason(err)}", err.status) from err
    except OSError as err:
        raise SplunkdError(f"splunkd could not be reached for {what}: {err}") from err
    body = response.body.read()
    return json.loads(body) if body.strip() else None


def get_json(service: client.Service, path: str, what: str, **query: Any) -> Any:
    """GET a feed (conf, passwords, messages, server/info) as JSON rather than Atom XML."""
    return request(service, "GET", path, what, output_mode="json", **query)


def caller_capabilities(service: client.Service) -> frozenset[str]:
    """What the user behind the session key may do, as splunkd says (authentication/current-context)."""
    answer = get_json(service, "authentication/current-context", "the caller's capabilities")
    entries = answer.get("entry") if isinstance(answer, dict) else None
    content = entries[0].get("content") if isinstance(entries, list) and entries else None
    found = content.get("capabilities") if isinstance(content, dict) else None
    return frozenset(str(name) for name in found) if isinstance(found, list) else frozenset()


def _reason(err: binding.HTTPError) -> str:
    """splunkd's own words from the error body (JSON with output_mode=json, else XML), or the reason."""
    try:
        messages = json.loads(err.body).get("messages") or []
        words = "; ".join(str(message.get("text", "")) for message in messages)
    except (ValueError, TypeError, AttributeError):
        words = str(err).partition(" -- ")[2]
    return words.strip() or str(err.reason)
