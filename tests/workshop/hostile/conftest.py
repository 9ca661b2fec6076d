"""The hostile Mimecast and a splunkd stand-in with accounts for it; every bin script run under a memory cap
(RLIMIT_AS), so an answer that would blow memory up fails the run instead of the machine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devkit.hostile import FORGED_LINE, HostileMimecast

MEMORY_CAP_MB = 768
# The behaviours a bin script meets with its default bounds in a test's time: a slow drip (of the body or
# of the headers) waits out the 300 s request deadline and endless tokens the 20,000-page cap, so those
# three are driven through the client with small bounds instead (tests/workshop/mimecast/test_hostile.py).
BIN_BEHAVIOURS = (
    "huge_page",
    "oversized",
    "gzip_bomb",
    "deep_json",
    "wrong_types",
    "lone_surrogates",
    "non_finite",
    "looping_tokens",
    "hour_reset",
    "hour_429",
    "redirect",
    "echo_credentials",
    "newline_errors",
)


@pytest.fixture(scope="session")
def capped_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An interpreter that runs under a virtual-memory cap of MEMORY_CAP_MB."""
    wrapper = tmp_path_factory.mktemp("capped") / "python"
    wrapper.write_text(f'#!/bin/sh\nulimit -v {MEMORY_CAP_MB * 1024}\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def secrets_of(server: HostileMimecast) -> list[str]:
    keys = server.keys
    return [keys.client_secret, keys.app_key, keys.access_key, keys.secret_key]


def assert_clean(text: str, server: HostileMimecast, *more: str) -> None:
    """No secret, no memory failure, no crash, and no forged line anywhere in what the run wrote."""
    for secret in (*secrets_of(server), *more):
        assert secret not in text
    assert "MemoryError" not in text and "Traceback" not in text, text[-2000:]
    assert not any(line.startswith(FORGED_LINE[:10]) for line in text.splitlines()), text[-2000:]
    assert "\x1b" not in text and "\r" not in text


def log_text(home: Path, name: str) -> str:
    path = home / "var" / "log" / "splunk" / f"ta_mimecast_awareness_{name}.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""
