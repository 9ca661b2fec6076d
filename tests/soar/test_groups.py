"""Add to group / remove from group / release expired / revert run through the SDK's local runner: the
add-on's containment code over the app's own records, at Mimecast's limits, acting only on the tenant's
own people; the tenant's directory is the judge of what changed."""

from __future__ import annotations

import time

from splunk_app.allowed_groups import refusal

from .conftest import GROUP, one_line


def _emails(tenant, count: int, start: int = 0) -> list[str]:
    return sorted(record["emailAddress"].lower() for record in tenant.expected_users())[start : start + count]


def _calls(tenant, path: str) -> list[list]:
    return [r.body["data"] for r in tenant.requests if r.path.endswith(path)]


def test_dry_run_is_the_default_and_changes_nothing(act, tenant):
    users = _emails(tenant, 3)
    before = tenant.group_members(GROUP)
    run = act("add_to_group", {"users": ",".join(users), "group": GROUP})
    assert run.ok
    assert {row["outcome"] for row in run.data} == {"would_add"}
    assert tenant.group_members(GROUP) == before
    assert not _calls(tenant, "/add-group-member")


def test_add_for_days_then_revert_the_run(act, tenant):
    users = _emails(tenant, 3)
    added = act("add_to_group", {"users": ",".join(users), "group": GROUP, "days": 7, "dry_run": False})
    assert added.ok, added.message
    assert {row["outcome"] for row in added.data} == {"added"}
    assert set(users) <= tenant.group_members(GROUP)
    run_id = added.results[0].summary["run_id"]
    released = act("release_expired", {})
    assert released.ok and released.data == [] and "no containment is due" in released.message  # 7 days
    assert set(users) <= tenant.group_members(GROUP)
    reverted = act("revert_run", {"run_id": run_id})
    assert reverted.ok, reverted.message
    assert {row["outcome"] for row in reverted.data} == {"reverted"}
    assert not set(users) & tenant.group_members(GROUP)
    again = act("revert_run", {"run_id": run_id})
    assert again.ok and again.data == [] and "nothing reverted" in again.message


def test_release_expired_lets_users_go_on_time(act, tenant):
    users = _emails(tenant, 2, start=5)
    added = act("add_to_group", {"users": ",".join(users), "group": GROUP, "days": 0.00002, "dry_run": False})
    assert added.ok and set(users) <= tenant.group_members(GROUP)
    time.sleep(2)  # 0.00002 days is 1.7 s
    released = act("release_expired", {})
    assert released.ok, released.message
    assert {(row["user"], row["outcome"]) for row in released.data} == {(u, "expired") for u in users}
    assert not set(users) & tenant.group_members(GROUP)
    again = act("release_expired", {})
    assert again.ok and again.data == []  # a second sweep has nothing left to do


def test_users_in_any_form_and_outsiders(act, tenant):
    email = _emails(tenant, 1, start=8)[0]
    local = email.split("@")[0]
    outsider = f"{local}@elsewhere.example"  # the same local part outside the company: nobody of ours
    run = act(
        "add_to_group",
        {
            "users": f"SIMULATED\\{local}, {outsider}",
            "group": GROUP,
            "dry_run": False,
        },
    )
    assert not run.ok and one_line(run.message)
    outcomes = {row["user"]: row["outcome"] for row in run.data}
    assert outcomes == {email: "added", outsider: "skipped"}
    assert outsider not in tenant.group_members(GROUP)


def test_removes_go_ten_at_a_time(act, tenant):
    users = _emails(tenant, 25)
    act("add_to_group", {"users": ",".join(users), "group": GROUP, "dry_run": False})
    run = act("remove_from_group", {"users": ",".join(users), "group": GROUP, "dry_run": False})
    assert run.ok, run.message
    assert {row["outcome"] for row in run.data} == {"removed"}
    assert max(len(call) for call in _calls(tenant, "/remove-group-member")) <= 10
    assert len(_calls(tenant, "/remove-group-member")) >= 3
    assert len(_calls(tenant, "/add-group-member")) == 1  # 25 adds fit one call of 500


def test_more_users_than_the_asset_allows_act_on_none(act, tenant, asset):
    users = _emails(tenant, 4)
    run = act(
        "add_to_group",
        {"users": ",".join(users), "group": GROUP, "dry_run": False},
        asset_=dict(asset, max_users=3),
    )
    assert not run.ok and "acted on none" in run.message
    assert not _calls(tenant, "/add-group-member")


def test_a_bad_number_of_days_is_one_line(act, tenant):
    run = act("add_to_group", {"users": _emails(tenant, 1)[0], "group": GROUP, "days": 400, "dry_run": False})
    assert not run.ok and one_line(run.message) and "400" in run.message


def test_the_asset_allow_list_refuses_any_other_group_in_the_add_ons_words(act, tenant, asset):
    users = _emails(tenant, 2, start=10)
    allowed = ("SOC Escalation", "Awareness Training Watch List")
    allowing = dict(asset, groups_allowed=", ".join(allowed))
    words = refusal(allowed, GROUP, tenant.group_id(GROUP), "asset")  # the add-on's words, from the same code
    before = tenant.group_members(GROUP)
    for extra in ({}, {"dry_run": False, "days": 7}):
        run = act("add_to_group", {"users": ",".join(users), "group": GROUP, **extra}, asset_=allowing)
        assert not run.ok and one_line(run.message), run.message
        assert words in run.message
    removed = act("remove_from_group", {"users": users[0], "group": GROUP, "dry_run": False}, asset_=allowing)
    assert not removed.ok and words in removed.message
    assert tenant.group_members(GROUP) == before
    assert not _calls(tenant, "/add-group-member") and not _calls(tenant, "/remove-group-member")


def test_a_group_the_asset_allows_by_name_in_any_case_or_by_id(act, tenant, asset):
    user = _emails(tenant, 1, start=12)[0]
    by_name = dict(asset, groups_allowed=f"SOC Escalation, {GROUP.upper()}")
    added = act("add_to_group", {"users": user, "group": GROUP, "dry_run": False}, asset_=by_name)
    assert added.ok, added.message
    assert user in tenant.group_members(GROUP)
    by_id = dict(asset, groups_allowed=tenant.group_id(GROUP))
    removed = act("remove_from_group", {"users": user, "group": GROUP, "dry_run": False}, asset_=by_id)
    assert removed.ok, removed.message
    assert user not in tenant.group_members(GROUP)


def test_revert_keeps_to_the_allow_list_and_names_the_run_by_its_run_id(act, tenant, asset):
    users = _emails(tenant, 2, start=14)
    added = act("add_to_group", {"users": ",".join(users), "group": GROUP, "days": 7, "dry_run": False})
    assert added.ok, added.message
    run_id = added.results[0].summary["run_id"]
    other = dict(asset, groups_allowed="SOC Escalation")
    refused = act("revert_run", {"run_id": run_id}, asset_=other)
    assert not refused.ok and one_line(refused.message), refused.message
    assert refusal(("SOC Escalation",), GROUP, tenant.group_id(GROUP), "asset") in refused.message
    assert "the sweep keeps the containment records of" in refused.message
    assert set(users) <= tenant.group_members(GROUP)
    reverted = act("revert_run", {"run_id": run_id})
    assert reverted.ok, reverted.message
    assert {row["outcome"] for row in reverted.data} == {"reverted"}
    assert all(row["detail"].endswith(f"(run_id {run_id})") for row in reverted.data), reverted.data
    assert not set(users) & tenant.group_members(GROUP)


def test_an_allow_list_that_is_not_a_list_of_groups_fails_in_one_line(act, tenant, asset):
    bad = dict(asset, groups_allowed="High Risk Users\tSOC Escalation")
    for action, params in (("test_connectivity", None), ("add_to_group", {"users": "x", "group": GROUP})):
        run = act(action, params, asset_=bad)
        assert not run.ok and one_line(run.message), run.message
        assert "the asset: Groups the actions may change holds 'High Risk Users\\tSOC" in run.message
        assert run.message.endswith(": edit the asset")
