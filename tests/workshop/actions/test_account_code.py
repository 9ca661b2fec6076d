"""Managed service providers: an account's Mimecast account code goes as meta.accountCode on every call."""

from __future__ import annotations

from .conftest import ACCOUNTS, GROUP, rows_for


def test_an_account_code_is_sent_on_every_call(run_action, splunkd, tenant):
    tenant.account_code = "C4ST0MER"
    splunkd.set_conf(ACCOUNTS, "prod", {"account_code": "C4ST0MER"})

    run = run_action("mimecast_add_to_group", rows_for("ann@simulated.example"))

    assert (run.status, run.outcomes()) == (0, [("ann@simulated.example", "added")])
    calls = [r for r in tenant.requests if r.path.startswith("/api/")]
    assert {r.path for r in calls} == {"/api/directory/find-groups", "/api/directory/add-group-member"}
    assert all(r.body["meta"]["accountCode"] == "C4ST0MER" for r in calls)
    assert tenant.group_members(GROUP) == {"ann@simulated.example"}


def test_a_tenant_that_wants_an_account_code_refuses_calls_without_it(run_action, tenant):
    tenant.account_code = "C4ST0MER"

    run = run_action("mimecast_add_to_group", rows_for("ann@simulated.example"))

    assert run.status == 1
    assert run.outcomes() == [("ann@simulated.example", "failed")]
    assert "err_account_code_invalid" in run.lines[0]
    assert tenant.group_members(GROUP) == set()
