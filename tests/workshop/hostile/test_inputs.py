"""Every input type, run as splunkd runs it, against every hostile answer: it ends within its bounds (time,
and memory under a cap), says what happened in its log without a secret or a forged line, and loses no
record it could read."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from devkit import modinput
from devkit.hostile import HostileMimecast
from devkit.splunkd import SplunkdStandIn
from splunk_app.inputs.catalogue import CATALOGUE
from splunk_app.risk.table import COLLECTION

from .conftest import BIN_BEHAVIOURS, assert_clean, log_text

SECONDS = 60
# Answers that carry records which JSON can hold: every record must still be indexed, losslessly.
RECORDS_KEPT = ("lone_surrogates", "non_finite")
# OAuth 2.0 adds the token call; its own hostile case is a server echoing the bearer token and the secret.
OAUTH_BEHAVIOURS = ("echo_credentials", "hour_429", "redirect")
# A wait Mimecast asks for after the last call of a run costs nothing: such a run may complete.
MAY_COMPLETE = ("hour_reset",)


def params_for(input_type: str, server: HostileMimecast) -> dict[str, str]:
    params = {"account": "sim", "index": "mimecast", "interval": "3600", "page_size": "5"}
    if CATALOGUE[input_type].name == "training":
        params["users"] = next(iter(server.tenant.expected_users()))["emailAddress"]
    return params


CASES = [
    *((behaviour, "hmac", input_type) for behaviour in BIN_BEHAVIOURS for input_type in sorted(CATALOGUE)),
    *(
        (behaviour, "oauth2", input_type)
        for behaviour in OAUTH_BEHAVIOURS
        for input_type in sorted(CATALOGUE)
        if CATALOGUE[input_type].name != "campaign"  # training campaigns need API 1.0 keys
    ),
]


@pytest.mark.parametrize(("behaviour", "auth", "input_type"), CASES)
def test_an_input_run_against_a_hostile_mimecast_is_bounded_and_clean(
    behaviour: str,
    auth: str,
    input_type: str,
    capped_python: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    home = tmp_path / "splunk_home"
    with HostileMimecast(behaviour) as hostile, SplunkdStandIn() as splunkd:
        modinput.add_account(splunkd, "sim", hostile, auth=auth)
        splunkd.create_collection(COLLECTION)
        (tmp_path / "checkpoints").mkdir()
        definition = modinput.input_definition(
            f"{input_type}://hostile",
            params_for(input_type, hostile),
            server_uri=splunkd.uri,
            session_key=splunkd.session_key,
            checkpoint_dir=str(tmp_path / "checkpoints"),
        )
        started = time.monotonic()
        result = modinput.run(
            modinput.script_path(input_type), definition, capped_python, {"SPLUNK_HOME": str(home)}, SECONDS
        )
        elapsed = time.monotonic() - started
    log = log_text(home, CATALOGUE[input_type].name)
    assert elapsed < SECONDS
    assert_clean(result.stderr + log, hostile, splunkd.session_key)
    assert hostile.calls, "the input made no call to Mimecast"
    if hostile.behaviour in RECORDS_KEPT:
        assert result.returncode == 0, log[-2000:]
        assert result.events, log[-2000:]
        for event in result.events:
            json.loads(event.data)  # each event is JSON again, whatever it carried
    elif hostile.behaviour not in MAY_COMPLETE or result.returncode != 0:
        assert result.returncode != 0 or not result.events, log[-2000:]
        errors = [line for line in log.splitlines() if " ERROR " in line]
        assert len(errors) == 1, errors
