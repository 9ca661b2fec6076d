"""`mimecast-at simulate` runs the tenant in the foreground and prints what a pull needs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
import requests

from .simclient import DETAILS

# Starts the command as a background job of a script does: SIGINT ignored (and here blocked too), which the
# command inherits through exec.
CTRL_C_IGNORED = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}); os.execv(sys.argv[1], sys.argv[1:])",
]


@pytest.mark.parametrize("launcher", [[], CTRL_C_IGNORED], ids=["plain", "ctrl-c-ignored"])
def test_simulate_prints_url_and_working_credentials(launcher):
    process = subprocess.Popen(
        [*launcher, sys.executable, "-m", "devkit.cli", "simulate", "--users", "25", "--seed", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        while not lines or not lines[-1].startswith("Press Ctrl-C"):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line.strip())
        output = "\n".join(lines)
        base_url = re.search(r"at (http://127\.0\.0\.1:\d+)", output).group(1)
        exports = dict(re.findall(r"export (MIMECAST_\w+)='([^']*)'", output))
        assert set(exports) == {
            "MIMECAST_CLIENT_ID",
            "MIMECAST_CLIENT_SECRET",
            "MIMECAST_APP_ID",
            "MIMECAST_APP_KEY",
            "MIMECAST_ACCESS_KEY",
            "MIMECAST_SECRET_KEY",
        }
        token = requests.post(
            f"{base_url}/oauth/token",
            data={
                "client_id": exports["MIMECAST_CLIENT_ID"],
                "client_secret": exports["MIMECAST_CLIENT_SECRET"],
                "grant_type": "client_credentials",
            },
            timeout=10,
        ).json()["access_token"]
        body = requests.post(
            base_url + DETAILS, json={"data": []}, timeout=10, headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert body["meta"]["pagination"]["totalCount"] == 25
        assert process.stdout.readline().strip() == "200 /oauth/token (no auth)"
        assert process.stdout.readline().strip() == f"200 {DETAILS} (oauth2)"
    finally:
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=10)
    assert process.returncode == 0 and "Stopped." in stdout
