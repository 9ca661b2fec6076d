"""A loopback stand-in for the parts of splunkd's REST API that the add-on calls.

It follows Splunk's documented REST API (conf endpoints, storage/passwords, KV store collection data,
server/info, messages) closely enough that splunklib and our adapter cannot tell the difference, so the
bin/ scripts can be run as splunkd runs them and their REST calls checked. Not packaged into the app.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from devkit.loopback import Reply, Server
from splunk_app import ADMIN_CAPABILITY, APP_ID

MASK = "********"
BATCH_SAVE_LIMIT = 1000  # limits.conf [kvstore] max_documents_per_batch_save
MAX_ROWS_PER_QUERY = 50000  # limits.conf [kvstore] max_rows_per_query
# What UCC (through solnlib's CredentialManager) does with a secret longer than splunkd can encrypt.
CRED_SEP = "``splunk_cred_sep``"
CRED_END_MARK = CRED_SEP + CRED_SEP.join("SPLUNK") + CRED_SEP
CRED_CHUNK = 255


@dataclass(frozen=True)
class StandInRequest:
    """One request as the stand-in saw it, for assertions."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    authorized: bool
    status: int


@dataclass
class StandInFaults:
    """Failures to answer with, settable at any time."""

    kvstore_unavailable: bool = False  # every KV store call answers 503, as while the KV store starts
    kvstore_disabled: bool = False  # no KV store at all, as on a heavy forwarder: server/info says so too
    unauthorized: bool = False  # every call answers 401, as after the session key expired
    # Writes (POST, DELETE) to KV store data: the next `kvstore_write_errors` writes to
    # `kvstore_write_collection` (any, when empty), after letting `kvstore_write_after` through, answer
    # `kvstore_write_status` and change nothing, as a KV store that is restarting or full does.
    kvstore_write_errors: int = 0
    kvstore_write_status: int = 503
    kvstore_write_collection: str = ""
    kvstore_write_after: int = 0
    kvstore_unreadable: str = (
        ""  # reads (GET) of this collection answer 503, as a collection that fails alone
    )

    def take_kvstore_write(self, collection: str) -> bool:
        """Uses up one write fault if this write gets it (the caller holds the stand-in's lock)."""
        if self.kvstore_write_errors <= 0 or self.kvstore_write_collection not in ("", collection):
            return False
        if self.kvstore_write_after > 0:
            self.kvstore_write_after -= 1
            return False
        self.kvstore_write_errors -= 1
        return True


@dataclass
class _State:
    confs: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    passwords: dict[str, dict[str, str]] = field(default_factory=dict)  # entity name -> realm/user/clear
    collections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    messages: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: list[StandInRequest] = field(default_factory=list)


class _HttpError(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class SplunkdStandIn:
    """splunkd's REST API on 127.0.0.1 and a free port; use as a context manager."""

    def __init__(
        self,
        app: str = APP_ID,
        session_key: str | None = None,
        capabilities: tuple[str, ...] = ("admin_all_objects", ADMIN_CAPABILITY, "list_storage_passwords"),
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.app = app
        self.session_key = session_key or secrets.token_hex(20)
        self.capabilities = capabilities  # what authentication/current-context says the caller may do
        self.faults = StandInFaults()
        self._state = _State()
        self._lock = threading.Lock()
        self._scheme = "https" if tls is not None else "http"
        self._server = Server(self._serve, name="splunkd stand-in", tls=tls)

    def __enter__(self) -> SplunkdStandIn:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop()

    @property
    def uri(self) -> str:
        """splunkd's management URI, as splunkd passes it to scripts (`server_uri`)."""
        return f"{self._scheme}://127.0.0.1:{self._server.port}"

    @property
    def requests(self) -> list[StandInRequest]:
        with self._lock:
            return list(self._state.requests)

    def set_conf(self, file: str, stanza: str, values: dict[str, Any]) -> None:
        """Create or update a stanza of `<file>.conf` (file without `.conf`)."""
        with self._lock:
            current = self._state.confs.setdefault(file, {}).setdefault(stanza, {})
            current.update({key: str(value) for key, value in values.items()})

    def conf(self, file: str) -> dict[str, dict[str, str]]:
        with self._lock:
            return {name: dict(values) for name, values in self._state.confs.get(file, {}).items()}

    def set_password(self, realm: str, user: str, clear: str) -> None:
        """Store one storage/passwords entry, as `POST storage/passwords` does."""
        with self._lock:
            self._state.passwords[_password_name(realm, user)] = {
                "realm": realm,
                "username": user,
                "clear_password": clear,
            }

    def set_encrypted(self, file: str, stanza: str, values: dict[str, str]) -> None:
        """Save fields the way UCC saves encrypted fields: `********` in the conf, the clear values as one
        JSON object in storage/passwords (realm `__REST_CREDENTIAL__#<app>#configs/conf-<file>`, user =
        stanza), split into 255-character parts with an end mark as solnlib's CredentialManager does."""
        realm = f"__REST_CREDENTIAL__#{self.app}#configs/conf-{file}"
        with self._lock:
            stored = self._state.passwords
            existing = _joined_parts(stored, realm, stanza)
            merged = {**(json.loads(existing) if existing else {}), **values}
            for name in [n for n, e in stored.items() if e["realm"] == realm and _is_part_of(e, stanza)]:
                del stored[name]
        self.set_conf(file, stanza, dict.fromkeys(values, MASK))
        text = json.dumps(merged)
        parts = [text[start : start + CRED_CHUNK] for start in range(0, len(text), CRED_CHUNK)]
        for index, part in enumerate([*parts, CRED_END_MARK], start=1):
            self.set_password(realm, f"{stanza}{CRED_SEP}{index}", part)

    def passwords(self) -> list[dict[str, str]]:
        with self._lock:
            return [dict(entry) for entry in self._state.passwords.values()]

    def create_collection(self, name: str, docs: list[dict[str, Any]] | None = None) -> None:
        """Declare a KV store collection (collections.conf), optionally with documents."""
        with self._lock:
            collection = self._state.collections.setdefault(name, {})
            for doc in docs or []:
                _save(collection, doc)

    def collection(self, name: str) -> list[dict[str, Any]]:
        """The documents of a collection, sorted by `_key`."""
        with self._lock:
            docs = self._state.collections[name]
            return [dict(docs[key]) for key in sorted(docs)]

    def messages(self) -> list[dict[str, str]]:
        """Messages posted to `services/messages` (what Splunk Web shows in its Messages menu)."""
        with self._lock:
            return [dict(message) for message in self._state.messages.values()]

    def _serve(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        lowered = {key.lower(): value for key, value in headers.items()}
        status, kind, text = self._handle(method, path, lowered, body)
        # As splunkd does; splunklib closes a connection that is not keep-alive before reading the body.
        return Reply(status, {"Content-Type": kind, "Connection": "Keep-Alive"}, text.encode("utf-8"))

    def _handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, str]:
        parts = urlsplit(raw_path)
        query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        kind = headers.get("content-type", "")
        form = kind.startswith("application/x-www-form-urlencoded")
        # splunklib posts a form without saying so; splunkd reads it all the same (KV store data is JSON)
        if form or (body and not kind and "/storage/collections/data/" not in parts.path):
            query.update(
                {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
            )
        as_json = query.get("output_mode") == "json"
        authorized = headers.get("authorization") == f"Splunk {self.session_key}"
        try:
            if not authorized or self.faults.unauthorized:
                raise _HttpError(401, "call not properly authenticated")
            status, payload = self._route(method, _endpoint(parts.path), query, body)
            kind, text = "application/json", "" if payload is None else json.dumps(payload)
        except _HttpError as err:
            status, kind, text = err.status, *_error_body(err, as_json)
        with self._lock:
            self._state.requests.append(StandInRequest(method, parts.path, query, body, authorized, status))
        return status, kind, text

    def _route(self, method: str, endpoint: list[str], query: dict[str, str], body: bytes) -> tuple[int, Any]:
        if endpoint[:3] != ["storage", "collections", "data"] and query.get("output_mode") != "json":
            raise _HttpError(400, "the stand-in answers feeds only with output_mode=json (no Atom XML)")
        if endpoint[:2] == ["server", "info"] and method == "GET":
            status = "disabled" if self.faults.kvstore_disabled else _SERVER_INFO["kvStoreStatus"]
            return 200, self._feed(
                "server-info", [("server-info", {**_SERVER_INFO, "kvStoreStatus": status})]
            )
        if endpoint[:2] == ["authentication", "current-context"] and method == "GET":
            context = {"username": "caller", "roles": [], "capabilities": list(self.capabilities)}
            return 200, self._feed("current-context", [("context", context)])
        if endpoint[:1] == ["messages"]:
            return self._messages(method, endpoint[1:], query)
        if endpoint[:1] and endpoint[0].startswith("configs") and len(endpoint) >= 2:
            return 200, self._conf(method, endpoint[1], endpoint[2:], query)
        if endpoint[:2] == ["storage", "passwords"]:
            return self._passwords(method, endpoint[2:], query)
        if endpoint[:3] == ["storage", "collections", "data"] and len(endpoint) >= 4:
            if self.faults.kvstore_disabled:
                raise _HttpError(503, "KV Store is disabled. Please enable it to start the data store.")
            if self.faults.kvstore_unavailable:
                raise _HttpError(503, "KV Store is initializing. Please try again later.")
            return self._kvstore(method, endpoint[3], endpoint[4:], query, body)
        raise _HttpError(404, f"Not Found: {'/'.join(endpoint)}")

    def _feed(self, title: str, entries: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
        return {
            "links": {},
            "origin": f"{self.uri}/services/{title}",
            "updated": "2026-01-01T00:00:00+00:00",
            "generator": {"build": _SERVER_INFO["build"], "version": _SERVER_INFO["version"]},
            "entry": [
                {
                    "name": name,
                    "id": f"{self.uri}/servicesNS/nobody/{self.app}/{title}/{name}",
                    "content": content,
                    "acl": {"app": self.app, "owner": "nobody", "sharing": "app"},
                }
                for name, content in entries
            ],
            "paging": {"total": len(entries), "perPage": 30, "offset": 0},
            "messages": [],
        }

    def _conf(self, method: str, kind: str, rest: list[str], query: dict[str, str]) -> dict[str, Any]:
        if method != "GET":
            raise _HttpError(405, "the stand-in's conf endpoints are read-only")
        file = kind.removeprefix("conf-")
        with self._lock:
            stanzas = {name: dict(values) for name, values in self._state.confs.get(file, {}).items()}
        if rest:
            name = unquote(rest[0])
            if name not in stanzas:
                raise _HttpError(404, f"Could not find object id={name}")
            stanzas = {name: stanzas[name]}
        entries = [(name, {"disabled": False, **values}) for name, values in sorted(stanzas.items())]
        return self._feed(f"configs/conf-{file}", _paged(entries, query))

    def _passwords(self, method: str, rest: list[str], query: dict[str, str]) -> tuple[int, Any]:
        with self._lock:
            stored = self._state.passwords
            if method == "POST" and not rest:
                name = _password_name(query.get("realm", ""), query["name"])
                if name in stored:
                    raise _HttpError(409, f"An object with name={query['name']} already exists")
                stored[name] = {
                    "realm": query.get("realm", ""),
                    "username": query["name"],
                    "clear_password": query["password"],
                }
                rest = [name]
            names = [unquote(rest[0])] if rest else sorted(stored)
            if rest and names[0] not in stored:
                raise _HttpError(404, f"Could not find object id={names[0]}")
            if method == "DELETE" and rest:
                del stored[names[0]]
                return 200, self._feed("storage/passwords", [])
            if method == "POST" and rest and "password" in query:
                stored[names[0]]["clear_password"] = query["password"]
            search = query.get("search", "")
            entries = [
                (name, _password_content(stored[name]))
                for name in names
                if not search or search.removeprefix("realm=") in json.dumps(stored[name])
            ]
        return 200, self._feed("storage/passwords", _paged(entries, query))

    def _messages(self, method: str, rest: list[str], query: dict[str, str]) -> tuple[int, Any]:
        with self._lock:
            if method == "POST":
                self._state.messages[query["name"]] = {
                    "name": query["name"],
                    "message": query["value"],
                    "severity": query.get("severity", "info"),
                }
            entries = [
                (name, {"message": m["message"], "severity": m["severity"]})
                for name, m in sorted(self._state.messages.items())
                if not rest or name == rest[0]
            ]
        return 200, self._feed("messages", entries)

    def _kvstore(
        self, method: str, name: str, rest: list[str], query: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        with self._lock:
            if name not in self._state.collections:
                raise _HttpError(404, f"Collection '{name}' does not exist in app '{self.app}'")
            collection = self._state.collections[name]
            if method == "GET" and name == self.faults.kvstore_unreadable:
                raise _HttpError(503, "KV Store read failed: try again later.")
            if method in ("POST", "DELETE") and self.faults.take_kvstore_write(name):
                raise _HttpError(self.faults.kvstore_write_status, "KV Store write failed: try again later.")
            if rest == ["batch_save"] and method == "POST":
                docs = _json_body(body)
                if not isinstance(docs, list):
                    raise _HttpError(400, "Request body must be a JSON array of documents")
                if len(docs) > BATCH_SAVE_LIMIT:
                    raise _HttpError(
                        400,
                        "Request exceeds API limits - see limits.conf for details. (Too many documents "
                        f"for a single batch save, limit is {BATCH_SAVE_LIMIT})",
                    )
                return 200, [_save(collection, doc) for doc in docs]
            if rest:
                return _by_key(collection, method, unquote(rest[0]), body)
            if method == "POST":
                doc = _json_body(body)
                if isinstance(doc, dict) and str(doc.get("_key") or "") in collection:
                    raise _HttpError(409, "A document with the same key and user already exists.")
                return 201, {"_key": _save(collection, doc)}
            matching = _matching(collection, query.get("query"))
            if method == "DELETE":
                for key in matching:
                    del collection[key]
                return 200, None
            docs = _sorted([collection[key] for key in matching], query.get("sort", ""))
            skip, limit = int(query.get("skip") or 0), int(query.get("limit") or 0)
            limit = min(limit or MAX_ROWS_PER_QUERY, MAX_ROWS_PER_QUERY)
            return 200, [_project(doc, query.get("fields", "")) for doc in docs[skip : skip + limit]]


def _by_key(collection: dict[str, dict[str, Any]], method: str, key: str, body: bytes) -> tuple[int, Any]:
    if method == "POST":
        return 200, {"_key": _save(collection, {**_json_body(body), "_key": key})}
    if key not in collection:
        raise _HttpError(404, f"Could not find object id={key}")
    if method == "DELETE":
        del collection[key]
        return 200, None
    return 200, dict(collection[key])


_SERVER_INFO: dict[str, Any] = {
    "version": "9.4.1",
    "build": "e3bdab203ac8",
    "serverName": "splunkd-stand-in",
    "product_type": "enterprise",
    "kvStoreStatus": "ready",
    "os_name": "Linux",
}


def _endpoint(path: str) -> list[str]:
    """`/services/x/y` or `/servicesNS/<owner>/<app>/x/y` -> ['x', 'y'] (segments still URL-encoded)."""
    segments = [segment for segment in path.split("/") if segment]
    if segments[:1] == ["servicesNS"]:
        return segments[3:]
    if segments[:1] == ["services"]:
        return segments[1:]
    return segments


def _password_name(realm: str, user: str) -> str:
    escaped = [part.replace(":", "\\:") for part in (realm, user)]
    return f"{escaped[0]}:{escaped[1]}:"


def _password_content(entry: dict[str, str]) -> dict[str, Any]:
    return {**entry, "password": MASK, "encr_password": "$7$" + "x" * 16}


def _is_part_of(entry: dict[str, str], user: str) -> bool:
    return entry["username"] == user or entry["username"].startswith(user + CRED_SEP)


def _joined_parts(stored: dict[str, dict[str, str]], realm: str, user: str) -> str:
    parts = {}
    for entry in stored.values():
        prefix = user + CRED_SEP
        if entry["realm"] == realm and entry["username"].startswith(prefix):
            parts[int(entry["username"][len(prefix) :])] = entry["clear_password"]
    text = ""
    for index in sorted(parts):
        if parts[index] == CRED_END_MARK:
            break
        text += parts[index]
    return text


def _paged(
    entries: list[tuple[str, dict[str, Any]]], query: dict[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    offset, count = int(query.get("offset") or 0), int(query.get("count") or 30)
    return entries[offset:] if count <= 0 else entries[offset : offset + count]


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError as err:
        raise _HttpError(400, f"Request body is not valid JSON: {err}") from err


def _save(collection: dict[str, dict[str, Any]], doc: dict[str, Any]) -> str:
    if not isinstance(doc, dict):
        raise _HttpError(400, "Each document must be a JSON object")
    key = str(doc.get("_key") or uuid.uuid4().hex)
    collection[key] = {**doc, "_key": key, "_user": "nobody"}
    return key


def _matching(collection: dict[str, dict[str, Any]], query_text: str | None) -> list[str]:
    condition = _json_body(query_text.encode("utf-8")) if query_text else {}
    return [key for key, doc in collection.items() if _matches(doc, condition)]


_COMPARE = {
    "$gt": lambda value, operand: value is not None and value > operand,
    "$gte": lambda value, operand: value is not None and value >= operand,
    "$lt": lambda value, operand: value is not None and value < operand,
    "$lte": lambda value, operand: value is not None and value <= operand,
    "$ne": lambda value, operand: value != operand,
    "$regex": lambda value, operand: value is not None and re.search(operand, str(value)) is not None,
}


def _matches(doc: dict[str, Any], condition: dict[str, Any]) -> bool:
    """The subset of the KV store's query language that Splunk documents: equality, $gt, $gte, $lt,
    $lte, $ne, $regex, $and, $or, $not."""
    for name, operand in condition.items():
        if name == "$and" and not all(_matches(doc, part) for part in operand):
            return False
        if name == "$or" and not any(_matches(doc, part) for part in operand):
            return False
        if name == "$not" and _matches(doc, operand):
            return False
        if name.startswith("$"):
            continue
        value = doc.get(name)
        if isinstance(operand, dict):
            if not all(_COMPARE[op](value, arg) for op, arg in operand.items()):
                return False
        elif value != operand:
            return False
    return True


def _sorted(docs: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    for spec in reversed([part for part in sort.split(",") if part]):
        name, _, direction = spec.partition(":")
        docs = sorted(docs, key=lambda doc, n=name: str(doc.get(n, "")), reverse=direction == "-1")
    return docs


def _project(doc: dict[str, Any], fields: str) -> dict[str, Any]:
    specs = [part.partition(":") for part in fields.split(",") if part]
    excluded = {name for name, _, flag in specs if flag == "0"}
    included = {name for name, _, flag in specs if flag != "0"}
    if included:
        return {k: v for k, v in doc.items() if (k in included or k == "_key") and k not in excluded}
    return {k: v for k, v in doc.items() if k not in excluded}


def _error_body(err: _HttpError, as_json: bool) -> tuple[str, str]:
    if as_json:
        return "application/json", json.dumps({"messages": [{"type": "ERROR", "text": err.text}]})
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<response><messages><msg type="ERROR">{escape(err.text)}</msg></messages></response>'
    )
    return "text/xml", xml
