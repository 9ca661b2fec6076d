"""`mimecast-at demo` at a small size: it runs every input, builds the risk table, enriches events, and
what it prints and writes agrees with itself."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime

import pytest

from splunk_app.risk import table as risk
from splunk_app.risk.policy import shipped

USERS = 60
STAMP = "%Y-%m-%d %H:%M"
EVENTS = 120
SOURCETYPES = {
    f"mimecast:awareness:{name}"
    for name in [
        "safe_score",
        "safe_score_summary",
        "watchlist",
        "watchlist_summary",
        "performance",
        "performance_summary",
        "user_module",
        "training",
        "module",
        "campaign",
        "campaign_result",
        "phishing_campaign",
        "phishing_result",
    ]
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-output")
    completed = subprocess.run(
        [sys.executable, "-m", "devkit.cli", "demo", "--users", str(USERS), "--events", str(EVENTS),
         "--out", str(out)],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    return out, completed.stdout


def read_jsonl(path):
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def read_table(out):
    with (out / "risk_table.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == risk.FIELDS
        return list(reader)


def test_every_input_ran_and_both_accounts_pulled(demo_run):
    out, _ = demo_run
    events = read_jsonl(out / "events.jsonl")
    assert {event["sourcetype"] for event in events} == SOURCETYPES
    accounts = {event["event"]["mc_account"] for event in events}
    assert accounts == {"demo_oauth2", "demo_hmac"}
    safe_scores = [event for event in events if event["sourcetype"] == "mimecast:awareness:safe_score"]
    assert len({event["event"]["mc_user"] for event in safe_scores}) == USERS


def test_printed_counts_match_the_files(demo_run):
    out, stdout = demo_run
    counts = Counter(event["sourcetype"] for event in read_jsonl(out / "events.jsonl"))
    for sourcetype, count in counts.items():
        assert f"{sourcetype:<42} {count:>8,}" in stdout
    assert "pages of" in stdout or "page of" in stdout


def test_the_risk_table_holds_every_user_and_the_printed_grades(demo_run):
    out, stdout = demo_run
    table = read_table(out)
    assert len(table) == USERS
    grades = Counter(row["safe_grade"] or "none" for row in table)
    section = stdout.split("SAFE grade distribution (risk table)")[1].split("Top watch-listed users")[0]
    for grade, count in grades.items():
        assert f"  {grade:<5} {count:>6,}" in section
    for row in table:
        assert row["priority"] == risk.priority_for(row["safe_grade"])


def test_enriched_events_carry_the_users_grade_from_the_table(demo_run):
    out, stdout = demo_run
    by_email = {row["email"]: row for row in read_table(out)}
    enriched = read_jsonl(out / "enriched_events.jsonl")
    assert len(enriched) == EVENTS
    matched = [event for event in enriched if event.get("mimecast_identity") in by_email]
    assert matched, "no event matched a user of the risk table"
    for event in matched:
        row = by_email[event["mimecast_identity"]]
        assert event["mimecast_safe_grade"] == (row["safe_grade"] or "unknown")
        assert event["mimecast_watchlist"] == row["watchlist"]
    unknown = [
        event for event in enriched if "partner.example" in (event.get("user") or event.get("recipient"))
    ]
    assert unknown and all(event["mimecast_safe_grade"] == "unknown" for event in unknown)
    shown = stdout.split("Ten enriched events (| mimecastrisk)")[1].split("Files written:")[0]
    assert len([line for line in shown.splitlines() if " -> " in line]) == 10


def test_the_riskiest_clickers_go_into_the_group_after_a_dry_run(demo_run):
    out, stdout = demo_run
    section = stdout.split("Alert action: Add to Mimecast group High Risk Users")[1].split("requests to")[0]
    would = [
        line.split("would add ")[1].split(" to ")[0] for line in section.splitlines() if "would_add" in line
    ]
    added = [
        line.split("Added ")[1].split(" to ")[0] for line in section.splitlines() if "outcome=added" in line
    ]
    assert would and would == added
    assert f"members of High Risk Users in the simulated tenant: {len(added)}" in section
    contained = [
        line.split("contained: ")[1].split()[0] for line in section.splitlines() if "contained: " in line
    ]
    assert contained == sorted(added)
    risky = {e["mimecast_identity"] for e in read_jsonl(out / "enriched_events.jsonl")
             if e["mimecast_safe_grade"] in ("D", "F") or e["mimecast_watchlist"] == "true"}  # fmt: skip
    assert set(added) <= risky


def test_the_time_boxed_containment_expires_at_the_sweep(demo_run):
    _, stdout = demo_run
    added = [
        line.split("Added ")[1].split(" to ")[0] for line in stdout.splitlines() if "outcome=added" in line
    ]
    sweep = stdout.split("Containment sweep, 3 days later")[1].split("requests to")[0]
    expired = [
        line.split("removed ")[1].split(" from ")[0]
        for line in sweep.splitlines()
        if "outcome=expired" in line
    ]
    assert added and sorted(expired) == sorted(added)
    assert "members of High Risk Users in the simulated tenant now: 0" in sweep


def test_it_names_the_files_it_wrote(demo_run):
    out, stdout = demo_run
    for name in ["events.jsonl", "risk_table.csv", "security_events.jsonl", "enriched_events.jsonl"]:
        assert (out / name).stat().st_size > 0
        assert str(out / name) in stdout
    assert "Package: " in stdout


def test_counts_are_worded_as_numbers_are_read(demo_run):
    _, stdout = demo_run
    wrong = re.findall(r"(?<![\d,=])1 (?:events|pages|records|requests|users|API requests)\b", stdout)
    assert wrong == [], wrong
    assert "1 event from 1 page of company/get-safe-score-summary" in stdout


def test_pages_are_data_calls_not_token_requests(demo_run):
    _, stdout = demo_run
    oauth_input = stdout.split("mimecast_at_safe_score_summary (OAuth 2.0")[1].split("[2/")[0]
    assert "1 event from 1 page of " in oauth_input
    assert "pages=1 requests=2 " in oauth_input  # the token is a request, not a page


def test_every_watch_listed_user_has_something_on_the_watch_list(demo_run):
    out, stdout = demo_run
    listed = [row for row in read_table(out) if row["watchlist"] == "true"]
    assert listed
    assert all(int(row["watchlist_count"]) >= 1 for row in listed)
    shown = stdout.split("Top watch-listed users")[1].split("Ten enriched events")[0]
    assert " watch list 0 " not in shown


def test_the_demo_shows_grade_changes_and_the_risk_the_grade_drop_detection_would_raise(demo_run):
    out, printed = demo_run
    changes = [line["event"] for line in read_jsonl(out / "risk_changes.jsonl")]
    assert changes and {line["sourcetype"] for line in read_jsonl(out / "risk_changes.jsonl")} == {
        "mimecast:awareness:risk_change"
    }
    policy = shipped()
    drops = [c for c in changes if 0 < policy.rank(c["old_grade"]) < policy.rank(c["new_grade"])]
    assert drops  # the tenant's changes include a drop at this seed
    first = drops[0]
    score = policy.rule(first["new_grade"], first["new_watchlist"] == "true").change_risk_score
    assert (
        f"{first['user']:<36} {first['old_grade']} -> {first['new_grade']}: "
        f"'Mimecast Awareness - ES risk: SAFE grade dropped' would raise user risk by {score}"
    ) in printed
    assert (
        f"{len(changes)} mimecast:awareness:risk_change events, {len(drops)} of them grade drops" in printed
    )


def test_containment_times_read_plainly(demo_run):
    _, stdout = demo_run
    stamp = r"(\d{4}-\d\d-\d\d \d\d:\d\d) UTC"
    held = re.findall(rf"contained: \S+ +for 2 days: added {stamp}, due {stamp}", stdout)
    assert held and all(_days(added, due) == 2 for added, due in held)
    said = re.search(rf"the sweep runs at Mimecast's time {stamp}, past the due time {stamp}\.", stdout)
    assert said, stdout
    now, due = said.groups()
    assert abs(_days(held[0][0], now) - 3) < 0.01 and due == held[0][1]
    since = set(re.findall(rf"contained since {stamp}", stdout))
    assert since == {held[0][0]}  # the sweep names the time the alert added them


def test_sids_read_as_the_schedulers_and_never_say_dry_run(demo_run):
    _, stdout = demo_run
    sids = re.findall(r"sid (\S+?)\)", stdout)
    assert sids and all(
        re.fullmatch(r"scheduler__admin__[\w-]+__RMD5[0-9a-f]{16}_at_\d+_\d+", sid) for sid in sids
    )
    assert "dry_run" not in stdout.split("Alert action: Add to Mimecast group")[1]


def test_a_partial_input_run_says_why(demo_run):
    _, stdout = demo_run
    lines = stdout.splitlines()
    for number, line in enumerate(lines):
        if "input log: outcome=partial" in line:
            assert re.search(r"input log: partial: this run pulled \d+ of the \d+ users", lines[number + 1])
        elif "input log: partial:" in line:
            assert "input log: outcome=partial" in lines[number - 1]


def _days(earlier: str, later: str) -> float:
    seconds = datetime.strptime(later, STAMP) - datetime.strptime(earlier, STAMP)
    return seconds.total_seconds() / 86400
