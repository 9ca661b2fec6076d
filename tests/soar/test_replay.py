"""Containment records the SOAR app did write, put back into its records file later (a copy of the file
restored, or a row written back by whoever may write SOAR's state folder), run through the SDK's local
runner: the copy still carries a valid MAC, but the records' ledger knows a newer generation of it, so
release expired moves nobody by it. And a records file written before the ledger existed keeps working:
its records get their ledger entries as they are next written. The tenant's directory is the judge."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from .conftest import GROUP

DAY = 86400.0


def _email(tenant, index: int) -> str:
    return sorted(record["emailAddress"].lower() for record in tenant.expected_users())[index]


def _records_file(state: Path) -> Path:
    [path] = state.glob("*.sqlite")
    return path


def _rows(path: Path, table: str) -> list[tuple[str, dict]]:
    query = {
        "containment": "SELECT key, document FROM containment",
        "ledger": "SELECT key, document FROM ledger",
    }
    with sqlite3.connect(path) as db:
        return [(key, json.loads(text)) for key, text in db.execute(query[table])]


def _put_back(path: Path, rows: list[tuple[str, dict]]) -> None:
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT OR REPLACE INTO containment VALUES (?, ?)", [(k, json.dumps(d)) for k, d in rows]
        )


def _outcomes(run) -> list[tuple[str, str]]:
    """(user, outcome) of each user's row (not the run's warnings, such as the host clock's)."""
    return [(row["user"], row["outcome"]) for row in run.data if row["outcome"] not in ("warning", "error")]


def _stale(run) -> list[str]:
    return [row["detail"] for row in run.data if "is not its latest" in row["detail"]]


def _add(act, user: str, days: float):
    return act("add_to_group", {"users": user, "group": GROUP, "days": days, "dry_run": False})


def test_a_released_containment_put_back_does_not_remove_a_member_added_since(act, tenant, state):
    user = _email(tenant, 3)
    assert _add(act, user, 1).ok
    path = _records_file(state)
    copy = _rows(path, "containment")
    tenant.date_offset = 2 * DAY
    released = act("release_expired", {})
    assert _outcomes(released) == [(user, "expired")]
    tenant.add_members(GROUP, [user])  # an administrator puts them in the group by hand, for good
    _put_back(path, copy)

    again = act("release_expired", {})

    assert user in tenant.group_members(GROUP)
    assert _outcomes(again) == [] and again.ok
    (warning,) = _stale(again)
    assert "was written by the add-on but is not its latest" in warning and "released already" in warning
    assert _rows(path, "containment") == []  # the released copy is dropped


def test_an_extended_containment_put_back_at_its_first_version_is_not_cut_short(act, tenant, state):
    user = _email(tenant, 4)
    assert _add(act, user, 1).ok
    path = _records_file(state)
    first = _rows(path, "containment")
    extended = _add(act, user, 10)  # a later run extends it
    assert extended.ok and _rows(path, "containment")[0][1]["for_days"] == 10
    _put_back(path, first)
    tenant.date_offset = 2 * DAY  # the first version's time is up, the extension's is not

    swept = act("release_expired", {})

    assert user in tenant.group_members(GROUP)
    assert _outcomes(swept) == [] and swept.ok
    (warning,) = _stale(swept)
    assert "earlier version" in warning
    # the run that asks again starts from the ledger's generation, not from the copy
    again = _add(act, user, 10)
    assert again.ok and _stale(again)
    tenant.date_offset = 13 * DAY
    released = act("release_expired", {})
    assert _outcomes(released) == [(user, "expired")]
    assert user not in tenant.group_members(GROUP)


def test_a_records_file_from_before_the_ledger_keeps_its_containments(act, tenant, state):
    users = [_email(tenant, 5), _email(tenant, 6)]
    assert _add(act, users[0], 1).ok and _add(act, users[1], 1).ok
    path = _records_file(state)
    with sqlite3.connect(path) as db:  # the file as the app's first version left it
        db.execute("DROP TABLE ledger")
        db.execute("PRAGMA user_version = 1")
    extended = _add(act, users[1], 10)  # written after the upgrade: the ledger learns it
    assert extended.ok, extended.message
    assert [doc["user"] for _, doc in _rows(path, "ledger")] == [users[1]]
    tenant.date_offset = 2 * DAY

    released = act("release_expired", {})

    assert _outcomes(released) == [(users[0], "expired")]
    assert users[0] not in tenant.group_members(GROUP) and users[1] in tenant.group_members(GROUP)
    marks = {doc["user"]: doc for _, doc in _rows(path, "ledger")}
    assert marks[users[0]]["released"] is True and marks[users[1]]["released"] is False
