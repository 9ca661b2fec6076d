"""Each endpoint answers in its documented shape, and honours its request options."""

from __future__ import annotations

import http.client
import re
import threading

import pytest
import requests

from devkit.simulator import SimulatedTenant

from .simclient import (
    ADD_MEMBER,
    CAMPAIGN_USERS,
    CAMPAIGNS,
    DETAILS,
    FIND_GROUPS,
    PERFORMANCE,
    PHISHING,
    PHISHING_USERS,
    QUEUE,
    SUMMARY,
    TRAINING,
    WATCHLIST,
    Api,
)

GRADE = re.compile(r"^[ABCDF]$")
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def records(api, path, data=None):
    return [record for body in api.pages(path, data) for record in body["data"]]


def test_safe_score_details_is_flat_data_of_users(api, tenant):
    body = api.post(DETAILS, page_size=50)
    assert body["fail"] == [] and body["meta"]["status"] == 200
    assert body["meta"]["pagination"]["totalCount"] == 200
    users = body["data"]
    assert len(users) == 50
    for user in users:
        assert set(user) == {
            "emailAddress",
            "name",
            "department",
            "risk",
            "humanError",
            "sentiment",
            "engagement",
            "knowledge",
            "userState",
        }
        for grade in ("risk", "humanError", "sentiment", "engagement", "knowledge"):
            assert GRADE.match(user[grade])
        assert user["emailAddress"] == user["emailAddress"].lower() and "@" in user["emailAddress"]
    assert users == list(tenant.expected_users())[:50]


def test_summary_counts_every_grade(api, tenant):
    body = api.post(SUMMARY)
    counts = body["data"][0]["scoreCounts"]
    assert set(counts) == {"a", "b", "c", "d", "f"}
    expected = {g: 0 for g in "abcdf"}
    for user in tenant.expected_users():
        expected[user["risk"].lower()] += 1
    assert counts == expected
    assert "pagination" not in body["meta"]


def test_watchlist_returns_watch_listed_users_and_filters(api, tenant):
    everyone = records(api, WATCHLIST)
    assert everyone and all(
        set(r) == {"email", "name", "department", "watchlistCount", "userState"} for r in everyone
    )
    assert len(everyone) < tenant.user_count
    zero = records(api, WATCHLIST, [{"filterBy": [{"fieldName": "type", "value": "video_count_0"}]}])
    assert zero and all(r["watchlistCount"] == 0 for r in zero)
    some = records(
        api,
        WATCHLIST,
        [
            {
                "filterBy": [
                    {"fieldName": "type", "value": "video_count_2"},
                    {"fieldName": "type", "value": "video_count_4_or_more"},
                ]
            }
        ],
    )
    assert some and all(r["watchlistCount"] == 2 or r["watchlistCount"] >= 4 for r in some)
    assert {r["watchlistCount"] for r in some} >= {2}
    department = everyone[0]["department"]
    found = records(api, WATCHLIST, [{"searchBy": {"fieldName": "department", "value": department.upper()}}])
    assert found == [r for r in everyone if r["department"] == department]


def test_performance_with_and_without_user_details(api):
    plain = api.post(PERFORMANCE, page_size=20)["data"]
    assert all("userDetails" not in r for r in plain)
    detailed = api.post(PERFORMANCE, [{"includeUserDetails": True}], page_size=20)["data"]
    for record, bare in zip(detailed, plain):
        modules = record.pop("userDetails")
        assert record == bare
        assert len(modules) == record["numCorrect"] + record["numIncorrect"] + record["numNotWatched"]
        for module in modules:
            assert set(module) == {"title", "category", "timeSent", "timeViewed", "status", "ack"}
            assert module["status"] in ("Correct", "Incorrect", "Not Watched")
            assert DATE.match(module["timeSent"]) and DATE.match(module["timeViewed"])
            if module["status"] == "Not Watched":
                assert module["timeViewed"].startswith("1970-01-01T00:00:00")


def test_performance_filter_by_is_one_object(api):
    watched_two = records(api, PERFORMANCE, [{"filterBy": {"fieldName": "type", "value": "video_count_2"}}])
    assert watched_two and all(r["numCorrect"] + r["numIncorrect"] == 2 for r in watched_two)
    response = api.raw(PERFORMANCE, [{"filterBy": [{"fieldName": "type", "value": "video_count_2"}]}])
    assert response.status_code == 400
    assert response.json()["fail"][0]["errors"][0]["code"] == "err_validation_failed"


def test_training_details_for_one_user(api, tenant):
    user = next(tenant.expected_users())["emailAddress"]
    body = api.post(TRAINING, [{"emailAddress": user.upper()}])
    details = body["data"][0]
    assert set(details) == {"training", "needEngagement", "meritBadge"}
    assert details["training"]
    for module in details["training"]:
        assert set(module) == {
            "title",
            "titleId",
            "assignedTimeStamp",
            "watched",
            "watchedDate",
            "onWatchList",
            "myAnswer",
        }
        assert (module["watchedDate"] is None) == (not module["watched"])
    unknown = api.post(TRAINING, [{"emailAddress": "nobody.1@elsewhere.example"}])
    assert unknown["data"] == [] and unknown["fail"][0]["errors"][0]["code"] == "err_user_not_found"


def test_training_matches_performance_modules(api, tenant):
    performance = api.post(PERFORMANCE, [{"includeUserDetails": True}], page_size=1)["data"][0]
    training = api.post(TRAINING, [{"emailAddress": performance["email"]}])["data"][0]["training"]
    assert [m["title"] for m in training] == [m["title"] for m in performance["userDetails"]]
    watched = [m["status"] != "Not Watched" for m in performance["userDetails"]]
    assert [m["watched"] for m in training] == watched


def test_queue_modules(api):
    modules = [record for body in api.pages(QUEUE, page_size=10) for record in body["data"]]
    assert len(modules) == 24
    for module in modules:
        assert {
            "id",
            "title",
            "launchDate",
            "numSent",
            "numCompleted",
            "numCorrect",
            "locked",
            "assignToNewUsers",
            "customContentId",
            "emailCustomized",
            "emailMsg",
            "customGifs",
            "customAnswer",
            "optionSpread",
        } == set(module)
        assert set(module["title"]) == {"id", "title", "correctAnswer", "defaultGifs"}
        assert sum(module["optionSpread"].values()) == module["numCompleted"]
        assert module["optionSpread"][f"option-{module['title']['correctAnswer']}"] == module["numCorrect"]


def test_training_campaigns_and_their_results_agree(api1):
    api = api1
    body = api.post(CAMPAIGNS)
    campaigns = body["data"][0]["campaigns"]
    assert len(campaigns) == 6 and body["meta"]["pagination"]["totalCount"] == 6
    campaign = campaigns[0]
    for key in (
        "id",
        "name",
        "title",
        "group",
        "launchDate",
        "createDate",
        "numSent",
        "numCompleted",
        "percentComplete",
        "percentCorrect",
        "numCorrectAnswers",
        "locked",
        "emailCustomized",
        "allOtherCampaigns",
    ):
        assert key in campaign
    pages = api.pages(CAMPAIGN_USERS, [{"id": campaign["id"]}], page_size=50)
    items = [item for page in pages for item in page["data"][0]["items"]]
    assert len(items) == campaign["numSent"] == pages[0]["meta"]["pagination"]["totalCount"]
    questions = len(campaign["numCorrectAnswers"])
    for item in items:
        assert set(item) == {"name", "email", "department", "results", "acknowledgement", "userState"}
        assert len(item["results"]) == questions
        assert set(item["results"].values()) <= {"CORRECT", "INCORRECT", "SENT"}
    completed = [i for i in items if "SENT" not in i["results"].values()]
    assert len(completed) == campaign["numCompleted"]
    assert campaign["numCorrectAnswers"]["forQuestion1"] == sum(
        i["results"]["forQuestion1"] == "CORRECT" for i in items
    )
    correct = [
        i
        for p in api.pages(
            CAMPAIGN_USERS,
            [{"id": campaign["id"], "filterBy": [{"fieldName": "status", "value": "correct"}]}],
        )
        for i in p["data"][0]["items"]
    ]
    assert correct == [i for i in completed if set(i["results"].values()) == {"CORRECT"}]


def test_campaign_user_data_needs_a_known_id(api1):
    assert api1.raw(CAMPAIGN_USERS, []).status_code == 400
    assert api1.raw(CAMPAIGN_USERS, [{"id": "eNoNotACampaign"}]).status_code == 404


@pytest.mark.parametrize("path", [CAMPAIGNS, CAMPAIGN_USERS])
def test_an_api_2_0_application_finds_no_training_campaigns(api, path):
    response = api.raw(path, [{"id": "any"}])
    assert response.status_code == 404
    assert response.json()["fail"][0]["errors"][0]["code"] == "err_xdk_not_found"


def test_phishing_campaigns_and_results_agree(api):
    campaigns = api.post(PHISHING)["data"]
    assert len(campaigns) == 4
    campaign = campaigns[1]
    assert {
        "id",
        "name",
        "templates",
        "locale",
        "locked",
        "sender",
        "group",
        "numSent",
        "launchDate",
        "numClicked",
        "numOpened",
        "numSubmitted",
    } == set(campaign)
    assert api.post(PHISHING, [{"id": campaign["id"]}])["data"] == [campaign]
    items = [i for p in api.pages(PHISHING_USERS, [{"id": campaign["id"]}]) for i in p["data"][0]["items"]]
    assert len(items) == campaign["numSent"]
    assert sum(i["status"] in ("clicked", "submitted") for i in items) == campaign["numClicked"]
    assert sum(i["status"] == "submitted" for i in items) == campaign["numSubmitted"]
    template_names = {t["name"] for t in campaign["templates"]}
    for item in items:
        assert item["templateName"] in template_names
        assert (item["timeClicked"] is None) == (item["status"] in ("sent", "opened"))
        assert (item["clickedIp"] is None) == (item["timeClicked"] is None)
        assert 1 <= item["numCampaignsSent"] <= 4
    clicked = [
        i
        for p in api.pages(
            PHISHING_USERS,
            [{"id": campaign["id"], "filterBy": [{"fieldName": "status", "value": "clicked"}]}],
        )
        for i in p["data"][0]["items"]
    ]
    assert clicked == [i for i in items if i["status"] == "clicked"]
    assert (
        api.raw(
            PHISHING_USERS, [{"id": campaign["id"], "filterBy": [{"fieldName": "status", "value": "bogus"}]}]
        ).status_code
        == 400
    )


def test_find_groups_shape(api):
    body = api.post(FIND_GROUPS, [{"query": "high risk"}])
    container = body["data"][0]
    assert container["source"] == "cloud" and container["query"] == "high risk"
    [folder] = container["folders"]
    assert set(folder) == {"id", "description", "source", "parentId", "userCount", "folderCount"}
    assert folder["description"] == "High Risk Users"
    everything = api.post(FIND_GROUPS)["data"][0]["folders"]
    assert len(everything) == 6


@pytest.mark.parametrize("path", [DETAILS, WATCHLIST, PERFORMANCE, QUEUE, CAMPAIGNS, PHISHING])
def test_every_response_has_the_envelope(api_for, path):
    body = api_for(path).post(path)
    assert set(body) == {"meta", "data", "fail"}
    assert body["meta"]["status"] == 200 and body["fail"] == []


def test_unknown_path_and_method(api, tenant):
    response = api.raw("/api/awareness-training/company/get-everything")
    assert response.status_code == 404 and response.json()["fail"][0]["errors"][0]["retryable"] is False
    assert api.session.get(tenant.base_url + DETAILS, timeout=10).status_code == 405


def test_add_group_member_answer(api):
    group = api.post(FIND_GROUPS, [{"query": "SOC"}])["data"][0]["folders"][0]
    body = api.post(ADD_MEMBER, [{"id": group["id"], "emailAddress": "Ben.Baker.1@simulated.example"}])
    [member] = body["data"]
    assert member["folderId"] == group["id"] and member["emailAddress"] == "Ben.Baker.1@simulated.example"
    assert member["internal"] is True and member["id"]


def test_absolute_form_request_target_as_a_proxy_sends_it(tenant, api):
    connection = http.client.HTTPConnection("127.0.0.1", int(tenant.base_url.rsplit(":", 1)[1]), timeout=10)
    connection.request(
        "POST",
        tenant.base_url + DETAILS + "?x=1",
        body=b'{"data": []}',
        headers={**api.headers(DETAILS), "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    assert response.status == 200
    assert tenant.requests[-1].path == DETAILS
    connection.close()


def test_a_stopped_tenant_answers_nobody_even_on_a_kept_alive_connection():
    tenant = SimulatedTenant(users=10, seed=1)
    tenant.start()
    api = Api(tenant)
    assert api.raw(DETAILS).status_code == 200
    url, headers = tenant.base_url + DETAILS, api.headers(DETAILS)
    tenant.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        api.session.post(url, json={"data": []}, headers=headers, timeout=5)
    with pytest.raises(RuntimeError, match="not running"):
        tenant.base_url  # noqa: B018 - the property is what is tested


def test_concurrent_clients_are_all_served_and_logged(tenant):
    def pull(results):
        api = Api(tenant)
        results.append([len(body["data"]) for body in api.pages(DETAILS, page_size=40)])

    results: list[list[int]] = []
    threads = [threading.Thread(target=pull, args=(results,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == [[40] * 5] * 8
    served = tenant.requests
    assert len([r for r in served if r.path == DETAILS]) == 40
    assert len([r for r in served if r.path == "/oauth/token"]) == 8
    assert {r.status for r in served} == {200}
