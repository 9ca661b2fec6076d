"""What a containment record says: the intent before an add, the confirmation, its signature, the bounds on
its times, and which records are due."""

from __future__ import annotations

import dataclasses

import pytest

from splunk_app import actions, containment
from splunk_app.containment import DAY, HELD, PENDING, Run

FIRST = Run("mimecast_add_to_group", "Risky users who clicked", "sid-1", "prod", "nobody")
LATER = Run("mimecast_add_to_group", "Repeat clicker", "sid-2", "prod", "nobody")
KEY = b"k" * 32


def _intent(existing, run, days, now, member_before=False, after=0):
    return containment.intent(
        existing,
        user="ann@x.example",
        group="High Risk",
        group_id="g1",
        run=run,
        member_before=member_before,
        for_days=days,
        now=now,
        after=after,
    )


def test_an_intent_is_pending_and_held_for_the_days_asked():
    record = _intent(None, FIRST, 2, 1000.0)

    assert (record.state, record.added_at, record.stamped_at) == (PENDING, 1000.0, 1000.0)
    assert (record.expires_at, record.for_days, record.latest_sid) == (1000.0 + 2 * DAY, 2, "sid-1")
    assert record.key == "prod|g1|ann@x.example"
    assert containment.confirmed(record).state == HELD
    assert containment.from_document(record.document()) == record


def test_a_member_from_before_is_marked_so():
    assert _intent(None, FIRST, 2, 1000.0, member_before=True).already_member is True


def test_a_later_run_extends_but_never_shortens_and_becomes_the_latest():
    first = containment.confirmed(_intent(None, FIRST, 5, 1000.0))

    longer = _intent(first, LATER, 10, 2000.0)
    shorter = _intent(first, LATER, 1, 2000.0)

    assert longer.expires_at == 2000.0 + 10 * DAY and longer.extended_by_sid == "sid-2"
    assert (longer.sid, longer.added_at, longer.stamped_at, longer.for_days) == ("sid-1", 1000.0, 2000.0, 10)
    assert shorter.expires_at == first.expires_at and shorter.extended_by_sid == ""
    assert longer.latest_sid == shorter.latest_sid == "sid-2"
    assert shorter.state == HELD  # what Mimecast confirmed stays confirmed


def test_the_mac_covers_whom_where_when_and_how():
    signed = containment.sign(_intent(None, FIRST, 2, 1000.0), KEY)

    assert containment.genuine(signed, KEY)
    assert containment.genuine(containment.from_document(signed.document()), KEY)
    assert not containment.genuine(signed, b"another key")
    assert not containment.genuine(dataclasses.replace(signed, mac=""), KEY)
    for change in (
        {"user": "bob@x.example"},
        {"group_id": "g2"},
        {"account": "other"},
        {"expires_at": 0.0},
        {"already_member": True},
        {"latest_sid": "sid-9"},
        {"state": HELD},
        {"generation": 7},
        {"group": "Allowed Group"},
    ):
        assert not containment.genuine(dataclasses.replace(signed, **change), KEY), change


def test_each_write_is_a_new_generation_after_the_ledgers():
    first = _intent(None, FIRST, 2, 1000.0, after=4)
    held = containment.confirmed(first)
    extended = _intent(held, LATER, 5, 2000.0)
    bounded = containment.bounded(extended, 3000.0)

    assert [r.generation for r in (first, held, extended, bounded)] == [5, 6, 7, 8]
    assert _intent(held, LATER, 5, 2000.0, after=9).generation == 10


def test_a_record_older_than_its_mark_is_stale_and_says_why():
    held = containment.confirmed(_intent(None, FIRST, 2, 1000.0))
    (mark,) = containment.marks_of([held])
    (gone,) = containment.marks_of([held], released=True)
    newer = dataclasses.replace(mark, generation=held.generation + 3)

    assert (mark.generation, gone.generation, gone.released) == (held.generation, held.generation + 1, True)
    assert containment.stale(held, None) == containment.stale(held, mark) == ""
    assert containment.stale(dataclasses.replace(held, generation=held.generation + 1), mark) == ""
    assert "released already" in containment.stale(held, gone)
    assert "earlier version" in containment.stale(held, newer)
    assert containment.mark_from_document(gone.document()) == gone


def test_records_from_before_generations_keep_their_mac():
    old = containment.sign(dataclasses.replace(_intent(None, FIRST, 2, 1000.0), generation=0), KEY)
    assert containment.genuine(containment.from_document(old.document()), KEY)


def test_a_record_under_another_key_is_not_one():
    document = containment.sign(_intent(None, FIRST, 2, 1000.0), KEY).document()
    assert containment.from_document({**document, "_key": "prod|g1|bob@x.example"}) is None
    assert containment.from_document({**document, "generation": -2}) is None


def test_times_that_cannot_be_right_are_bounded_from_first_sight():
    future = _intent(None, FIRST, 7, 1000.0 + 30 * DAY)
    stretched = dataclasses.replace(_intent(None, FIRST, 7, 1000.0), expires_at=1000.0 + 40 * DAY)
    fine = _intent(None, FIRST, 7, 1000.0)

    assert containment.out_of_bounds(future, 1000.0) == "it is stamped in the future"
    assert "further away than its for_days" in containment.out_of_bounds(stretched, 1000.0)
    assert containment.out_of_bounds(fine, 1000.0 + 3 * DAY) == ""
    for record in (future, stretched):
        held = containment.bounded(record, 2000.0)
        assert held.expires_at == 2000.0 + 7 * DAY and containment.out_of_bounds(held, 2000.0) == ""


def test_due_records_oldest_first():
    records = [_intent(None, FIRST, days, 0.0) for days in (3, 1, 2)]

    assert [r.expires_at for r in containment.due(records, 2.5 * DAY)] == [DAY, 2 * DAY]


def test_audit_ids_are_stable_and_distinct():
    assert containment.event_id("prod", "g1", "ann", 1000.0, "added") == containment.event_id(
        "prod", "g1", "ann", 1000.0004, "added"
    )
    assert containment.event_id("prod", "g1", "ann", 1000.0, "added") != containment.event_id(
        "prod", "g1", "ann", 1000.0, "expired"
    )


def test_the_allow_list_refuses_other_groups_in_one_line():
    group = actions.Group("id-9", "SOC Escalation")
    actions.check_allowed((), group, "prod")
    actions.check_allowed(("soc escalation",), group, "prod")
    actions.check_allowed(("id-9",), group, "prod")
    with pytest.raises(actions.ActionError, match="may change only the groups 'High Risk Users'"):
        actions.check_allowed(("High Risk Users",), group, "prod")


@pytest.mark.parametrize(
    ("raw", "days"),
    [
        ("", None),
        (None, None),
        ("7", 7.0),
        (" 7 ", 7.0),
        ("0.5", 0.5),
        (".5", 0.5),
        ("365", 365.0),
        (7, 7.0),
        (0.00002, 0.00002),  # a SOAR playbook's float, which str() writes as 2e-05
    ],
)
def test_for_days(raw, days):
    assert containment.parse_days(raw) == days


@pytest.mark.parametrize(
    "raw",
    [
        *("0", "-1", "366", "two", "nan", "inf", "\u0667", "1_0", "1e-300", "+7", ".", "1.2.3", "1" * 5000),
        *(float("nan"), float("inf"), 1e-300, 1e20, True),
    ],
)
def test_bad_for_days(raw):
    with pytest.raises(ValueError, match="is not a number of days above 0"):
        containment.parse_days(raw)


def test_a_damaged_document_is_not_a_record():
    assert containment.from_document({"user": "a@x.example", "expires_at": "soon"}) is None
