"""Fixtures for running the bin/ inputs as splunkd runs them: a simulated tenant, a splunkd stand-in with
an account and the risk-table collection, and a runner that keeps the log file per test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devkit import modinput
from devkit.simulator import SimulatedTenant
from devkit.splunkd import SplunkdStandIn
from splunk_app.risk.table import COLLECTION

ACCOUNT = "sim"
LEGACY = "sim_hmac"  # API 1.0 keys: the training campaigns are not in API 2.0


@dataclass
class Splunkd:
    """Runs inputs against one stand-in and one checkpoint folder, like one splunkd over time."""

    standin: SplunkdStandIn
    checkpoints: Path
    home: Path

    def definition(self, input_type: str, params: dict[str, Any], name: str = "test") -> bytes:
        full = {"account": ACCOUNT, "index": "mimecast", "interval": "3600", **params}
        return modinput.input_definition(
            f"{input_type}://{name}",
            full,
            server_uri=self.standin.uri,
            session_key=self.standin.session_key,
            checkpoint_dir=str(self.checkpoints),
        )

    def run(self, input_type: str, **params: Any) -> modinput.RunResult:
        return modinput.run(
            modinput.script_path(input_type), self.definition(input_type, params), env=self.env, timeout=120
        )

    @property
    def env(self) -> dict[str, str]:
        return {"SPLUNK_HOME": str(self.home)}

    def log(self, data_set: str) -> list[str]:
        path = self.home / "var" / "log" / "splunk" / f"ta_mimecast_awareness_{data_set}.log"
        return path.read_text().splitlines() if path.exists() else []

    def table(self) -> dict[str, dict[str, Any]]:
        return {row["_key"]: row for row in self.standin.collection(COLLECTION)}


def payloads(result: modinput.RunResult, sourcetype: str | None = None) -> list[dict[str, Any]]:
    return [json.loads(event.data) for event in result.events if sourcetype in (None, event.sourcetype)]


def users_of(result: modinput.RunResult, sourcetype: str) -> list[str]:
    return [payload["mc_user"] for payload in payloads(result, sourcetype)]


@pytest.fixture
def tenant() -> Iterator[SimulatedTenant]:
    with SimulatedTenant(users=40, seed=5) as running:
        yield running


@pytest.fixture
def splunkd(tenant: SimulatedTenant, tmp_path: Path) -> Iterator[Splunkd]:
    with SplunkdStandIn() as standin:
        modinput.add_account(standin, ACCOUNT, tenant)
        modinput.add_account(standin, LEGACY, tenant, auth="hmac")
        standin.create_collection(COLLECTION)
        checkpoints = tmp_path / "modinputs"
        checkpoints.mkdir()
        yield Splunkd(standin, checkpoints, tmp_path / "splunk_home")
