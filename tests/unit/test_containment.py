"""What a containment record says after an add, and which records are due."""

from __future__ import annotations

import pytest

from splunk_app import containment
from splunk_app.containment import DAY, Record, Run

FIRST = Run("mimecast_add_to_group", "Risky users who clicked", "sid-1", "prod", "nobody")
LATER = Run("mimecast_add_to_group", "Repeat clicker", "sid-2", "prod", "nobody")


def _add(existing, run, added, days, now):
    return containment.after_add(
        existing,
        user="ann@x.example",
        group="High Risk",
        group_id="g1",
        run=run,
        added=added,
        for_days=days,
        now=now,
    )


def test_a_user_the_action_added_is_held_for_the_days_asked():
    record = _add(None, FIRST, True, 2, 1000.0)

    assert record == Record(
        "ann@x.example",
        "High Risk",
        "g1",
        "prod",
        1000.0,
        1000.0 + 2 * DAY,
        "Risky users who clicked",
        "sid-1",
        False,
    )
    assert record.key == "prod|g1|ann@x.example"
    assert containment.from_document(record.document()) == record


def test_a_member_from_before_is_marked_so():
    assert _add(None, FIRST, False, 2, 1000.0).already_member is True


def test_a_later_run_extends_but_never_shortens_and_keeps_who_added():
    first = _add(None, FIRST, True, 5, 1000.0)

    longer = _add(first, LATER, False, 10, 2000.0)
    shorter = _add(first, LATER, False, 1, 2000.0)

    assert longer.expires_at == 2000.0 + 10 * DAY and longer.extended_by_sid == "sid-2"
    assert (longer.sid, longer.added_at, longer.already_member) == ("sid-1", 1000.0, False)
    assert shorter.expires_at == first.expires_at and shorter.extended_by_sid == ""


def test_re_added_after_leaving_is_a_new_containment():
    first = _add(None, FIRST, True, 5, 1000.0)

    again = _add(first, LATER, True, 1, 3000.0)

    assert (again.sid, again.added_at, again.expires_at) == ("sid-2", 3000.0, 3000.0 + DAY)


def test_due_records_oldest_first():
    records = [_add(None, FIRST, True, days, 0.0) for days in (3, 1, 2)]

    assert [r.expires_at for r in containment.due(records, 2.5 * DAY)] == [DAY, 2 * DAY]


@pytest.mark.parametrize(
    ("raw", "days"), [("", None), (None, None), ("7", 7.0), ("0.5", 0.5), ("365", 365.0)]
)
def test_for_days(raw, days):
    assert containment.parse_days(raw) == days


@pytest.mark.parametrize("raw", ["0", "-1", "366", "two", "nan", "inf"])
def test_bad_for_days(raw):
    with pytest.raises(ValueError, match="is not a number of days above 0"):
        containment.parse_days(raw)


def test_a_damaged_document_is_not_a_record():
    assert containment.from_document({"user": "a@x.example", "expires_at": "soon"}) is None
