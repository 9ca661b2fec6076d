"""meta.pagination: pageSize and pageToken in, pageSize (records on this page), totalCount and next out."""

from __future__ import annotations

import pytest

from .simclient import CAMPAIGN_USERS, CAMPAIGNS, DETAILS, PERFORMANCE, WATCHLIST


def test_walks_every_user_once_with_a_last_page_without_next(tenant, api):
    bodies = api.pages(DETAILS, page_size=64)
    assert [len(b["data"]) for b in bodies] == [64, 64, 64, 8]
    assert [b["meta"]["pagination"]["pageSize"] for b in bodies] == [64, 64, 64, 8]
    assert {b["meta"]["pagination"]["totalCount"] for b in bodies} == {200}
    assert all("next" in b["meta"]["pagination"] for b in bodies[:-1])
    assert "next" not in bodies[-1]["meta"]["pagination"]
    emails = [u["emailAddress"] for b in bodies for u in b["data"]]
    assert len(set(emails)) == 200


def test_exact_multiple_has_no_empty_last_page(api):
    bodies = api.pages(DETAILS, page_size=100)
    assert [len(b["data"]) for b in bodies] == [100, 100]


def test_default_page_size_is_25(api):
    body = api.post(DETAILS)
    assert len(body["data"]) == 25 and body["meta"]["pagination"]["pageSize"] == 25


def test_page_size_is_capped(api):
    assert len(api.post(DETAILS, page_size=5000)["data"]) == 200


def test_filtered_pages_count_only_matches(tenant, api):
    bodies = api.pages(WATCHLIST, page_size=7)
    total = bodies[0]["meta"]["pagination"]["totalCount"]
    records = [r for b in bodies for r in b["data"]]
    assert len(records) == total
    assert all(len(b["data"]) == 7 for b in bodies[:-1]) and 1 <= len(bodies[-1]["data"]) <= 7
    assert total == len(list(tenant.expected(WATCHLIST)))


def test_filtered_pages_with_filter_and_search(api):
    data = [
        {
            "filterBy": {"fieldName": "type", "value": "video_count_4_or_more"},
            "searchBy": {"fieldName": "customAttribute", "value": "london"},
        }
    ]
    bodies = api.pages(PERFORMANCE, data, page_size=3)
    records = [r for b in bodies for r in b["data"]]
    assert records and len(records) == bodies[0]["meta"]["pagination"]["totalCount"]
    assert all(r["numCorrect"] + r["numIncorrect"] >= 4 for r in records)


def test_campaign_lists_page_in_their_containers(api1):
    api = api1
    first = api.post(CAMPAIGNS, page_size=4)
    rest = api.post(CAMPAIGNS, page_size=4, token=first["meta"]["pagination"]["next"])
    names = [c["name"] for body in (first, rest) for c in body["data"][0]["campaigns"]]
    assert len(names) == len(set(names)) == 6
    campaign = first["data"][0]["campaigns"][0]["id"]
    bodies = api.pages(CAMPAIGN_USERS, [{"id": campaign}], page_size=50)
    assert all(len(b["data"]) == 1 and "items" in b["data"][0] for b in bodies)


@pytest.mark.parametrize("token", ["not-a-token", "bm9wZQ", 12, "LTUuMA"])
def test_bad_page_token_is_400(api, token):
    response = api.raw(DETAILS, meta={"pagination": {"pageSize": 10, "pageToken": token}})
    assert response.status_code == 400
    assert response.json()["fail"][0]["errors"][0]["code"] == "err_invalid_page_token"


def test_bad_page_size_is_400(api):
    response = api.raw(DETAILS, meta={"pagination": {"pageSize": "many"}})
    assert response.status_code == 400
