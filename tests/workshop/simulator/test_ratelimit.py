"""Every response carries X-RateLimit-*; over the limit the call is refused with 429 and not executed."""

from __future__ import annotations

from devkit.simulator import SimulatedTenant
from devkit.simulator.ratelimit import RateLimiter

from .simclient import ADD_MEMBER, DETAILS, FIND_GROUPS, Api


def test_headers_on_every_response(tenant, api):
    for response in (
        api.token(),
        api.raw(DETAILS),
        api.raw("/api/nowhere"),
        api.session.get(tenant.base_url + DETAILS, timeout=10),
    ):
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(response.headers)
        assert response.headers["X-RateLimit-Limit"] == "800"
        assert 0 < int(response.headers["X-RateLimit-Reset"]) <= 5000


def test_limit_then_429_then_reset():
    now = [0.0]
    with SimulatedTenant(users=10, seed=1, rate_limit=3, rate_window=2.0, clock=lambda: now[0]) as tenant:
        api = Api(tenant)
        remaining = [api.token().headers["X-RateLimit-Remaining"]]
        remaining += [api.raw(DETAILS).headers["X-RateLimit-Remaining"] for _ in range(2)]
        assert remaining == ["2", "1", "0"]
        now[0] = 0.5
        refused = api.raw(DETAILS)
        assert refused.status_code == 429
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert refused.headers["X-RateLimit-Reset"] == "1500"
        assert refused.json()["fail"][0]["errors"][0]["code"] == "err_rate_limit_exceeded"
        now[0] = 2.0
        assert api.raw(DETAILS).status_code == 200


def test_refused_call_is_not_executed():
    now = [0.0]
    with SimulatedTenant(users=10, seed=1, rate_limit=2, rate_window=60, clock=lambda: now[0]) as tenant:
        api = Api(tenant)
        group = api.post(FIND_GROUPS, [{"query": "SOC"}])["data"][0]["folders"][0]["id"]
        refused = api.raw(ADD_MEMBER, [{"id": group, "emailAddress": "a.b.1@simulated.example"}])
        assert refused.status_code == 429
        assert tenant.group_members(group) == set()
        assert tenant.requests[-1].status == 429


def test_limiter_windows():
    now = [10.0]
    limiter = RateLimiter(2, 1.0, lambda: now[0])
    assert [limiter.hit().allowed for _ in range(3)] == [True, True, False]
    now[0] = 10.999
    assert limiter.hit().reset_ms == 1
    now[0] = 11.0
    fresh = limiter.hit()
    assert fresh.allowed and fresh.remaining == 1 and fresh.reset_ms == 1000
