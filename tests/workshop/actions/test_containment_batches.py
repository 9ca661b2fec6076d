"""kill -9 across Mimecast's 500-members-per-add boundary, run as splunkd runs the actions: an alert naming
520 users, 3 of them in the group before (in no add call), makes two add calls (500, then 17). Killed after
the first call was applied, before the second was sent, or after the second was applied but before any
record was confirmed, then fired again, then swept after the expiry (itself killed once between two remove
calls): nobody the add-on put in the group stays, nobody who was there before is removed, no record or
audit event is lost or doubled."""

from __future__ import annotations

from collections import Counter

from devkit.simulator.catalogue import GROUPS

from .conftest import CONTAINMENT, audit_events, rows_for

ADD, SWEEP = "mimecast_add_to_group", "mimecast_containment_sweep"
SWEEP_SEARCH = {"search_name": "Mimecast Awareness - Containment sweep", "owner": "nobody"}
USERS = [f"u{i}@simulated.example" for i in range(520)]
BEFORE = [USERS[0], USERS[250], USERS[510]]  # in the group before: one in each part of both batches
CONTAINED = [user for user in USERS if user not in BEFORE]  # the members from before are in no add call
ADD_CALL = "/add-group-member"
KILLED = -9
# (kill point, how many of the users to contain the killed run put in the group)
POINTS = {
    "1:after": 500,  # the first call applied, its answer never read
    "2:before": 500,  # the second call never sent
    "2:after": 517,  # both applied, no record confirmed
}


def test_kill_9_between_the_add_calls_of_more_than_500_users_leaves_nobody_behind(
    run_action, splunkd, tenant, splunk_home
):
    groups = dict(zip(POINTS, GROUPS))
    for point, group in groups.items():
        tenant.add_members(group, BEFORE)
        inject = {"DEVKIT_KILL_AT": f"{point}:{ADD_CALL}"}

        killed = run_action(ADD, rows_for(*USERS), for_days="1", group=group, max_users="600", inject=inject)

        assert killed.status == KILLED
        assert tenant.group_members(group) == set(CONTAINED[: POINTS[point]]) | set(BEFORE)
        assert len(splunkd.collection(CONTAINMENT)) == len(USERS) * (list(groups).index(point) + 1)

        again = run_action(ADD, rows_for(*USERS), for_days="1", group=group, max_users="600")

        assert again.status == 0, again.level("ERROR")
        assert tenant.group_members(group) == set(USERS)
    records = splunkd.collection(CONTAINMENT)
    assert len(records) == len(USERS) * len(groups) and {doc["state"] for doc in records} == {"held"}
    assert Counter(doc["already_member"] for doc in records) == {
        False: (len(USERS) - len(BEFORE)) * len(groups),
        True: len(BEFORE) * len(groups),
    }

    tenant.date_offset = 1.5 * 86400
    cut = run_action(
        SWEEP, [], fields=SWEEP_SEARCH, max_users="2000", inject={"DEVKIT_KILL_AT": "30:after:/remove-group"}
    )
    last = run_action(SWEEP, [], fields=SWEEP_SEARCH, max_users="2000")

    assert cut.status == KILLED and last.status == 0, last.level("ERROR")
    for group in groups.values():
        assert tenant.group_members(group) == set(BEFORE)
    assert splunkd.collection(CONTAINMENT) == []
    contained = set(USERS) - set(BEFORE)
    events = Counter((event["user"], event["group"], event["change"]) for event in audit_events(splunk_home))
    assert set(events.values()) == {1}
    for group in groups.values():
        assert {user for user, where, change in events if where == group and change == "added"} == contained
        assert {user for user, where, change in events if where == group and change == "expired"} == contained
    assert {change for _, _, change in events} == {"added", "expired"}
