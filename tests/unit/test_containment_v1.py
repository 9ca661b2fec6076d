"""Records written by 1.0.0: which documents have its shape, which times it could have written, the signed
record an adoption makes of one, and the digest that binds an adoption to the list an administrator read."""

from __future__ import annotations

import dataclasses

import pytest

from splunk_app import containment, containment_v1
from splunk_app.containment import DAY

KEY = b"k" * 32
NOW = containment_v1.RELEASED + 6 * DAY
V1 = {
    "_key": "prod|g1|ann@x.example",
    "user": "ann@x.example",
    "group": "High Risk",
    "group_id": "g1",
    "account": "prod",
    "added_at": NOW - 5 * DAY,
    "expires_at": NOW + 2 * DAY,
    "search_name": "Risky users who clicked",
    "sid": "sid-1",
    "already_member": False,
    "extended_by_sid": "sid-2",
}


def _record(**changes):
    record = containment.from_document({**V1, **changes})
    assert record is not None
    return record


@pytest.mark.parametrize("later", containment_v1.LATER)
def test_a_document_with_any_field_that_came_with_signing_is_not_1_0_0s(later):
    assert containment_v1.shaped(V1) and containment_v1.shaped({**V1, later: ""})
    assert not containment_v1.shaped({**V1, later: "x"})


def test_an_adopted_record_keeps_its_times_and_passes_the_bounds_and_its_mac():
    adopted = containment.sign(containment_v1.adopted(_record()), KEY)

    assert containment_v1.unfit(_record(), NOW) == ""
    assert (adopted.added_at, adopted.stamped_at, adopted.expires_at) == (V1["added_at"],) * 2 + (
        V1["expires_at"],
    )
    assert adopted.for_days == pytest.approx(7) and adopted.latest_sid == "sid-2"
    assert (adopted.state, adopted.generation) == (containment.HELD, 1)
    assert containment.out_of_bounds(adopted, NOW) == "" and containment.genuine(adopted, KEY)
    assert containment_v1.adopted(_record(extended_by_sid="")).latest_sid == "sid-1"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"added_at": containment_v1.RELEASED - 1}, "added before version 1.0.0 was released"),
        ({"expires_at": NOW - 5 * DAY}, "expires before it was added"),
        ({"expires_at": NOW + 366 * DAY}, "expires more than 365 days from now"),
        ({"added_at": NOW + DAY, "expires_at": NOW + 2 * DAY}, "stamped in the future"),
    ],
)
def test_times_1_0_0_could_not_have_written_are_unfit(changes, reason):
    assert reason in containment_v1.unfit(_record(**changes), NOW)


def test_the_digest_changes_with_any_field_or_any_record():
    records = [_record(), _record(_key="prod|g1|bob@x.example", user="bob@x.example")]
    digest = containment_v1.digest(records)

    assert digest == containment_v1.digest(list(records)) and len(digest) == 20
    assert containment_v1.digest(records[:1]) != digest
    for name in ("group", "group_id", "expires_at", "sid", "extended_by_sid", "already_member"):
        value = getattr(records[0], name)
        changed = dataclasses.replace(
            records[0], **{name: not value if isinstance(value, bool) else value * 2}
        )
        assert containment_v1.digest([changed, records[1]]) != digest, name
