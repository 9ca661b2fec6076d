"""Mimecast's group limits, as the simulated tenant enforces them and as the actions keep to them."""

from __future__ import annotations

import json

import pytest
import requests

from devkit.simulator import Faults
from splunk_app import APP_ID
from splunk_app.mimecast import ApiError, Client
from splunk_app.mimecast.endpoints import body

from .conftest import GROUP, RISK_TABLE, rows_for

ADD, REMOVE = "mimecast_add_to_group", "mimecast_remove_from_group"


def _calls(tenant, endpoint):
    return [r for r in tenant.requests if r.path.endswith(endpoint)]


def _remove_items(group_id: str, size: int) -> list[dict[str, str]]:
    """One remove item whose request body is exactly `size` bytes."""
    item = {"id": group_id, "emailAddress": "@simulated.example"}
    item["emailAddress"] = "x" * (size - len(body([item]))) + item["emailAddress"]
    assert len(body([item])) == size
    return [item]


@pytest.mark.parametrize(("size", "refused"), [(2048, False), (2049, True)])
def test_the_tenant_refuses_a_remove_body_over_2048_bytes(tenant, size, refused):
    client = Client(tenant.base_url, tenant.oauth2)
    items = _remove_items(tenant.group_id(GROUP), size)

    if refused:
        with pytest.raises(ApiError, match="2049 bytes; this endpoint takes at most 2048"):
            client.post("remove_group_member", data=items)
    else:
        answer = client.post("remove_group_member", data=items)
        assert answer["fail"][0]["errors"][0]["code"] == "err_folder_email_address_not_found"


@pytest.mark.parametrize(("endpoint", "most"), [("add_group_member", 500), ("remove_group_member", 10)])
def test_the_tenant_refuses_more_items_than_a_call_takes(tenant, endpoint, most):
    client = Client(tenant.base_url, tenant.oauth2)
    group = tenant.group_id(GROUP)
    items = [{"id": group, "emailAddress": f"u{n}@simulated.example"} for n in range(most + 1)]

    with pytest.raises(ApiError, match=f"data holds {most + 1} items; this endpoint takes 1 to {most}"):
        client.post(endpoint, data=items)
    client.post(endpoint, data=items[:most])  # the limit itself is accepted
    assert tenant.group_members(GROUP) == (
        {i["emailAddress"] for i in items[:most]} if most == 500 else set()
    )


def test_600_adds_are_two_calls_and_25_removes_three(run_action, tenant):
    users = [f"u{n}@simulated.example" for n in range(600)]

    added = run_action(ADD, rows_for(*users), max_users="1000")
    removed = run_action(REMOVE, rows_for(*users[:25]), max_users="1000")

    assert (added.status, removed.status) == (0, 0)
    assert [len(r.body["data"]) for r in _calls(tenant, "/add-group-member")] == [500, 100]
    assert [len(r.body["data"]) for r in _calls(tenant, "/remove-group-member")] == [10, 10, 5]
    sizes = [len(json.dumps(r.body, separators=(",", ":"))) for r in _calls(tenant, "/remove-group-member")]
    assert max(sizes) <= 2048
    assert tenant.group_members(GROUP) == set(users[25:])


def test_each_member_outcome_comes_from_fail_keys(run_action, tenant):
    run_action(ADD, rows_for("ann@simulated.example", "cy@simulated.example"))

    mixed = run_action(
        ADD, rows_for("ann@simulated.example", "bob@simulated.example", "cy@simulated.example")
    )
    removed = run_action(REMOVE, rows_for("ann@simulated.example", "u1@simulated.example"))

    assert mixed.outcomes() == [
        ("ann@simulated.example", "already_member"),
        ("bob@simulated.example", "added"),
        ("cy@simulated.example", "already_member"),
    ]
    assert removed.outcomes() == [
        ("ann@simulated.example", "removed"),
        ("u1@simulated.example", "not_member"),
    ]
    assert len(_calls(tenant, "/add-group-member")) == 2


def test_a_batch_cut_by_the_rate_limit_fails_its_users_and_the_next_batch_goes_on(run_action, tenant):
    users = [f"u{n}@simulated.example" for n in range(15)]
    # the first remove call meets three 429s in a row: more than the actions' two retries
    run_action(ADD, rows_for(*users))
    tenant.faults = Faults(rate_limit_storm=3, storm_reset_ms=20, path="/remove-group-member")

    run = run_action(REMOVE, rows_for(*users))

    assert run.status == 1
    assert run.outcomes() == [(u, "failed") for u in users[:10]] + [(u, "removed") for u in users[10:]]
    failed = [line for line in run.lines if "outcome=failed" in line]
    assert len(failed) == 10 and all("rate limit" in line for line in failed)
    assert tenant.group_members(GROUP) == set(users[:10])


def test_only_users_of_the_risk_table_are_acted_on(run_action, tenant):
    run = run_action(
        ADD, rows_for("ann@simulated.example", "stranger@partner.example", "ANN@Simulated.Example")
    )

    assert run.status == 1
    assert run.outcomes() == [("", "skipped"), ("ann@simulated.example", "added")]
    skipped = [line for line in run.lines if "outcome=skipped" in line]
    assert len(skipped) == 1
    assert "'stranger@partner.example' is not a user of the risk table" in skipped[0]
    sent = [item["emailAddress"] for r in _calls(tenant, "/add-group-member") for item in r.body["data"]]
    assert sent == ["ann@simulated.example"]


def test_without_a_dry_run_setting_the_action_only_reports(run_action, tenant):
    run = run_action(ADD, rows_for("ann@simulated.example"), dry_run=None)

    assert run.outcomes() == [("ann@simulated.example", "would_add")]
    assert _calls(tenant, "/add-group-member") == []
    assert "Dry run: would add ann@simulated.example" in run.lines[0]


def test_the_summary_line_counts_the_run(run_action, tenant):
    run = run_action(ADD, rows_for("ann@simulated.example", "stranger@partner.example"))

    assert "mc_summary=action action=mimecast_add_to_group" in run.summary
    assert " outcome=partial " in run.summary
    assert " added=1 " in run.summary and " skipped=1 " in run.summary


def test_an_empty_risk_table_acts_on_none_and_says_what_to_fill_it_with(run_action, splunkd, tenant):
    emptied = requests.delete(  # as a fresh install has it: a DELETE without a query empties a collection
        f"{splunkd.uri}/servicesNS/nobody/{APP_ID}/storage/collections/data/{RISK_TABLE}",
        headers={"Authorization": f"Splunk {splunkd.session_key}"},
        timeout=10,
    )
    assert emptied.status_code == 200 and splunkd.collection(RISK_TABLE) == []

    run = run_action(ADD, rows_for("ann@simulated.example"))

    assert run.status == 2
    assert "the risk table (mimecast_user_risk) is empty" in run.lines[-1]
    assert tenant.requests == []
