"""Both alert actions (`--execute`, as splunkd runs them, under the memory cap) and the account check against
every hostile answer: bounded in time and memory, one clear outcome, nothing secret or forged in what they
write, and the check's message quotes Mimecast's own fail[] words at most, never a remote body."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from devkit.hostile import BEHAVIOURS, FORGED_LINE, HostileMimecast
from splunk_app.account_check import check_account
from workshop.actions.conftest import run_action, splunk_home, splunkd  # noqa: F401 - the actions' fixtures

from .conftest import BIN_BEHAVIOURS, assert_clean

ACTIONS = ("mimecast_add_to_group", "mimecast_remove_from_group")
USERS = ("ann@simulated.example", "bob@simulated.example")
SECONDS = 60.0


@pytest.fixture(params=BIN_BEHAVIOURS)
def tenant(request: pytest.FixtureRequest) -> Iterator[HostileMimecast]:
    """The actions' fixtures call Mimecast `tenant`: here it is the hostile one."""
    with HostileMimecast(request.param) as server:
        yield server


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("account", ["prod", "legacy"], ids=["oauth2", "hmac"])
def test_an_alert_action_against_a_hostile_mimecast_is_bounded_and_clean(
    run_action,  # noqa: F811 - the fixture imported above
    tenant: HostileMimecast,
    capped_python: str,
    action: str,
    account: str,
) -> None:
    rows = [{"user": user, "_raw": f"click by {user}"} for user in USERS]
    started = time.monotonic()
    run = run_action(action, rows, python=(capped_python,), account=account, dry_run="0")
    assert time.monotonic() - started < SECONDS
    assert tenant.calls, "the action made no call to Mimecast"
    assert_clean(run.stderr + "\n".join(run.lines), tenant)


@pytest.mark.parametrize("behaviour", sorted(set(BEHAVIOURS) - {"slow_drip", "slow_headers"}))
@pytest.mark.parametrize("auth", ["oauth2", "hmac"])
def test_the_account_check_against_a_hostile_mimecast_answers_in_words(behaviour: str, auth: str) -> None:
    with HostileMimecast(behaviour) as server:
        keys = server.keys
        fields = {"auth_type": auth, "base_url": server.base_url}
        if auth == "oauth2":
            fields.update(client_id=keys.client_id, client_secret=keys.client_secret)
        else:
            fields.update(
                app_id=keys.app_id,
                app_key=keys.app_key,
                access_key=keys.access_key,
                secret_key=keys.secret_key,
            )
        started = time.monotonic()
        result = check_account(fields)
        elapsed = time.monotonic() - started
    assert elapsed < SECONDS
    message = result.message
    for secret in (keys.client_secret, keys.app_key, keys.access_key, keys.secret_key):
        assert secret not in message
    assert not any(ord(char) < 32 for char in message), message
    assert "refused " not in message and FORGED_LINE not in message  # the echoing server's own body
    assert "x" * 200 not in message and "pad@example.com" not in message  # nothing of a huge body
