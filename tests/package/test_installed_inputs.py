"""Every modular input of the installed package, run as splunkd runs it, under Splunk's Pythons 3.9 and
3.13 started with -E -s -S: only the script's folder and what the app itself puts on sys.path (its lib/).

The input types are discovered from the package's README/inputs.conf.spec, so a new input is tested
without touching this file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit import modinput
from devkit.simulator import SimulatedTenant
from devkit.splunkd import SplunkdStandIn
from splunk_app.inputs.catalogue import CATALOGUE

from .conffiles import parse_conf

ACCOUNTS = "ta_mimecast_awareness_account"
RISK_COLLECTION = "mimecast_user_risk"
# inputs.conf settings splunkd itself handles; every other key of the spec must be a scheme argument.
SPLUNKD_OWN = {"interval", "index", "sourcetype", "host", "disabled", "python.version", "python.required"}


@pytest.fixture(scope="module")
def isolated_python(splunk_python: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The interpreter as splunkd would start it, but blind to the environment, user and site packages."""
    wrapper = tmp_path_factory.mktemp("python") / "python3"
    wrapper.write_text(f'#!/bin/sh\nexec "{splunk_python}" -E -s -S "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


@pytest.fixture(scope="module")
def spec(installed_app: Path) -> dict[str, set[str]]:
    stanzas = parse_conf(installed_app / "README" / "inputs.conf.spec")
    return {name.split("://")[0]: set(keys) for name, keys in stanzas.items() if "://" in name}


@pytest.fixture(scope="module")
def tenant() -> Iterator[SimulatedTenant]:
    with SimulatedTenant(users=30, seed=11) as running:
        yield running


def test_the_package_has_every_input_type(spec: dict[str, set[str]]) -> None:
    assert sorted(spec) == sorted(CATALOGUE)


def test_each_scheme_equals_the_spec(
    installed_app: Path, isolated_python: str, spec: dict[str, set[str]]
) -> None:
    mismatched = {}
    for input_type, keys in sorted(spec.items()):
        scheme = modinput.scheme(modinput.script_path(input_type, installed_app / "bin"), isolated_python)
        arguments = {arg.get("name") for arg in scheme.iter("arg")} - SPLUNKD_OWN
        if arguments != keys - SPLUNKD_OWN:
            mismatched[input_type] = {
                "scheme only": sorted(arguments - keys),
                "spec only": sorted(keys - SPLUNKD_OWN - arguments),
            }
    assert mismatched == {}


def test_each_input_pulls_from_the_simulated_tenant(
    installed_app: Path,
    isolated_python: str,
    spec: dict[str, set[str]],
    tenant: SimulatedTenant,
    tmp_path: Path,
) -> None:
    defaults = parse_conf(installed_app / "default" / "inputs.conf")
    two_users = ",".join(user["emailAddress"] for user, _ in zip(tenant.expected_users(), range(2)))
    failures = {}
    with SplunkdStandIn() as splunkd:
        splunkd.set_conf(
            ACCOUNTS,
            "sim",
            {"auth_type": "oauth2", "base_url": tenant.base_url, "client_id": tenant.keys.client_id},
        )
        splunkd.set_encrypted(ACCOUNTS, "sim", {"client_secret": tenant.keys.client_secret})
        modinput.add_account(splunkd, "sim_hmac", tenant, auth="hmac")  # training campaigns: API 1.0 only
        splunkd.create_collection(RISK_COLLECTION)
        for input_type in sorted(spec):
            stanza = defaults.get(input_type, {})
            params = {key: value for key, value in stanza.items() if key in spec[input_type]}
            params.update(
                account="sim_hmac" if input_type == "mimecast_at_campaign" else "sim", index="mimecast"
            )
            if "users" in spec[input_type]:
                params["users"] = two_users
            checkpoints = tmp_path / input_type
            checkpoints.mkdir()
            definition = modinput.input_definition(
                f"{input_type}://package_test",
                params,
                server_uri=splunkd.uri,
                session_key=splunkd.session_key,
                checkpoint_dir=str(checkpoints),
            )
            result = modinput.run(
                modinput.script_path(input_type, installed_app / "bin"),
                definition,
                isolated_python,
                timeout=120,
            )
            problems = _problems(result)
            if problems:
                failures[input_type] = problems
    assert failures == {}


def _problems(result: modinput.RunResult) -> list[str]:
    problems = []
    if result.returncode != 0:
        problems.append(f"exit {result.returncode}: {result.stderr[-1500:]}")
    if not result.events:
        problems.append(f"no event; stderr: {result.stderr[-1500:]}")
    for event in result.events:
        if not (event.sourcetype or "").startswith("mimecast:awareness:"):
            problems.append(f"sourcetype {event.sourcetype!r}")
        record = json.loads(event.data)
        if "mc_snapshot_id" not in record or "mc_account" not in record:
            problems.append(f"event without the add-on's fields: {event.data[:200]}")
    return problems[:5]
