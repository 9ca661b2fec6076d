"""Fixtures: a small running tenant and a client for it."""

from __future__ import annotations

import pytest

from devkit.simulator import SimulatedTenant
from devkit.simulator.api import API1_ONLY

from .simclient import Api


@pytest.fixture
def tenant():
    with SimulatedTenant(users=200, seed=11) as running:
        yield running


@pytest.fixture
def api(tenant):
    return Api(tenant)


@pytest.fixture
def api1(tenant):
    """An API 1.0 (HMAC) client: training campaigns exist only in API 1.0."""
    return Api(tenant, mode="hmac")


@pytest.fixture
def api_for(api, api1):
    """The client that can call a path: API 1.0 for the training campaigns, API 2.0 for the rest."""
    return lambda path: api1 if path in API1_ONLY else api
