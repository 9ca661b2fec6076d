"""An analyst's ad hoc run from Enterprise Security's Incident Review, end to end.

For an ad hoc response on a notable event, ES dispatches a search of the form
`| makeresults | eval user="...", orig_sid="<the notable's sid>", orig_rid=<its rid> | sendalert <action>
param.<name>=...`: splunkd then runs the action with a sid that is not a scheduler sid (cim_actions calls that
action_mode "adhoc"), no saved search name, the analyst as owner, and one result that names the notable
event it came from. cim_actions.ModularAction.update(result) takes orig_sid and orig_rid from the result, and
ES links each `sendmodaction` line to the notable through them (conftest's FAKE_CIM_ACTIONS keeps that
interface)."""

from __future__ import annotations

import re

from .conftest import CONTAINMENT, FAKE_CIM_ACTIONS, GROUP, audit_events

NOTABLE_SID = "scheduler__admin__SplunkEnterpriseSecuritySuite__RMD5a1b2c3d4e5f6_at_1732869000_77"
ADHOC_SID = "1732870012.4242"


def test_an_incident_review_run_on_one_notable_event(run_action, splunk_home, splunkd, tenant):
    lib = splunk_home / "etc" / "apps" / "Splunk_SA_CIM" / "lib"
    lib.mkdir(parents=True)
    (lib / "cim_actions.py").write_text(FAKE_CIM_ACTIONS)
    notable = {
        "_time": "1732870010",
        "user": "ANN@simulated.example",
        "orig_sid": NOTABLE_SID,
        "orig_rid": "3",
    }

    run = run_action(
        "mimecast_add_to_group",
        [notable],
        fields={
            "app": "SplunkEnterpriseSecuritySuite",
            "owner": "analyst1",
            "search_name": "",
            "sid": ADHOC_SID,
        },
        for_days="3",
        max_users="25",
    )

    assert run.status == 0
    assert tenant.group_members(GROUP) == {"ann@simulated.example"}
    (line,) = run.lines
    reported = dict(re.findall(r'(\w+)="([^"]*)"', line.split("sendmodaction - ", 1)[1]))
    assert reported["action_mode"] == "adhoc" and reported["action_status"] == "success"
    assert (reported["orig_sid"], reported["orig_rid"], reported["rid"]) == (NOTABLE_SID, "3", "0")
    assert reported["sid"] == ADHOC_SID and reported["user"] == "analyst1"
    assert reported["outcome"] == "added" and reported["mc_user"] == "ann@simulated.example"
    (record,) = splunkd.collection(CONTAINMENT)
    assert (record["sid"], record["search_name"]) == (ADHOC_SID, "ad hoc run")
    assert abs(record["expires_at"] - record["added_at"] - 3 * 86400) < 1
    (event,) = audit_events(splunk_home)
    assert (event["change"], event["owner"], event["sid"]) == ("added", "analyst1", ADHOC_SID)
    assert "mc_summary=action" in run.summary and "outcome=ok" in run.summary
