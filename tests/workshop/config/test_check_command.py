"""`mimecast-at check` from a shell: secrets from environment variables, the check's words on stdout,
exit status 0 only when the account works."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from devkit.simulator import SimulatedTenant


@pytest.fixture(scope="module")
def tenant() -> Iterator[SimulatedTenant]:
    with SimulatedTenant(users=10, seed=9) as running:
        yield running


def check(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MIMECAST_")}
    return subprocess.run(
        [sys.executable, "-m", "devkit.cli", "check", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **env},
        check=False,
    )


def test_hmac_account_from_environment_variables(tenant: SimulatedTenant) -> None:
    keys = tenant.keys
    done = check(
        "--base-url",
        tenant.base_url,
        "--auth",
        "hmac",
        env={
            "MIMECAST_APP_ID": keys.app_id,
            "MIMECAST_APP_KEY": keys.app_key,
            "MIMECAST_ACCESS_KEY": keys.access_key,
            "MIMECAST_SECRET_KEY": keys.secret_key,
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK: ")
    assert all(secret not in done.stdout + done.stderr for secret in (keys.app_key, keys.secret_key))


def test_wrong_oauth2_secret_fails_with_words_and_status_1(tenant: SimulatedTenant) -> None:
    done = check(
        "--base-url",
        tenant.base_url,
        env={"MIMECAST_CLIENT_ID": tenant.keys.client_id, "MIMECAST_CLIENT_SECRET": "wrong-client-secret"},
    )
    assert done.returncode == 1
    assert done.stdout.startswith("FAILED (bad_credentials): ")
    assert "wrong-client-secret" not in done.stdout + done.stderr


def test_missing_environment_variable_is_named(tenant: SimulatedTenant) -> None:
    done = check("--base-url", tenant.base_url, env={"MIMECAST_CLIENT_ID": tenant.keys.client_id})
    assert done.returncode == 1
    assert "MIMECAST_CLIENT_SECRET" in done.stdout
