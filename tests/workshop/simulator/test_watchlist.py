"""The simulated watch list agrees with itself across endpoints: every user on it has something on it
(watchlistCount >= 1), as many training modules flagged onWatchList, and no more than numNotWatched."""

from __future__ import annotations

from .simclient import PERFORMANCE, TRAINING, WATCHLIST


def test_every_watch_listed_user_has_a_count_that_the_other_endpoints_agree_with(api, tenant):
    listed = [record for body in api.pages(WATCHLIST) for record in body["data"]]
    performance = {record["email"]: record for body in api.pages(PERFORMANCE) for record in body["data"]}

    assert len(listed) >= 10
    assert min(record["watchlistCount"] for record in listed) >= 1
    for record in listed:
        training = api.post(TRAINING, [{"emailAddress": record["email"]}])["data"][0]["training"]
        flagged = sum(1 for module in training if module["onWatchList"])
        assert flagged == record["watchlistCount"], record["email"]
        assert record["watchlistCount"] <= performance[record["email"]]["numNotWatched"]


def test_users_off_the_watch_list_have_nothing_flagged(api, tenant):
    listed = {record["email"] for body in api.pages(WATCHLIST) for record in body["data"]}
    others = [
        record["email"]
        for body in api.pages(PERFORMANCE)
        for record in body["data"]
        if record["email"] not in listed
    ][:20]

    for email in others:
        training = api.post(TRAINING, [{"emailAddress": email}])["data"][0]["training"]
        assert not any(module["onWatchList"] for module in training), email
