"""What an attacker, a broken gateway or a broken proxy could answer (devkit/hostile.py): get user risk
ends with one line, success or failure, never a traceback, a secret or a forged line, in bounded time."""

from __future__ import annotations

import time

import pytest

from devkit import soar
from devkit.hostile import FORGED_LINE, HostileMimecast

from .conftest import checked, one_line

BEHAVIOURS = (
    "huge_page",
    "gzip_bomb",
    "deep_json",
    "wrong_types",
    "lone_surrogates",
    "looping_tokens",
    "hour_429",
    "echo_credentials",
    "newline_errors",
)


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_one_clear_outcome(behaviour, tmp_path):
    with HostileMimecast(behaviour) as server:
        started = time.monotonic()
        run = soar.run("get_user_risk", soar.asset_for(server.base_url, server.keys), {"user": "x"}, tmp_path)
        took = time.monotonic() - started
    checked(run, server.keys)
    assert one_line(run.message), run.message
    assert not any(line.startswith(FORGED_LINE[:10]) for line in run.output.splitlines())
    assert took < 120
    if behaviour == "hour_429":
        assert not run.ok and "rate limit" in run.message.lower()
