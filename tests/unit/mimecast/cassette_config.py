"""One vcrpy configuration for recording and replaying: match on method, path and body; scrub every
credential, signature header and token before anything reaches a cassette."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import vcr

CASSETTES = Path(__file__).parent / "cassettes"
REDACTED = "REDACTED"
REPLAY_BASE_URL = "http://127.0.0.1:9"
_DROPPED_HEADERS = re.compile(r"^(authorization|x-mc-.*|proxy-authorization|cookie|set-cookie)$", re.I)
_DROPPED_REQUEST_HEADERS = re.compile(r"^content-length$", re.I)


def scrub_request(request):
    """Drops auth headers and masks the token form's client id and secret (applied at replay too, so
    the masked form still matches)."""
    dropped = [
        name
        for name in request.headers
        if _DROPPED_HEADERS.match(name) or _DROPPED_REQUEST_HEADERS.match(name)
    ]
    for name in dropped:
        del request.headers[name]
    if request.path.endswith("/oauth/token") and request.body:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        form = [(k, REDACTED if k in ("client_id", "client_secret") else v) for k, v in parse_qsl(body)]
        request.body = urlencode(form).encode()
    return request


def scrub_response(response):
    """Masks issued tokens and drops auth headers from the recorded answer."""
    response["headers"] = {k: v for k, v in response["headers"].items() if not _DROPPED_HEADERS.match(k)}
    raw = response["body"]["string"]
    try:
        payload = json.loads(raw)
    except ValueError:
        return response
    if isinstance(payload, dict) and "access_token" in payload:
        payload["access_token"] = REDACTED
        body = json.dumps(payload, separators=(",", ":")).encode()
        response["body"]["string"] = body
        response["headers"] = {
            k: ([str(len(body))] if k.lower() == "content-length" else v)
            for k, v in response["headers"].items()
        }
    return response


def replayer(record_mode: str = "none") -> vcr.VCR:
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode=record_mode,
        match_on=["method", "path", "body"],
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        decode_compressed_response=True,
    )
