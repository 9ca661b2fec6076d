"""Same seed, same data; advance() moves to a new generation with exactly the asked-for changes."""

from __future__ import annotations

import pytest

from devkit.simulator import SimulatedTenant
from devkit.simulator.api import records_in
from devkit.simulator.population import Population

from .simclient import (
    CAMPAIGN_USERS,
    CAMPAIGNS,
    DETAILS,
    FIND_GROUPS,
    PERFORMANCE,
    PHISHING,
    PHISHING_USERS,
    QUEUE,
    WATCHLIST,
    Api,
)


def pull(api, path, data=None):
    return [record for body in api.pages(path, data, page_size=37) for record in body["data"]]


def test_same_seed_same_data_different_seed_different_data():
    with (
        SimulatedTenant(users=120, seed=5) as one,
        SimulatedTenant(users=120, seed=5) as two,
        SimulatedTenant(users=120, seed=6) as other,
    ):
        details = [pull(Api(t), DETAILS) for t in (one, two, other)]
        assert details[0] == details[1] != details[2]
        performance = [pull(Api(t), PERFORMANCE, [{"includeUserDetails": True}]) for t in (one, two)]
        assert performance[0] == performance[1]
        campaign = Api(one).post(PHISHING)["data"][0]["id"]
        assert pull(Api(one), PHISHING_USERS, [{"id": campaign}]) == pull(
            Api(two), PHISHING_USERS, [{"id": campaign}]
        )


def test_pages_concatenate_to_expected_users(tenant, api):
    assert pull(api, DETAILS) == list(tenant.expected_users())
    emails = [u["emailAddress"] for u in tenant.expected_users()]
    assert len(set(emails)) == len(emails) == 200


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (WATCHLIST, None),
        (PERFORMANCE, [{"includeUserDetails": True}]),
        (QUEUE, None),
        (CAMPAIGNS, None),
        (PHISHING, None),
        (FIND_GROUPS, None),
    ],
)
def test_expected_matches_what_is_served(tenant, api_for, path, data):
    bodies = api_for(path).pages(path, data, page_size=37)
    served = [record for body in bodies for record in records_in(path, body["data"])]
    assert served and served == list(tenant.expected(path, data))


def test_expected_campaign_results(tenant, api_for):
    for path, campaigns in ((CAMPAIGN_USERS, CAMPAIGNS), (PHISHING_USERS, PHISHING)):
        campaign = next(tenant.expected(campaigns))["id"]
        pages = api_for(path).pages(path, [{"id": campaign}])
        served = [item for body in pages for item in body["data"][0]["items"]]
        assert served and served == list(tenant.expected(path, [{"id": campaign}]))


def test_advance_changes_removes_and_adds(tenant, api):
    before = {u["emailAddress"]: u for u in pull(api, DETAILS)}
    tenant.advance(changed=10, removed=2, added=3)
    assert tenant.generation == 1 and tenant.user_count == 201
    after = {u["emailAddress"]: u for u in pull(api, DETAILS)}
    assert after == {u["emailAddress"]: u for u in tenant.expected_users()}
    assert len(set(before) - set(after)) == 2
    assert len(set(after) - set(before)) == 3
    changed = [e for e in set(before) & set(after) if before[e] != after[e]]
    assert len(changed) == 10
    assert all(before[e]["risk"] != after[e]["risk"] for e in changed)
    assert all(before[e]["name"] == after[e]["name"] for e in changed)


def test_advance_is_deterministic():
    results = []
    for _ in range(2):
        with SimulatedTenant(users=50, seed=9) as tenant:
            tenant.advance(changed=5, removed=3, added=4)
            tenant.advance(changed=7, removed=1)
            results.append(list(tenant.expected_users()))
    assert results[0] == results[1] and len(results[0]) == 50


def test_advance_updates_totals_and_summary(tenant, api):
    before = api.post("/api/awareness-training/company/get-safe-score-summary")["data"][0]["scoreCounts"]
    tenant.advance(removed=20)
    after = api.post("/api/awareness-training/company/get-safe-score-summary")["data"][0]["scoreCounts"]
    assert sum(before.values()) == 200 and sum(after.values()) == 180


def test_removed_user_has_no_training_details(tenant, api):
    emails = [u["emailAddress"] for u in tenant.expected_users()]
    tenant.advance(removed=100)
    remaining = {u["emailAddress"] for u in tenant.expected_users()}
    gone = next(e for e in emails if e not in remaining)
    body = api.post("/api/awareness-training/user/get-training-details", [{"emailAddress": gone}])
    assert body["data"] == [] and body["fail"][0]["errors"][0]["code"] == "err_user_not_found"


@pytest.mark.parametrize("removed", [(), (0,), (3, 4, 5), (0, 1, 9)])
def test_position_and_id_are_inverse(removed):
    population = Population(seed=1, initial=10, created=10, removed=removed, batches=((0, 0),))
    ids = [i for i in range(10) if i not in removed]
    assert population.count == len(ids)
    assert [population.id_at(p) for p in range(len(ids))] == ids
    assert list(population.ids()) == ids
    assert list(population.ids(2)) == ids[2:]
    assert [population.position_of(i) for i in ids] == list(range(len(ids)))
    assert all(population.position_of(i) is None for i in removed)
