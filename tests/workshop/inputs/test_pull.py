"""`mimecast-at pull`: the same collection code from a shell, secrets from the environment, and no
half-written file that looks complete."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from devkit.simulator import Faults


def pull(tenant, *args, secrets=True):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIMECAST_")}
    if secrets:
        env.update(MIMECAST_CLIENT_ID=tenant.keys.client_id, MIMECAST_CLIENT_SECRET=tenant.keys.client_secret)
    command = [sys.executable, "-m", "devkit.cli", "pull", *args, "--base-url", tenant.base_url]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)


def test_pull_writes_every_user_as_json_lines(tenant, tmp_path):
    out = tmp_path / "safe.jsonl"
    done = pull(tenant, "safe_score", "--page-size", "9", "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(line["event"]["mc_user"] for line in lines) == sorted(
        user["emailAddress"].lower() for user in tenant.expected_users()
    )
    assert {line["sourcetype"] for line in lines} == {"mimecast:awareness:safe_score"}
    assert "40 records" in done.stderr and tenant.keys.client_secret not in done.stderr + done.stdout


def test_pull_performance_to_stdout_includes_modules(tenant):
    done = pull(tenant, "performance")
    assert done.returncode == 0, done.stderr
    kinds = {json.loads(line)["sourcetype"] for line in done.stdout.splitlines()}
    assert kinds == {"mimecast:awareness:performance", "mimecast:awareness:user_module"}


def test_missing_secrets_are_named(tenant):
    done = pull(tenant, "queue", secrets=False)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "mimecast-at pull: set the environment variable(s) MIMECAST_CLIENT_ID, MIMECAST_CLIENT_SECRET "
        "for --auth oauth2"
    )


def test_a_failed_pull_leaves_no_file(tenant, tmp_path):
    tenant.faults = Faults(binding_expired=1000, path="get-safe-score-details", after=1)
    out = tmp_path / "safe.jsonl"
    done = pull(tenant, "safe_score", "--page-size", "9", "--out", str(out))
    assert done.returncode == 1
    assert done.stderr.startswith("mimecast-at pull: ") and len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_training_names_a_user_mimecast_does_not_know(tenant):
    known = next(tenant.expected_users())["emailAddress"]
    done = pull(tenant, "training", "--users", f"nobody@nowhere.example,{known}")
    assert done.returncode == 0, done.stderr
    assert "Mimecast does not know user nobody@nowhere.example; skipped" in done.stderr
    assert {json.loads(line)["event"]["mc_user"] for line in done.stdout.splitlines()} == {known.lower()}
