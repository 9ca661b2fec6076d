"""The SOAR app's actions run as the SDK's local runner runs them (devkit/soar.py): a process of its own
under the SOAR venv's Python 3.13 (`make .venv-soar/bin/.ready`), against the simulated tenant on
127.0.0.1. Every run is checked for a traceback and for the asset's secrets in what it printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devkit import soar
from devkit.simulator import SimulatedTenant

GROUP = "High Risk Users"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    if any(here in Path(item.path).parents for item in items) and not soar.PYTHON.exists():
        raise pytest.UsageError(
            f"tests/soar need the SOAR app's venv: run make .venv-soar/bin/.ready ({soar.PYTHON})"
        )


@pytest.fixture
def tenant():
    with SimulatedTenant(users=30, seed=7) as running:
        yield running


@pytest.fixture
def asset(tenant) -> dict[str, Any]:
    return soar.asset_for(tenant.base_url, tenant.keys)


def secrets_of(keys: Any) -> list[str]:
    return [keys.client_secret, keys.app_key, keys.access_key, keys.secret_key]


def checked(run: soar.SoarRun, keys: Any) -> soar.SoarRun:
    assert "Traceback" not in run.output, run.output[-3000:]
    for secret in secrets_of(keys):
        assert secret not in run.output
    assert run.status == 0, run.output[-3000:]
    assert run.results, run.output[-3000:]
    return run


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def act(tenant, asset, state):
    """act(action, params=None, asset=None) -> SoarRun, checked."""

    def run(
        action: str, params: dict[str, Any] | None = None, *, asset_: dict[str, Any] | None = None
    ) -> soar.SoarRun:
        return checked(soar.run(action, asset_ or asset, params, state), tenant.keys)

    return run


def one_line(message: str) -> bool:
    return bool(message.strip()) and "\n" not in message.strip()
