"""A failure to record is an error: when the SOAR app's records file refuses the containment records (a
SQLite trigger here stands in for a full disk or a broken file), add to group fails with one line, adds
nobody when the intent records cannot be written, and, when only the confirmations cannot be, says that
the changes in Mimecast stand while the pending records still let a revert (or release expired) end
them. The tenant's directory is the judge of what changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .conftest import GROUP, one_line

REFUSE = (
    "CREATE TRIGGER refuse BEFORE INSERT ON containment {when} BEGIN SELECT RAISE(ABORT, 'disk is full'); END"
)


def _records_file(act, state: Path) -> Path:
    act("release_expired", {})  # makes the asset's records file
    [path] = state.glob("*.sqlite")
    return path


def _emails(tenant, count: int) -> list[str]:
    return sorted(record["emailAddress"].lower() for record in tenant.expected_users())[10 : 10 + count]


def test_intents_that_cannot_be_written_add_nobody(act, tenant, state):
    with sqlite3.connect(_records_file(act, state)) as db:
        db.execute(REFUSE.format(when=""))
    users = _emails(tenant, 2)
    run = act("add_to_group", {"users": ",".join(users), "group": GROUP, "days": 7, "dry_run": False})
    assert not run.ok and one_line(run.message)
    assert "nothing was added" in run.message and "could not be written" in run.message
    assert {row["outcome"] for row in run.data} == {"error", "failed"}
    assert {row["user"] for row in run.data if row["outcome"] == "failed"} == set(users)
    assert not set(users) & tenant.group_members(GROUP)
    assert not [r for r in tenant.requests if r.path.endswith("/add-group-member")]


def test_confirmations_that_cannot_be_written_fail_the_run_and_the_pending_records_still_end_it(
    act, tenant, state
):
    path = _records_file(act, state)
    with sqlite3.connect(path) as db:
        db.execute(REFUSE.format(when="""WHEN NEW.document LIKE '%"state": "held"%'"""))
    users = _emails(tenant, 2)
    run = act("add_to_group", {"users": ",".join(users), "group": GROUP, "days": 7, "dry_run": False})
    assert not run.ok and one_line(run.message)
    assert "changes in Mimecast stand" in run.message and "disk is full" in run.message
    assert f"the SOAR app's records file {path.name}" in run.message
    outcomes = sorted((row["user"], row["outcome"]) for row in run.data)
    assert outcomes == [("", "error"), *((user, "added") for user in users)]
    assert run.results[0].summary["failed"] == 0 and run.results[0].summary["changed"] == 2
    assert set(users) <= tenant.group_members(GROUP)
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER refuse")
    reverted = act("revert_run", {"run_id": run.results[0].summary["run_id"]})
    assert reverted.ok, reverted.message
    assert sorted((row["user"], row["outcome"]) for row in reverted.data) == [(u, "reverted") for u in users]
    assert not set(users) & tenant.group_members(GROUP)


def test_a_run_stopped_part_way_keeps_the_rows_of_whom_it_changed(act, tenant, state):
    users = sorted(record["emailAddress"].lower() for record in tenant.expected_users())[:25]
    added = act("add_to_group", {"users": ",".join(users), "group": GROUP, "dry_run": False})
    assert added.ok and set(users) <= tenant.group_members(GROUP)
    with sqlite3.connect(_records_file(act, state)) as db:  # the lease's second renewal cannot be written
        db.executescript(
            "CREATE TABLE renewals (n INTEGER); INSERT INTO renewals VALUES (0);"
            "CREATE TRIGGER refuse BEFORE UPDATE ON lease BEGIN UPDATE renewals SET n = n + 1;"
            " SELECT RAISE(ABORT, 'disk is full') WHERE (SELECT n FROM renewals) >= 2; END"
        )
    run = act("remove_from_group", {"users": ",".join(users), "group": GROUP, "dry_run": False})
    assert not run.ok and one_line(run.message) and "disk is full" in run.message
    removed = {row["user"] for row in run.data if row["outcome"] == "removed"}
    assert len(removed) == 10  # the first call's ten, made before the renewal that failed
    assert removed == set(users) - tenant.group_members(GROUP)
    [error] = [row for row in run.data if row["outcome"] == "error"]
    assert "10 of the 25 users" in error["detail"]
