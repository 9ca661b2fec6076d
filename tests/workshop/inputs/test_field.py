"""Inputs where the field differs from the lab: a heavy forwarder without a KV store, an account left
incomplete, splunkd closing the input's output. Each says one honest line and loses nothing."""

from __future__ import annotations

import os
import subprocess

import pytest

from devkit import modinput
from devkit.simulator import Faults

from .conftest import users_of

ACCOUNT_CONF = "ta_mimecast_awareness_account"


def summary(splunkd, data_set: str) -> str:
    (line,) = [line for line in splunkd.log(data_set) if "mc_summary=input" in line]
    return line


@pytest.mark.parametrize("input_type", ["mimecast_at_safe_score", "mimecast_at_watchlist"])
def test_auto_skips_the_risk_table_quietly_where_there_is_no_kv_store(splunkd, tenant, input_type):
    splunkd.standin.faults.kvstore_disabled = True
    result = splunkd.run(input_type)
    data_set = input_type.removeprefix("mimecast_at_")
    assert result.returncode == 0, splunkd.log(data_set)
    assert result.events
    assert not [line for line in splunkd.log(data_set) if " ERROR " in line]
    (note,) = [line for line in splunkd.log(data_set) if "risk table not synced" in line]
    assert " INFO " in note and "no KV store" in note and "Rebuild risk table from events" in note
    assert "outcome=success" in summary(splunkd, data_set) and "risk_saved" not in summary(splunkd, data_set)
    assert splunkd.table() == {}


def test_on_insists_on_the_kv_store_and_says_so_after_sending_the_events(splunkd, tenant):
    splunkd.standin.faults.kvstore_disabled = True
    result = splunkd.run("mimecast_at_safe_score", risk_table_sync="on")
    assert result.returncode == 1
    assert len(users_of(result, "mimecast:awareness:safe_score")) == 40
    (line,) = [line for line in splunkd.log("safe_score") if " ERROR " in line]
    assert "splunkd call failed" in line and "KV Store is disabled" in line
    assert "outcome=failed" in summary(splunkd, "safe_score") and "error_class=splunkd" in summary(
        splunkd, "safe_score"
    )


def test_off_never_touches_the_table(splunkd, tenant):
    assert splunkd.run("mimecast_at_safe_score", risk_table_sync="off").returncode == 0
    assert splunkd.table() == {}
    assert not [r for r in splunkd.standin.requests if "storage/collections" in r.path]


def test_training_on_a_forwarder_without_users_says_what_to_set(splunkd, tenant):
    splunkd.standin.faults.kvstore_disabled = True
    result = splunkd.run("mimecast_at_training")
    assert result.returncode == 0 and result.events == []
    (line,) = [line for line in splunkd.log("training") if " WARNING " in line]
    assert "no users to pull" in line and "Users setting" in line
    assert "outcome=skipped" in summary(splunkd, "training")
    assert not [r for r in tenant.requests if r.path.endswith("get-training-details")]


def test_an_incomplete_account_says_edit_it_not_splunkd_failed(splunkd):
    splunkd.standin.set_conf(ACCOUNT_CONF, "half", {"auth_type": "oauth2", "base_url": "https://x.example"})
    result = splunkd.run("mimecast_at_queue", account="half")
    assert result.returncode == 1 and result.events == []
    (line,) = [line for line in splunkd.log("queue") if " ERROR " in line]
    assert "lacks client_secret, client_id" in line and "Configuration page" in line
    assert "splunkd call failed" not in line
    assert "error_class=configuration" in summary(splunkd, "queue")


def test_splunkd_closing_the_output_ends_the_run_in_one_line_and_loses_nothing(splunkd, tenant):
    # Pages after the first are slow: splunkd goes away while the input waits for the second.
    tenant.faults = Faults(slow_requests=10, slow_seconds=0.5, path="get-safe-score-details", after=1)
    definition = splunkd.definition("mimecast_at_safe_score", {"page_size": "5"})
    env = {**os.environ, **splunkd.env}
    process = subprocess.Popen(
        modinput.command(modinput.script_path("mimecast_at_safe_score")),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    process.stdin.write(definition)
    process.stdin.close()
    process.stdout.read(200)  # splunkd read a little, then went away
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    (line,) = [line for line in splunkd.log("safe_score") if " ERROR " in line]
    assert "splunkd closed the input's output" in line and "checkpoint folder" not in line
    assert "error_class=output_closed" in summary(splunkd, "safe_score")
    tenant.faults = Faults()
    rerun = splunkd.run("mimecast_at_safe_score", page_size="5")
    assert rerun.returncode == 0
    # Only a page committed before splunkd left (the first, at most) is not sent again.
    everyone = [user["emailAddress"].lower() for user in tenant.expected_users()]
    missing = set(everyone) - set(users_of(rerun, "mimecast:awareness:safe_score"))
    assert missing in (set(), set(everyone[:5]))
