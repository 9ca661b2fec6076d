"""The alert actions' plain functions: parameters, picking users, the guard, the group cache."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from splunk_app import actions


def _rows(*rows):
    return [(str(number), row) for number, row in enumerate(rows)]


def _lower(value):
    """A resolver that knows every email-shaped value (the risk table's own tests are the identity's)."""
    return value.lower() if "@" in value and "\\" not in value else None


def test_parameters_with_defaults_are_a_dry_run():
    params = actions.parse_params({"account": "prod", "group": " High Risk Users "})

    assert params == actions.Params("prod", "High Risk Users", "", 25, True, None)


@pytest.mark.parametrize(
    ("configuration", "words"),
    [
        ({"group": "g"}, "account is empty"),
        ({"account": "a"}, "group is empty"),
        ({"account": "a", "group": "g", "max_users": "ten"}, "max_users='ten'"),
        ({"account": "a", "group": "g", "max_users": "-3"}, "max_users='-3'"),
    ],
)
def test_bad_parameters_are_named(configuration, words):
    with pytest.raises(actions.ActionError, match=words):
        actions.parse_params(configuration)


@pytest.mark.parametrize(
    ("raw", "dry"), [("1", True), ("true", True), ("0", False), ("false", False), ("", True), (None, True)]
)
def test_dry_run_checkbox(raw, dry):
    assert actions.parse_params({"account": "a", "group": "g", "dry_run": raw}).dry_run is dry


def test_first_default_field_that_has_a_value_wins_and_users_are_distinct():
    targets, problems = actions.pick_targets(
        _rows(
            {"mimecast_identity": "", "user": "Alice@Example.com", "src_user": "bob@example.com"},
            {"src_user": "bob@example.com"},
            {"recipient": "alice@example.com"},
            {"email": "carol@example.com"},
        ),
        "",
        _lower,
    )

    assert targets == [
        actions.Target("alice@example.com", "0"),
        actions.Target("bob@example.com", "1"),
        actions.Target("carol@example.com", "3"),
    ]
    assert problems == []


def test_a_mails_recipient_comes_before_its_sender_and_a_sender_alone_is_never_acted_on():
    """CIM's Email model writes the sender in `src_user`: the one an alert is about is the recipient."""
    targets, problems = actions.pick_targets(
        _rows(
            {"src_user": "sender@example.com", "recipient": "clicker@example.com"},
            {"sender": "insider@example.com"},
        ),
        "",
        _lower,
    )

    assert targets == [actions.Target("clicker@example.com", "0")]
    assert [(p.rid, p.outcome) for p in problems] == [("1", "skipped")]


def test_a_chosen_field_and_multivalue_results():
    targets, problems = actions.pick_targets(
        _rows({"rcpt": "a@x.example", "__mv_rcpt": "$a@x.example$;$b@x.example$", "user": "u@x.example"}),
        "rcpt",
        _lower,
    )

    assert [t.email for t in targets] == ["a@x.example", "b@x.example"]
    assert problems == []


def test_results_without_a_usable_email_are_one_problem_each():
    targets, problems = actions.pick_targets(
        _rows({"user": "ok@example.com"}, {"host": "web01"}, {"user": "CORP\\jdoe"}), "", _lower
    )

    assert [t.email for t in targets] == ["ok@example.com"]
    assert [(p.rid, p.outcome) for p in problems] == [("1", "skipped"), ("2", "skipped")]
    assert (
        "result 1 has no value in any of mimecast_identity, user, recipient, src_user, email"
        in problems[0].detail
    )
    assert "'CORP\\\\jdoe' is not a user of the risk table" in problems[1].detail


def test_the_guard_refuses_more_users_than_max():
    targets = [actions.Target(f"u{i}@example.com", str(i)) for i in range(4)]

    actions.guard(targets, 4)
    with pytest.raises(actions.ActionError, match="4 users, more than max_users=3: acted on none"):
        actions.guard(targets, 3)


def test_group_cache_expires_and_forgets(tmp_path):
    now = [1000.0]
    cache = actions.GroupCache(str(tmp_path / "cache" / "groups.json"), clock=lambda: now[0])

    cache.put("prod", "High Risk Users", "eNoID")
    assert cache.get("prod", "high risk users") == "eNoID"
    assert cache.get("other", "High Risk Users") is None
    now[0] += actions.GROUP_CACHE_SECONDS
    assert cache.get("prod", "High Risk Users") is None
    cache.put("prod", "High Risk Users", "eNoID2")
    cache.forget("prod", "High Risk Users")
    assert cache.get("prod", "High Risk Users") is None


def test_a_corrupt_cache_file_is_ignored(tmp_path):
    path = tmp_path / "groups.json"
    path.write_text("{not json")

    assert actions.GroupCache(str(path)).get("prod", "g") is None


def _cache_then_read(path: str) -> str | None:
    cache = actions.GroupCache(path)
    cache.put("prod", "High Risk Users", "g-1")
    return cache.get("prod", "High Risk Users")


def test_processes_creating_the_group_cache_at_once_all_use_it(tmp_path):
    path = str(tmp_path / "cache" / "groups.sqlite")
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        found = pool.map(_cache_then_read, [path] * 12)

    assert found == ["g-1"] * 12
    assert sorted(os.listdir(tmp_path / "cache"))[:1] == ["groups.sqlite"]
    assert not [name for name in os.listdir(tmp_path / "cache") if ".new-" in name]
