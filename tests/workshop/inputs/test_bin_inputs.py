"""Every bin/ input run as splunkd runs it (subprocess, --scheme, --validate-arguments, the input
definition on stdin) against the simulated tenant, with the splunkd stand-in answering its REST calls."""

from __future__ import annotations

import calendar
import json
import time
from collections import Counter

import pytest

from devkit import modinput
from splunk_app.inputs.catalogue import CATALOGUE
from splunk_app.inputs.settings import SPLUNKD_SETTINGS

from .conftest import ACCOUNT, LEGACY, users_of

SOURCETYPES = {
    "mimecast_at_safe_score": {"mimecast:awareness:safe_score"},
    "mimecast_at_safe_score_summary": {"mimecast:awareness:safe_score_summary"},
    "mimecast_at_watchlist": {"mimecast:awareness:watchlist"},
    "mimecast_at_watchlist_summary": {"mimecast:awareness:watchlist_summary"},
    "mimecast_at_performance_summary": {"mimecast:awareness:performance_summary"},
    "mimecast_at_performance": {"mimecast:awareness:performance", "mimecast:awareness:user_module"},
    "mimecast_at_training": {"mimecast:awareness:training"},
    "mimecast_at_queue": {"mimecast:awareness:module"},
    "mimecast_at_campaign": {"mimecast:awareness:campaign", "mimecast:awareness:campaign_result"},
    "mimecast_at_phishing": {"mimecast:awareness:phishing_campaign", "mimecast:awareness:phishing_result"},
}
AWARENESS = "/api/awareness-training"


def expected_emails(tenant):
    return sorted(user["emailAddress"].lower() for user in tenant.expected_users())


@pytest.mark.parametrize("input_type", sorted(CATALOGUE))
def test_the_scheme_declares_the_catalogues_settings(input_type):
    scheme = modinput.scheme(modinput.script_path(input_type))
    arguments = {arg.get("name"): arg for arg in scheme.iter("arg")}
    expected = {s.name for s in CATALOGUE[input_type].all_settings if s.name not in SPLUNKD_SETTINGS}
    assert set(arguments) == expected
    assert arguments["account"].findtext("required_on_create") == "true"
    assert scheme.findtext("use_external_validation") == "true"
    assert scheme.findtext("streaming_mode") == "xml"


def test_validate_arguments_refuses_a_wrong_setting_in_words(splunkd):
    definition = modinput.validation_definition(
        "bad",
        {"account": ACCOUNT, "page_size": "900"},
        server_uri=splunkd.standin.uri,
        session_key=splunkd.standin.session_key,
        checkpoint_dir=str(splunkd.checkpoints),
    )
    ok, message = modinput.validate(modinput.script_path("mimecast_at_safe_score"), definition)
    assert not ok and "page_size must be from 1 to 500, not 900" in message
    good = modinput.validation_definition(
        "good",
        {"account": ACCOUNT, "page_size": "100"},
        server_uri=splunkd.standin.uri,
        session_key=splunkd.standin.session_key,
        checkpoint_dir=str(splunkd.checkpoints),
    )
    assert modinput.validate(modinput.script_path("mimecast_at_safe_score"), good) == (True, "")


@pytest.mark.parametrize("input_type", sorted(CATALOGUE))
def test_each_input_writes_its_events(splunkd, tenant, input_type):
    params = {"page_size": "7"} if "page_size" in {s.name for s in CATALOGUE[input_type].all_settings} else {}
    if input_type == "mimecast_at_training":
        params["users"] = ",".join(expected_emails(tenant)[:3])
    account = LEGACY if input_type == "mimecast_at_campaign" else ACCOUNT
    result = splunkd.run(input_type, account=account, **params)
    assert result.returncode == 0, result.stderr
    assert result.events
    assert {event.sourcetype for event in result.events} == SOURCETYPES[input_type]
    for event in result.events:
        assert event.index == "mimecast" and event.stanza == f"{input_type}://test"
        payload = json.loads(event.data)
        assert payload["mc_account"] == account and payload["mc_snapshot_id"]
        snapshot_time = calendar.timegm(time.strptime(payload["mc_snapshot_time"], "%Y-%m-%dT%H:%M:%SZ"))
        assert event.time == snapshot_time
    data_set = CATALOGUE[input_type].name
    summaries = [line for line in splunkd.log(data_set) if "mc_summary=input" in line]
    assert len(summaries) == 1 and "outcome=success" in summaries[0], splunkd.log(data_set)
    assert f"data_set={data_set} " in summaries[0] and f"events={len(result.events)} " in summaries[0]


def test_safe_score_sends_every_user_once_and_fills_the_risk_table(splunkd, tenant):
    result = splunkd.run("mimecast_at_safe_score", page_size="7")
    assert sorted(users_of(result, "mimecast:awareness:safe_score")) == expected_emails(tenant)
    pages = [r for r in tenant.requests if r.path.endswith("get-safe-score-details")]
    assert len(pages) == -(-40 // 7)
    table = splunkd.table()
    assert sorted(table) == expected_emails(tenant)
    grades = {user["emailAddress"].lower(): user["risk"] for user in tenant.expected_users()}
    assert all(table[email]["safe_grade"] == (grades[email] or "") for email in table)


def test_the_three_risk_inputs_share_the_table(splunkd, tenant):
    for input_type in ("mimecast_at_safe_score", "mimecast_at_watchlist", "mimecast_at_performance"):
        assert splunkd.run(input_type).returncode == 0
    table = splunkd.table()
    watched = {
        r["email"].lower(): r["watchlistCount"]
        for r in tenant.expected(f"{AWARENESS}/company/get-watchlist-details")
    }
    assert watched and all(table[email]["watchlist"] == "true" for email in watched)
    assert all(row["watchlist"] == "false" for email, row in table.items() if email not in watched)
    assert all(row["safe_grade"] != "" or row["priority"] == "unknown" for row in table.values())
    assert all(row["num_correct"] != "" for row in table.values())


def test_emit_on_change_over_three_runs(splunkd, tenant):
    first = splunkd.run("mimecast_at_performance", page_size="9")
    assert sorted(users_of(first, "mimecast:awareness:performance")) == expected_emails(tenant)
    before = {
        r["email"].lower(): r
        for r in tenant.expected(
            f"{AWARENESS}/company/get-performance-details", [{"includeUserDetails": True}]
        )
    }
    tenant.advance(changed=6, removed=2, added=3)
    after = {
        r["email"].lower(): r
        for r in tenant.expected(
            f"{AWARENESS}/company/get-performance-details", [{"includeUserDetails": True}]
        )
    }
    changed = sorted(email for email, record in after.items() if before.get(email) != record)
    assert changed  # the tenant did change something
    second = splunkd.run("mimecast_at_performance", page_size="9")
    assert sorted(users_of(second, "mimecast:awareness:performance")) == changed
    modules = Counter(users_of(second, "mimecast:awareness:user_module"))
    assert set(modules) <= set(changed)
    assert sorted(splunkd.table()) == sorted(after)  # the removed users left the risk table
    third = splunkd.run("mimecast_at_performance", page_size="9")
    assert third.returncode == 0 and third.events == []


def test_training_without_a_user_list_pulls_the_risk_tables_riskiest_users(splunkd, tenant):
    assert splunkd.run("mimecast_at_safe_score").returncode == 0
    assert splunkd.run("mimecast_at_watchlist").returncode == 0
    risky = sorted(
        email
        for email, row in splunkd.table().items()
        if row["watchlist"] == "true" or row["safe_grade"] in ("D", "F")
    )
    assert risky
    tenant.clear_requests()
    result = splunkd.run("mimecast_at_training", max_users_per_run="5")
    asked = [
        r.body["data"][0]["emailAddress"] for r in tenant.requests if r.path.endswith("get-training-details")
    ]
    assert asked == risky[:5]
    assert set(users_of(result, "mimecast:awareness:training")) == set(risky[:5])


def test_an_unknown_account_is_one_line_that_says_what_to_do(splunkd):
    result = splunkd.run("mimecast_at_queue", account="nope")
    assert result.returncode != 0 and result.events == []
    (line,) = [line for line in splunkd.log("queue") if " ERROR " in line]
    assert "input 'mimecast_at_queue://test' (account 'nope')" in line
    assert "Configuration page" in line


def test_no_secret_reaches_a_log_or_an_event(splunkd, tenant):
    result = splunkd.run("mimecast_at_safe_score_summary")
    secrets = (tenant.keys.client_secret, splunkd.standin.session_key)
    texts = [result.stdout, result.stderr, *splunkd.log("safe_score_summary")]
    assert not [secret for secret in secrets for text in texts if secret in text]


def test_training_campaigns_on_an_api_2_0_account_are_one_clear_line_at_save_and_at_run(splunkd, tenant):
    words = "training campaigns are available only through an API 1.0 application"
    script = modinput.script_path("mimecast_at_campaign")
    definition = {"account": ACCOUNT, "interval": "3600", "index": "mimecast"}
    metadata = {
        "server_uri": splunkd.standin.uri,
        "session_key": splunkd.standin.session_key,
        "checkpoint_dir": str(splunkd.checkpoints),
    }

    refused = modinput.validate(script, modinput.validation_definition("c", definition, **metadata))
    accepted = modinput.validate(
        script, modinput.validation_definition("c", {**definition, "account": LEGACY}, **metadata)
    )
    run = splunkd.run("mimecast_at_campaign")

    assert refused[0] is False and words in refused[1]
    assert accepted == (True, "")
    assert run.events == [] and not any("/awareness-training/campaign/" in r.path for r in tenant.requests)
    errors = [line for line in splunkd.log("campaign") if " ERROR " in line]
    assert len(errors) == 1 and words in errors[0] and "resumes" not in errors[0]
    assert "error_class=api1_only" in next(
        line for line in splunkd.log("campaign") if "mc_summary=input" in line
    )
