"""Fixtures: a small running tenant and a client for it."""

from __future__ import annotations

import pytest

from devkit.simulator import SimulatedTenant

from .simclient import Api


@pytest.fixture
def tenant():
    with SimulatedTenant(users=200, seed=11) as running:
        yield running


@pytest.fixture
def api(tenant):
    return Api(tenant)
