"""The splunklib Service for the splunkd that started us, and the one way we read its REST answers."""

from __future__ import annotations

import configparser
import json
import os
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from splunklib import binding, client

from splunk_app import ADMIN_CAPABILITY, APP_ID

# An administrator of the add-on: who may save an account, or adopt containment records that predate signing.
WRITE_CAPABILITIES = frozenset({ADMIN_CAPABILITY, "admin_all_objects"})


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


@dataclass(frozen=True)
class SplunkdCa:
    """The CA file splunkd's certificate is checked against, and the setting that chose it."""

    path: str | None  # None: the system's trust store
    setting: str


def splunkd_ca(splunk_home: str | None = None) -> SplunkdCa:
    """What splunkd's own server.conf trusts: [sslConfig] sslRootCAPath, else the older caCertFile (relative
    to caPath), read from $SPLUNK_HOME/etc/system/local/server.conf before etc/system/default/server.conf,
    the first file that sets one winning (a server.conf in an app is not read); else Splunk's default
    $SPLUNK_HOME/etc/auth/cacert.pem; else the system's trust store."""
    home = splunk_home if splunk_home is not None else os.environ.get("SPLUNK_HOME", "")
    if not home:
        return SplunkdCa(None, "the system's trust store (SPLUNK_HOME is not set)")
    auth = os.path.join(home, "etc", "auth")
    for layer in ("local", "default"):
        conf = os.path.join(home, "etc", "system", layer, "server.conf")
        settings = _ssl_config(conf)
        where = f"sslRootCAPath in [sslConfig] of {conf}"
        if settings.get("sslRootCAPath"):
            return SplunkdCa(_expand(settings["sslRootCAPath"], home, auth), where)
        if settings.get("caCertFile"):
            folder = _expand(settings.get("caPath") or auth, home, auth)
            where = f"caCertFile (and caPath) in [sslConfig] of {conf}"
            return SplunkdCa(_expand(settings["caCertFile"], home, folder), where)
    default = os.path.join(auth, "cacert.pem")
    if os.path.isfile(default):
        return SplunkdCa(default, f"Splunk's default CA {default} (server.conf sets no sslRootCAPath)")
    return SplunkdCa(None, "the system's trust store (no sslRootCAPath, no etc/auth/cacert.pem)")


def splunkd_ssl_context() -> ssl.SSLContext:
    """Verify splunkd's certificate against what splunkd itself trusts (`splunkd_ca`). With a CA file the
    chain is checked, not the host name: the URI is the loopback address splunkd itself gave us, which its
    certificate (Splunk's default one names no host; a company one names the server) does not name. With
    only the system's trust store, the host name is checked too."""
    ca = splunkd_ca()
    if ca.path and not os.path.isfile(ca.path):
        raise SplunkdError(f"{ca.setting} names {ca.path}, which is not a file: fix that setting")
    try:
        context = ssl.create_default_context(cafile=ca.path) if ca.path else ssl.create_default_context()
    except (OSError, ssl.SSLError) as err:
        raise SplunkdError(f"{ca.setting} names {ca.path}, which holds no usable CA ({err})") from err
    context.check_hostname = ca.path is None
    return context


def _ssl_config(path: str) -> dict[str, str]:
    """The [sslConfig] stanza of one server.conf (an unreadable or missing file has none)."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None, comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_string("[__top__]\n" + handle.read(), source=path)
    except (OSError, UnicodeDecodeError, configparser.Error):
        return {}
    return dict(parser["sslConfig"]) if parser.has_section("sslConfig") else {}


def _expand(value: str, home: str, relative_to: str) -> str:
    path = value.strip().replace("$SPLUNK_HOME", home).replace("${SPLUNK_HOME}", home)
    return path if os.path.isabs(path) else os.path.join(relative_to, path)


def request(service: client.Service, method: str, path: str, what: str, **query: Any) -> Any:
    """One REST call; the JSON answer (None when empty), or a SplunkdError that says what failed."""
    call = {"GET": service.get, "POST": service.post, "DELETE": service.delete}[method]
    try:
        response = call(path, **query)
    except binding.HTTPError as err:
        raise SplunkdError(f"splunkd answered {err.status} to {what}: {_reason(err)}", err.status) from err
    except ssl.SSLError as err:
        ca = splunkd_ca()
        raise SplunkdError(
            f"splunkd's TLS certificate could not be verified for {what} ({err.__class__.__name__}: "
            f"{getattr(err, 'verify_message', '') or err.reason}); the add-on trusts "
            f"{ca.path or 'the system CAs'}, chosen by {ca.setting}: check that it names the CA that "
            "signed splunkd's certificate."
        ) from err
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
