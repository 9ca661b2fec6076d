"""Outsiders never pick whom the actions contain: the Add action, run as splunkd runs it, resolves its users
by the same rule as `mimecastrisk` (`identity.named`), so an address under a domain that is not the
company's acts on nobody, whatever its local part."""

from __future__ import annotations

from .conftest import GROUP, rows_for

ADD = "mimecast_add_to_group"


def _added(tenant) -> list[str]:
    calls = [r for r in tenant.requests if r.path.endswith("/add-group-member")]
    return [item["emailAddress"] for r in calls for item in r.body["data"]]


def test_the_ceo_address_of_an_attacker_in_src_user_contains_nobody(run_action, tenant):
    before = tenant.group_members(GROUP)
    run = run_action(ADD, rows_for("ann@attacker.example", field="src_user"), for_days="7")

    assert run.outcomes() == [("", "skipped")]
    (line,) = [line for line in run.lines if "outcome=skipped" in line]
    assert "src_user='ann@attacker.example' is not a user of the risk table" in line  # the value named
    assert _added(tenant) == []
    assert tenant.group_members(GROUP) == before


def test_look_alikes_contain_nobody_and_the_companys_own_forms_still_do(run_action, tenant):
    rows = rows_for(
        "ａｎｎ@simulated.example",  # full-width letters fold into ASCII
        "ann@simulated.exampl\uff45",
        '"Ann, Outside" <ann@attacker.example>',
        "CORP\\ann",  # the company's own systems write DOMAIN\user
        field="src_user",
    )
    run = run_action(ADD, rows)

    assert run.outcomes() == [("", "skipped")] * 3 + [("ann@simulated.example", "added")]
    assert _added(tenant) == ["ann@simulated.example"]
