"""Every fault the tenant can inject, each counted per request and aimed by path."""

from __future__ import annotations

import re

import pytest
import requests

from devkit.simulator import Faults
from devkit.simulator.records import ODD_COMPONENT

from .simclient import DETAILS, PERFORMANCE, PHISHING, PHISHING_USERS, QUEUE, TRAINING, WATCHLIST, Api


def code_of(response: requests.Response) -> str:
    return response.json()["fail"][0]["errors"][0]["code"]


def test_server_errors_then_recovery(tenant, api):
    tenant.faults = Faults(server_errors=2)
    assert [api.raw(DETAILS).status_code for _ in range(3)] == [500, 500, 200]
    assert tenant.faults.server_errors == 0


def test_server_error_status_is_configurable(tenant, api):
    tenant.faults = Faults(server_errors=1, server_error_status=503)
    response = api.raw(DETAILS)
    assert response.status_code == 503 and code_of(response) == "err_internal_server_error"


def test_fault_aimed_at_one_path_after_some_pages(tenant, api):
    tenant.faults = Faults(server_errors=1, path="get-safe-score-details", after=2)
    assert api.raw(QUEUE).status_code == 200
    first = api.post(DETAILS, page_size=10)
    second = api.post(DETAILS, page_size=10, token=first["meta"]["pagination"]["next"])
    third = api.raw(
        DETAILS, meta={"pagination": {"pageSize": 10, "pageToken": second["meta"]["pagination"]["next"]}}
    )
    assert third.status_code == 500
    assert api.raw(QUEUE).status_code == 200
    assert [r.status for r in tenant.requests if r.path == DETAILS] == [200, 200, 500]


def test_token_endpoint_is_spared_unless_aimed_at(tenant):
    tenant.faults = Faults(server_errors=1)
    api = Api(tenant)
    assert api.token().status_code == 200
    tenant.faults = Faults(server_errors=1, path="/oauth/token")
    assert api.token().status_code == 500


def test_rate_limit_storm(tenant, api):
    tenant.faults = Faults(rate_limit_storm=3, storm_reset_ms=50)
    storm = [api.raw(DETAILS) for _ in range(3)]
    assert {r.status_code for r in storm} == {429}
    assert {r.headers["X-RateLimit-Remaining"] for r in storm} == {"0"}
    assert {r.headers["X-RateLimit-Reset"] for r in storm} == {"50"}
    assert api.raw(DETAILS).status_code == 200


def test_slow_responses(tenant, api):
    tenant.faults = Faults(slow_requests=1, slow_seconds=1.0)
    api.token()
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.session.post(
            tenant.base_url + DETAILS, json={"data": []}, headers=api.headers(DETAILS), timeout=(5, 0.2)
        )
    assert api.raw(DETAILS).status_code == 200


def test_cut_response(tenant, api):
    api.token()
    tenant.faults = Faults(cut_responses=1)
    try:
        response = api.raw(DETAILS, meta={"pagination": {"pageSize": 100}})
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
        pass  # urllib3 2 enforces Content-Length
    else:  # urllib3 1 hands over the short body
        assert len(response.content) < int(response.headers["Content-Length"])
        with pytest.raises(ValueError):
            response.json()
    assert api.raw(DETAILS).json()["fail"] == []


def test_malformed_json(tenant, api):
    tenant.faults = Faults(malformed_json=1)
    response = api.raw(DETAILS)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert api.raw(DETAILS).json()["data"]


def test_missing_pagination(tenant, api):
    tenant.faults = Faults(missing_pagination=True)
    body = api.post(DETAILS, page_size=10)
    assert "pagination" not in body["meta"] and len(body["data"]) == 10
    tenant.faults = Faults()
    assert "pagination" in api.post(DETAILS, page_size=10)["meta"]


def test_lost_next_page_keeps_the_total(tenant, api):
    tenant.faults = Faults(lost_next_page=True)
    pagination = api.post(DETAILS, page_size=10)["meta"]["pagination"]
    assert "next" not in pagination and pagination["totalCount"] > 10
    tenant.faults = Faults()
    assert "next" in api.post(DETAILS, page_size=10)["meta"]["pagination"]


def test_odd_dates(tenant, api):
    tenant.faults = Faults(odd_dates=True)
    users = api.post(PERFORMANCE, [{"includeUserDetails": True}], page_size=20)["data"]
    stamps = [m["timeSent"] for u in users for m in u["userDetails"]]
    assert any(re.search(r"\+0000$", s) for s in stamps) and any(s.endswith("+00:00") for s in stamps)
    never = [m["timeViewed"] for u in users for m in u["userDetails"] if m["status"] == "Not Watched"]
    assert never and all(s.startswith("1970-01-01T00:00:00") for s in never)
    training = []
    for user in users:
        training += api.post(TRAINING, [{"emailAddress": user["email"]}])["data"][0]["training"]
    unwatched = [m["watchedDate"] for m in training if not m["watched"]]
    assert unwatched and all(d.startswith("1970-01-01") for d in unwatched)
    campaign = api.post(PHISHING)["data"][0]["id"]
    items = api.post(PHISHING_USERS, [{"id": campaign}], page_size=50)["data"][0]["items"]
    assert all(i["timeClicked"] is not None for i in items)


def test_odd_spellings(tenant, api):
    user = next(tenant.expected_users())["emailAddress"]
    tenant.faults = Faults(odd_spellings=True)
    module = api.post(TRAINING, [{"emailAddress": user}])["data"][0]["training"][0]
    assert {"watchedData", "onWatchlist", "myAsnwer"} <= set(module)
    assert not {"watchedDate", "onWatchList", "myAnswer"} & set(module)


def test_empty_grades(tenant, api):
    tenant.faults = Faults(empty_grades=True)
    users = api.post(DETAILS, page_size=50)["data"]
    assert any(u["risk"] == "" for u in users) and any(u["humanError"] == "" and u["risk"] for u in users)
    assert any(u["risk"] and u["knowledge"] for u in users)


def test_odd_values(tenant, api):
    tenant.faults = Faults(odd_values=True)
    users = api.post(DETAILS, page_size=50)["data"]
    assert any(u["risk"] == "E" for u in users) and any(u["risk"] in "ABCDF" for u in users)
    assert {u["knowledge"] for u in users if u["risk"] == "E"} == {ODD_COMPONENT}
    listed = api.post(WATCHLIST, page_size=100)["data"]
    assert any(u["watchlistCount"] == "many" for u in listed)
    assert any(isinstance(u["watchlistCount"], int) for u in listed)


def test_mixed_case_emails(tenant, api):
    tenant.faults = Faults(mixed_case_emails=True)
    served = [u["emailAddress"] for u in api.post(DETAILS, page_size=20)["data"]]
    expected = [u["emailAddress"] for u in tenant.expected_users()][:20]
    assert [e.lower() for e in served] == expected
    assert all(e != e.lower() for e in served)


def test_token_expiry_ends_the_token(tenant, api):
    api.token()
    tenant.faults = Faults(token_expiry=1)
    response = api.raw(DETAILS)
    assert response.status_code == 401 and code_of(response) == "token_expired"
    assert code_of(api.raw(DETAILS)) == "token_expired"
    api.token()
    assert api.raw(DETAILS).status_code == 200


def test_token_expiry_skips_hmac(tenant):
    tenant.faults = Faults(token_expiry=1)
    assert Api(tenant, mode="hmac").raw(DETAILS).status_code == 200
    assert tenant.faults.token_expiry == 1


def test_developer_key_failure_is_http_200(tenant, api):
    tenant.faults = Faults(developer_key_fail=1)
    response = api.raw(DETAILS)
    assert response.status_code == 200
    assert response.json()["data"] == [] and code_of(response) == "err_developer_key"


def test_missing_permission(tenant, api):
    tenant.faults = Faults(missing_permission=1)
    response = api.raw(DETAILS)
    assert response.status_code == 403 and response.json()["fail"][0]["errors"][0]["retryable"] is False


def test_binding_expired(tenant, api):
    tenant.faults = Faults(binding_expired=1)
    response = api.raw(DETAILS)
    assert response.status_code == 418 and code_of(response) == "err_xdk_binding_expired"


def test_several_counted_faults_are_taken_in_order(tenant, api):
    tenant.faults = Faults(server_errors=1, binding_expired=1, malformed_json=1)
    assert [api.raw(DETAILS).status_code for _ in range(4)] == [418, 500, 200, 200]
    assert tenant.faults == Faults()
