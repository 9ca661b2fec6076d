"""The group calls cut at Mimecast's real limits: adds up to 500 members a call, removes up to 10 and within
2,048 bytes of body; per-member failures in fail[] are outcomes, not a failed call."""

from __future__ import annotations

from splunk_app.mimecast import endpoints, errors
from splunk_app.mimecast.endpoints import ENDPOINTS

ADD, REMOVE = ENDPOINTS["add_group_member"], ENDPOINTS["remove_group_member"]
GROUP = "eNoGroupIdOfTypicalLength0123456789abcdefghijklmnopqrstuvwxyz"


def _items(count: int, local: str = "user") -> list[dict[str, str]]:
    return [{"id": GROUP, "emailAddress": f"{local}{n}@example.com"} for n in range(count)]


def test_adds_go_500_a_call():
    cut = list(endpoints.batches(ADD, _items(1201)))

    assert [len(batch) for batch, _ in cut] == [500, 500, 201]
    assert all(fits for _, fits in cut)
    assert [item for batch, _ in cut for item in batch] == _items(1201)


def test_removes_go_10_a_call_when_short():
    cut = list(endpoints.batches(REMOVE, _items(25)))

    assert [len(batch) for batch, _ in cut] == [10, 10, 5]


def test_removes_of_long_addresses_stay_within_2048_bytes():
    items = _items(40, local="a.very.long.mailbox.name.for.a.shared.department.account." * 2)
    meta = {"accountCode": "C0DE42"}

    cut = list(endpoints.batches(REMOVE, items, meta))

    sizes = [len(endpoints.body(batch, meta)) for batch, _ in cut]
    assert max(sizes) <= 2048
    assert all(len(batch) <= 10 for batch, _ in cut)
    assert len(cut) > 4  # the byte limit, not the count, decided
    assert [item for batch, _ in cut for item in batch] == items
    # each call is as full as the limit allows: one more item would not have fitted
    for (batch, _), (following, _) in zip(cut, cut[1:]):
        assert len(batch) == 10 or len(endpoints.body([*batch, following[0]], meta)) > 2048


def test_an_address_too_long_for_any_call_comes_alone_and_unsendable():
    huge = {"id": GROUP, "emailAddress": "x" * 2100 + "@example.com"}
    items = [*_items(3), huge, *_items(2, local="after")]

    cut = list(endpoints.batches(REMOVE, items))

    assert cut == [(_items(3), True), ([huge], False), (_items(2, local="after"), True)]


def test_the_body_is_what_the_client_sends():
    assert (
        endpoints.body([{"a": 1}], {"accountCode": "X"}) == b'{"meta":{"accountCode":"X"},"data":[{"a":1}]}'
    )
    assert endpoints.body([]) == b'{"data":[]}'


def test_per_member_failures_are_outcomes_of_a_call_that_worked():
    payload = {
        "meta": {"status": 200},
        "data": [{"emailAddress": "b@example.com"}],
        "fail": [
            {
                "key": {"id": GROUP, "emailAddress": "a@example.com"},
                "errors": [{"code": "err_folder_group_member_already_exists", "message": "exists"}],
            }
        ],
    }

    assert errors.from_response("add_group_member", 200, payload, per_item=True) is None
    assert isinstance(errors.from_response("add_group_member", 200, payload), errors.ApiError)
    (key, failure), *_ = errors.item_failures(payload)
    assert key["emailAddress"] == "a@example.com"
    assert failure.code == "err_folder_group_member_already_exists"


def test_a_failure_without_a_key_still_fails_the_call():
    payload = {
        "data": [],
        "fail": [{"errors": [{"code": "err_developer_key", "message": "App ID is invalid"}]}],
    }

    assert errors.item_failures(payload) == []
    assert isinstance(
        errors.from_response("add_group_member", 200, payload, per_item=True), errors.BadCredentials
    )
