"""A million-user tenant serves its first and last pages without ever holding its users."""

from __future__ import annotations

import tracemalloc

import pytest

from devkit.simulator import SimulatedTenant
from devkit.simulator.api import page_token

from .simclient import DETAILS, PERFORMANCE, TRAINING, Api


@pytest.mark.timeout(60)
def test_million_users_first_and_last_pages_in_little_memory():
    tracemalloc.start()
    try:
        with SimulatedTenant(users=1_000_000, seed=3) as tenant:
            api = Api(tenant)
            first = api.post(DETAILS, page_size=500)
            assert first["meta"]["pagination"]["totalCount"] == 1_000_000
            assert len(first["data"]) == 500
            near_end = api.post(DETAILS, page_size=500, token=page_token(999_700, 999_700))
            assert len(near_end["data"]) == 300
            assert "next" not in near_end["meta"]["pagination"]
            assert near_end["data"][-1]["emailAddress"].endswith(".999999@simulated.example")
            details = api.post(
                PERFORMANCE, [{"includeUserDetails": True}], page_size=500, token=page_token(500_000, 500_000)
            )
            assert len(details["data"]) == 500
            last = near_end["data"][-1]["emailAddress"]
            assert api.post(TRAINING, [{"emailAddress": last}])["data"][0]["training"]
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40_000_000, f"peak {peak / 1e6:.1f} MB: users are being held"


def test_advance_on_a_million_users_stays_small():
    with SimulatedTenant(users=1_000_000, seed=3) as tenant:
        tenant.advance(changed=1000, removed=500, added=200)
        assert tenant.user_count == 999_700
        api = Api(tenant)
        body = api.post(DETAILS, page_size=10, token=page_token(999_690, 999_690))
        assert len(body["data"]) == 10 and "next" not in body["meta"]["pagination"]
