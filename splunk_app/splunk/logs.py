"""The add-on's log files, where Splunk indexes them into _internal, with secrets scrubbed out."""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import unicodedata
from logging.handlers import RotatingFileHandler
from typing import Any

PREFIX = "ta_mimecast_awareness"
LIBRARY = "splunk_app"  # the package's own module loggers (the client's retry warnings) share the file
MASK = "********"
MAX_BYTES = 25 * 1024 * 1024
BACKUPS = 5
_FORMAT = (
    "%(asctime)s %(levelname)s pid=%(process)d tid=%(threadName)s file=%(filename)s:%(lineno)d | %(message)s"
)
_FIELD_NAMES = r"session_?key|secret|password|passwd|app_key|access_key|token|api_key"
_PATTERNS = (
    # Authorization headers of every kind we send: Splunk session keys, OAuth bearer tokens, Mimecast HMAC.
    re.compile(
        r"(?i)\b((?:authorization[\"']?\s*[:=]\s*[\"']?)?(?:splunk|bearer|basic|mc)\s+)[^\s\"',;]{6,}"
    ),
    # key=value and "key": "value" (JSON, dict reprs) for every field name that carries a secret; a bare
    # `name: text` is how log lines name an endpoint (oauth_token: ...), so it is left alone.
    re.compile(
        rf"(?i)((?:[\"'][\w-]*(?:{_FIELD_NAMES})[\w-]*[\"']\s*:\s*|\b[\w-]*(?:{_FIELD_NAMES})[\w-]*\s*=\s*)"
        r"[\"']?)([^\"'\s,;&}]+)"
    ),
    # user:password@ in a proxy URL.
    re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)"),
)
_known: set[str] = set()
_known_lock = threading.Lock()


def hide(*secrets: str | None) -> None:
    """Mask these values wherever they would appear in any of the add-on's log lines from now on."""
    with _known_lock:
        _known.update(secret for secret in secrets if secret and len(secret) >= 4)


def scrub(text: str) -> str:
    """The text with every known secret and every secret-looking value masked."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)
    text = _PATTERNS[0].sub(lambda m: m.group(1) + MASK, text)
    text = _PATTERNS[1].sub(lambda m: m.group(1) + MASK, text)
    return _PATTERNS[2].sub(lambda m: m.group(1) + MASK + m.group(3), text)


def escape_controls(text: str, keep_newlines: bool = False) -> str:
    """`text` with control characters and line separators written as escapes (`\\n`, `\\x1b`), so that a
    value from outside (a Mimecast error, a group name, a result's field) cannot start a forged log line."""
    return "".join(
        char
        if (keep_newlines and char == "\n") or unicodedata.category(char) not in ("Cc", "Zl", "Zp")
        else ascii(char)[1:-1]
        for char in text
    )


def _indented(text: str) -> str:
    """A traceback whose every line after the first starts with white space: no line of it can begin with a
    time stamp, so Splunk keeps it in the one event, whatever an exception's message says."""
    first, *rest = escape_controls(text, keep_newlines=True).split("\n")
    return "\n".join([first, *(line if line[:1].isspace() else "\t" + line for line in rest)])


class ScrubbingFormatter(logging.Formatter):
    """Formats the whole line, traceback included, then scrubs it: no call site can leak a secret. The line
    itself is one line (control characters escaped); a traceback's lines are indented."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_controls(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def get_logger(component: str) -> logging.Logger:
    """The logger of one part of the add-on (an input, an alert action): it writes to
    `$SPLUNK_HOME/var/log/splunk/ta_mimecast_awareness_<component>.log` (rotated), or to stderr when
    SPLUNK_HOME is unset (a shell, a test). Under Splunk, the first component of a process also gets the
    lines of splunk_app's own modules (the Mimecast client's retries), which would otherwise go to stderr
    and so to splunkd.log; they still propagate, so nothing is hidden from a caller's own handlers."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", component):
        raise ValueError(f"log component must be letters, digits and _, not {component!r}")
    logger = logging.getLogger(f"{PREFIX}_{component}")
    if logger.handlers:
        return logger
    splunk_home = os.environ.get("SPLUNK_HOME")
    if splunk_home:
        folder = os.path.join(splunk_home, "var", "log", "splunk")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{PREFIX}_{component}.log")
        handler: logging.Handler = RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ScrubbingFormatter(_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    library = logging.getLogger(LIBRARY)
    if splunk_home and not library.handlers:
        library.addHandler(handler)
        library.setLevel(logging.INFO)
    return logger


def set_level(logger: logging.Logger, level: str) -> None:
    """Apply the Logging tab's level (DEBUG, INFO, WARNING, ERROR, CRITICAL; anything else -> INFO)."""
    name = str(level).strip().upper()
    name = name if name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "INFO"
    logger.setLevel(name)
    logging.getLogger(LIBRARY).setLevel(name)


SUMMARY_KINDS = ("input", "action", "check", "sweep")
# The outcomes each kind of summary line may carry: the health dashboard's series and colours read these
# (tests/content/test_health.py ties them), so a new outcome is declared here first.
SUMMARY_OUTCOMES = {
    "input": ("success", "partial", "skipped", "failed"),
    "action": ("ok", "partial", "failed"),
    "sweep": ("ok", "partial", "failed"),
    "check": ("ok", "skipped", "failed"),
}


def summary_line(kind: str, **fields: object) -> str:
    """One run's structured summary: `mc_summary=<kind> key=value ...`, a value of letters, digits and
    `_.:@/+-` as it is and any other one `quoted`, so Splunk's automatic key=value extraction reads it as
    written and the health dashboard charts it without `rex`. None leaves a field out (it does not apply);
    floats have three decimals."""
    if kind not in SUMMARY_KINDS:
        raise ValueError(f"summary kind must be one of {', '.join(SUMMARY_KINDS)}, not {kind!r}")
    if "outcome" in fields and fields["outcome"] not in SUMMARY_OUTCOMES[kind]:
        raise ValueError(f"a {kind} summary's outcome must be one of {SUMMARY_OUTCOMES[kind]}")
    parts = [f"mc_summary={kind}"]
    for key, value in fields.items():
        if value is None:  # does not apply to this run
            continue
        text = f"{value:.3f}" if isinstance(value, float) else str(value)
        parts.append(f"{key}={text}" if _BARE.fullmatch(text) else f"{key}={quoted(text)}")
    return " ".join(parts)


# A value that needs no quotes: nothing in it can end a value, start another pair or another line.
_BARE = re.compile(r"[\w.:@/+-]+")
# What free words cannot hold as themselves: a quote (so a backslash in them escapes nothing) and whatever
# ends a line. A value cannot hold the backslash (an escape under KV_MODE=auto_escaped) nor `=` either
# (should a reader look for pairs inside quotes too, or in the words after a line's pairs).
_UNSAFE_IN_WORDS = re.compile(r'["\x00-\x1f\x7f-\x9f\u2028\u2029]')
_UNSAFE_IN_VALUE = re.compile(r'["=\\\x00-\x1f\x7f-\x9f\u2028\u2029]')


def escaped(value: object) -> str:
    """A value from outside as a log line may hold it: every quote, `=`, backslash, control character and
    line separator written as a `\\xNN` (or `\\uNNNN`) escape, so that it can neither end the quotes
    around it (whether Splunk reads escapes, KV_MODE=auto_escaped, or not, auto), nor pass for a pair, nor
    start a line."""
    return _UNSAFE_IN_VALUE.sub(_escape, str(value))


def quoted(value: object) -> str:
    """`"value"`, `escaped`."""
    return f'"{escaped(value)}"'


def prose(text: str) -> str:
    """Our own words after a line's pairs (`... | words`), with quotes and line ends escaped; a value from
    outside goes into them `escaped` first."""
    return _UNSAFE_IN_WORDS.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def pairs(**fields: object) -> str:
    """`key="value" ...` for a log line, every value `quoted`; None leaves a field out (it does not apply)."""
    return " ".join(f"{key}={quoted(value)}" for key, value in fields.items() if value is not None)
