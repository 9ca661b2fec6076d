"""Mimecast's answer to an add or remove call is read per user from its fail[] keys: an answer whose fail[]
names someone the call did not send (or names nobody) is not an answer to that call, so it proves nothing
about the users sent, and none of them is counted as changed."""

from __future__ import annotations

import pytest

from splunk_app import actions

GROUP = actions.Group("g1", "High Risk Users")
ANN = actions.Target("ann@simulated.example", "0")


class _Client:
    """Answers every call with one fixed body, in one batch."""

    def __init__(self, answer: dict) -> None:
        self.answer = answer

    def batches(self, endpoint, items):
        yield items, True

    def post(self, endpoint, data=None, meta=None):
        return self.answer


def _fail(key) -> dict:
    return {"data": [], "fail": [{"key": key, "errors": [{"code": "err_x", "message": "refused"}]}]}


@pytest.mark.parametrize("mode", ["add", "remove"])
@pytest.mark.parametrize(
    "key",
    [
        {"id": "g1", "emailAddress": "someone.else@simulated.example"},
        {"id": "g1"},
        "ann@simulated.example",
    ],
)
def test_a_fail_that_names_someone_not_sent_changes_nobody(mode, key):
    outcomes = list(actions.act(_Client(_fail(key)), mode, GROUP, [ANN], dry_run=False))

    mine = [o for o in outcomes if o.email == ANN.email]
    assert [(o.outcome, o.unsure) for o in mine] == [("failed", True)]
    assert [o.outcome for o in outcomes if o.email is None] == ["error"]


def test_a_fail_that_names_the_user_sent_is_that_users_outcome():
    key = {"id": "g1", "emailAddress": "ann@simulated.example"}
    answer = _fail(key)
    answer["fail"][0]["errors"][0]["code"] = "err_folder_group_member_already_exists"
    assert [o.outcome for o in actions.act(_Client(answer), "add", GROUP, [ANN], dry_run=False)] == [
        "already_member"
    ]
