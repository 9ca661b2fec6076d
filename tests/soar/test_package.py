"""The package `make soar` built with the SDK's packager: its manifest lists every action with the outputs
a playbook reads, and the app runs as SOAR installs it, under Python 3.9 and 3.13, from the manifest's own
wheels (plus requests, which SOAR provides) and the package's copy of splunk_app, nothing of this
repository on its path: get user risk, two polls, an add for 7 days and its revert."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from devkit import soar
from splunk_app.allowed_groups import FIELD, LABEL
from splunk_app.risk.policy import POLICY_FILE, read_policy

from .conftest import GROUP, checked

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = "requests==2.32.5"  # the version the add-on vendors; SOAR ships its own
OUTPUTS = {
    "get user risk": (
        "found",
        "match",
        "email",
        "safe_grade",
        "risky_grade",
        "human_error",
        "engagement",
        "knowledge",
        "sentiment",
        "watch_list",
        "watch_list_count",
        "training_correct",
        "training_incorrect",
        "training_not_watched",
        "phishing_results.*.status",
        "phishing_results.*.campaign_name",
    ),
    "list risky users": ("email", "name", "department", "safe_grade", "watch_list", "watch_list_count"),
    "get phishing results": ("campaign_id", "campaign_name", "email", "status", "time_clicked"),
    "add to group": ("user", "outcome", "detail", "group", "run_id"),
    "remove from group": ("user", "outcome", "detail", "group", "run_id"),
    "release expired": ("user", "outcome", "detail", "group", "run_id"),
    "revert run": ("user", "outcome", "detail", "group", "run_id"),
}


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    built = sorted((ROOT / "dist").glob("mimecast-awareness-soar-*.tgz"))
    if not built:
        pytest.fail("no SOAR package in dist/: run make soar")
    folder = tmp_path_factory.mktemp("soar-package")
    with tarfile.open(built[-1]) as tar:
        tar.extractall(folder, filter="data")
    [top] = list(folder.iterdir())
    return top


@pytest.fixture(scope="module")
def manifest(package) -> dict:
    return json.loads((package / "manifest.json").read_text())


def test_every_action_with_its_outputs(manifest):
    actions = {action["action"]: action for action in manifest["actions"]}
    assert set(actions) == {*OUTPUTS, "test connectivity", "on poll"}
    for name, fields in OUTPUTS.items():
        paths = {output["data_path"] for output in actions[name]["output"]}
        assert {f"action_result.data.*.{field}" for field in fields} <= paths, name
        assert "action_result.message" in paths
    for name in ("add to group", "remove from group", "release expired", "revert run"):
        paths = {output["data_path"]: output for output in actions[name]["output"]}
        assert "action_result.summary.warnings" in paths, name
        assert {"error", "warning"} <= set(paths["action_result.data.*.outcome"]["example_values"]), name
    assert actions["on poll"]["type"] == "ingest"
    assert actions["add to group"]["read_only"] is False
    assert actions["get user risk"]["read_only"] is True


def test_asset_secrets_are_password_fields(manifest):
    configuration = manifest["configuration"]
    for name in ("client_secret", "app_key", "access_key", "secret_key"):
        assert configuration[name]["data_type"] == "password"
    assert configuration["base_url"]["required"] is True
    assert manifest["python_version"] == "3.9,3.13"


def test_the_asset_has_the_add_ons_allow_list_of_groups(manifest):
    field = manifest["configuration"][FIELD]
    assert field["data_type"] == "string" and not field.get("required")
    assert field["description"].startswith(LABEL)


def test_the_package_carries_splunk_app_without_its_splunkd_parts(package):
    lib = package / "src" / "lib" / "splunk_app"
    assert (lib / "mimecast" / "client.py").is_file()
    assert (lib / "risk" / "identity.py").is_file()
    assert not (lib / "splunk").exists()
    assert not list(package.rglob("*.pyc"))


def test_the_package_carries_the_risk_policy_its_grade_choices_come_from(package, manifest):
    """The grades are read from the policy table (staged before the packager imports app.py), not copied."""
    carried = package / "src" / "lookups" / POLICY_FILE
    assert carried.read_bytes() == (ROOT / "lookups" / POLICY_FILE).read_bytes()
    policy = read_policy(carried)
    [risky] = [action for action in manifest["actions"] if action["action"] == "list risky users"]
    grade = risky["parameters"]["grade"]
    assert grade["value_list"] == policy.grades()
    first_risky = next(g for g in policy.grades() if policy.rule(g).risky)
    assert grade["default"] == first_risky


@pytest.mark.parametrize("version", ["3.9", "3.13"])
def test_installed_as_soar_does(version, package, manifest, tmp_path, tenant, asset):
    prefix = subprocess.run(
        ["pyenv", "prefix", version], capture_output=True, text=True, check=True
    ).stdout.strip()
    venv = tmp_path / "venv"
    subprocess.run([f"{prefix}/bin/python3", "-m", "venv", str(venv)], check=True)
    key = "pip39_dependencies" if version == "3.9" else "pip313_dependencies"
    wheels = [str(package / wheel["input_file"]) for wheel in manifest[key]["wheel"]]
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-deps", "--no-index", *wheels], check=True)
    provided = ROOT / "build" / "soar" / "requests"  # `make soar` fetched them: the test reaches no index
    subprocess.run([*pip, "--no-index", "--find-links", str(provided), REQUESTS], check=True)
    python = venv / "bin" / "python"
    email = sorted(record["emailAddress"].lower() for record in tenant.expected_users())[2]
    app = package / "src" / "app.py"
    user = f"SIMULATED\\{email.split('@')[0]}"
    run = soar.run(
        "get_user_risk", asset, {"user": user}, tmp_path / "state", app=app, python=python, pythonpath=None
    )
    checked(run, tenant.keys)
    assert run.ok and run.data[0]["email"] == email
    how = {"app": app, "python": python, "pythonpath": None}
    state = tmp_path / "state"
    for _poll in range(2):  # a baseline, then the changes
        polled = checked(soar.run("on_poll", asset, {}, state, **how), tenant.keys)
        assert polled.ok
        tenant.advance(changed=10)
    assert polled.containers
    add = {"users": email, "group": GROUP, "days": 7, "dry_run": False}
    added = checked(soar.run("add_to_group", asset, add, state, **how), tenant.keys)
    assert added.ok and email in tenant.group_members(GROUP)
    revert = {"run_id": added.results[0].summary["run_id"]}
    reverted = checked(soar.run("revert_run", asset, revert, state, **how), tenant.keys)
    assert reverted.ok and [(row["user"], row["outcome"]) for row in reverted.data] == [(email, "reverted")]
    assert email not in tenant.group_members(GROUP)
    assert f"python{version}" in str(next((venv / "lib").iterdir()))
