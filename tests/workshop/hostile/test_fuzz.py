"""Seeded fuzzing of what splunkd hands the add-on: the modular-input definition (XML), the search command's
SCP v2 chunks and the alert actions' payload. A bounded number of deterministic cases each, every one run as
splunkd runs it under the memory cap: it ends in time, without a memory failure or a secret in its output."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from devkit import modinput
from devkit.simulator import SimulatedTenant
from devkit.splunkd import SplunkdStandIn
from splunk_app.risk.table import COLLECTION
from workshop.actions.conftest import run_action, splunk_home, splunkd, tenant  # noqa: F401 - the actions' fixtures
from workshop.search import harness

from .conftest import assert_clean

CASES = 12
SECONDS = 60
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b"]><input><server_uri>&lol9;</server_uri></input>"
)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One seeded mutation of a byte string, of the kinds a broken or hostile peer would send."""
    kind = rng.randrange(7)
    at = rng.randrange(len(data) + 1)
    if kind == 0:  # cut short
        return data[:at]
    if kind == 1:  # bytes flipped
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if kind == 2:  # a part repeated many times
        return data[:at] + data[at : at + 64] * rng.randint(2, 2000) + data[at:]
    if kind == 3:  # invalid UTF-8 and control characters
        return data[:at] + b"\xff\xfe\x00\x1b[31m\r\n\xed\xa0\x80" + data[at:]
    if kind == 4:  # deep nesting
        return data[:at] + b"<a>" * 5000 + b"[" * 5000 + b"{" * 5000 + data[at:]
    if kind == 5:  # numbers made huge or negative
        return bytes(data.replace(b"1", b"99999999999999999999", 3).replace(b",", b",-", 1))
    return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 256))) + data[at:]


@pytest.mark.parametrize("seed", range(CASES))
def test_a_mangled_input_definition_is_refused_within_bounds(
    seed: int, capped_python: str, tmp_path: Path
) -> None:
    with SimulatedTenant(users=5, seed=1) as sim, SplunkdStandIn() as standin:
        modinput.add_account(standin, "sim", sim)
        standin.create_collection(COLLECTION)
        definition = modinput.input_definition(
            "mimecast_at_safe_score://fuzz",
            {"account": "sim", "index": "mimecast", "interval": "3600"},
            server_uri=standin.uri,
            session_key=standin.session_key,
            checkpoint_dir=str(tmp_path),
        )
        data = BILLION_LAUGHS if seed == 0 else mutate(definition, random.Random(seed))
        home = tmp_path / "home"
        result = modinput.run(
            modinput.script_path("mimecast_at_safe_score"),
            data,
            capped_python,
            {"SPLUNK_HOME": str(home)},
            SECONDS,
        )
    log_file = home / "var" / "log" / "splunk" / "ta_mimecast_awareness_safe_score.log"
    written = result.stderr + (log_file.read_text(encoding="utf-8") if log_file.exists() else "")
    assert result.returncode != 0 and not result.events
    assert "MemoryError" not in written
    for secret in (standin.session_key, sim.keys.client_secret):
        assert secret not in written
    if seed == 0:
        assert "amplification" in written  # expat refuses the entity expansion before it grows


def test_a_mangled_input_definition_is_one_line_without_a_traceback(
    capped_python: str, tmp_path: Path
) -> None:
    data = mutate(b"<input><server_uri>https://127.0.0.1:8089</server_uri></input>", random.Random(1))
    result = modinput.run(modinput.script_path("mimecast_at_safe_score"), data, capped_python, {}, SECONDS)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("seed", range(CASES))
def test_mangled_search_chunks_end_within_bounds(seed: int, capped_python: str, tmp_path: Path) -> None:
    table = harness.write_table(tmp_path / "risk.csv")
    rows = [{"user": f"{name}@example.com", "_raw": "x"} for name in ("ann", "bob", "erin")]
    with SplunkdStandIn() as standin:  # the table in the KV store, as on a search head
        standin.create_collection(COLLECTION, harness.documents(table))
        searchinfo = {"splunkd_uri": standin.uri, "session_key": standin.session_key}
        data = mutate(harness.exchange([], [rows, rows], **searchinfo), random.Random(seed))
        # chunked.run raises TimeoutExpired past SECONDS: ending at all is the first half of the check.
        run = harness.run(data, None, python=capped_python, timeout=SECONDS)
    assert "MemoryError" not in run.stderr
    assert run.returncode != 0 or all(level != "ERROR" for level, _ in run.messages), run.messages


@pytest.mark.parametrize("seed", range(CASES))
def test_a_mangled_alert_payload_is_one_clean_refusal(
    run_action,  # noqa: F811 - the fixture imported above
    tenant: SimulatedTenant,  # noqa: F811 - the fixture imported above
    seed: int,
    capped_python: str,
) -> None:
    rng = random.Random(seed)
    document = {
        "configuration": {"account": "prod", "group": "High Risk Users", "dry_run": "0"},
        "sid": "fuzz",
    }
    text = json.dumps(document)
    payload = mutate(text.encode(), rng).decode("utf-8", "replace")
    if seed % 3 == 0:  # well-formed JSON of the wrong shape
        payload = json.dumps(
            rng.choice([[], "text", 1e308, {"configuration": [1, 2]}, {"results_file": "/etc/passwd"}])
        )
    run = run_action("mimecast_add_to_group", [], payload=payload, python=(capped_python,))
    assert run.status != 0 or not tenant.requests
    assert_clean(run.stderr + "\n".join(run.lines), tenant)
