"""A grade Mimecast may add (E, from the simulated tenant's odd_values fault: not a recording of Mimecast),
which the shipped risk policy does not name: the SOAR actions handle it as the add-on does. It is shown as
sent, ranks as the policy's row unknown (below every named grade, so no risky list holds it), is no grade
choice, and on poll passes it over as the add-on's grade-drop alert does: into E is no drop, and the next
named grade is compared with the one before E."""

from __future__ import annotations

from devkit.simulator import Faults
from splunk_app.risk.policy import UNKNOWN, shipped

from .conftest import one_line
from .test_on_poll import _expected, _users, _view

NEW = "E"


def test_the_shipped_policy_ranks_e_by_its_unknown_row():
    policy = shipped()
    assert NEW not in policy.grades()
    assert policy.rank(NEW) == policy.rank(UNKNOWN) < min(policy.rank(grade) for grade in policy.grades())


def test_e_is_shown_as_sent_and_in_no_risky_list(act, tenant):
    best = shipped().grades()[0]
    graded = {row["email"] for row in act("list_risky_users", {"grade": best, "page_size": 500}).data}
    assert graded == {record["emailAddress"].lower() for record in tenant.expected_users()}
    tenant.faults = Faults(odd_values=True)  # every 7th user's risk is "E"
    now = {row["email"] for row in act("list_risky_users", {"grade": best, "page_size": 500}).data}
    odd = graded - now
    assert odd and now < graded
    for email in sorted(odd)[:2]:
        found = act("get_user_risk", {"user": email}).data[0]
        assert found["found"] is True and found["safe_grade"] == NEW
        assert found["risky_grade"] is shipped().rule(UNKNOWN).risky
    refused = act("list_risky_users", {"grade": NEW})
    assert not refused.ok and one_line(refused.message) and "is not one of" in refused.message


def test_on_poll_passes_e_over_as_the_add_ons_alert_does(act, tenant):
    act("on_poll", {})
    before = _view(tenant)
    tenant.faults = Faults(odd_values=True)
    into = act("on_poll", {})
    assert into.ok and into.containers == []  # B to E raises nothing
    tenant.faults = Faults()
    back = act("on_poll", {})
    assert back.ok and back.containers == []  # back to B is compared with the B before E: no drop
    tenant.faults = Faults(odd_values=True)
    tenant.advance(changed=12)
    during = act("on_poll", {})
    tenant.faults = Faults()
    after = act("on_poll", {})
    expected = _expected(before, _view(tenant))
    assert expected
    assert set(_users(during)) | set(_users(after)) == expected
