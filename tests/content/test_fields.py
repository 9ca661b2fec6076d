"""The fields the dashboard and saved searches read are the ones the inputs really write: the inputs are run
(through the demo, against the simulated tenant) and their events' JSON flattened as KV_MODE = json does."""

from __future__ import annotations

from collections import defaultdict

import pytest

from devkit import demo

from .dashboard import dashboard_queries
from .spl import conf

# sourcetype (after mimecast:awareness:) -> the event fields the shipped searches read from it.
RELIED_ON = {
    "safe_score": {
        "risk", "humanError", "engagement", "knowledge", "sentiment", "name", "department", "mc_user",
    },
    "watchlist": {"watchlistCount", "name", "department", "userState", "mc_user"},
    "performance": {"numIncorrect", "numNotWatched", "mc_user"},
    "user_module": {"status", "title", "timeSent", "mc_user"},
    "module": {"id", "title.title", "numSent", "numCompleted", "numCorrect"},
    "campaign": {"id", "name", "launchDate", "numSent", "numCompleted", "percentComplete", "percentCorrect"},
    "phishing_result": {
        "timeOpened", "timeClicked", "timeSubmitted", "timeReported", "numCampaignsClicked",
        "numCampaignsSent", "mc_campaign_id", "mc_campaign_name", "mc_user",
    },
}  # fmt: skip
EVERY_EVENT = {"mc_account", "mc_snapshot_id", "mc_snapshot_time"}


def flatten(value, prefix=""):
    """Field names as Splunk's JSON extraction makes them: nested keys joined with dots, lists as {}."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from flatten(inner, f"{prefix}{key}.")
    elif isinstance(value, list):
        for inner in value:
            yield from flatten(inner, f"{prefix[:-1]}{{}}.")
    else:
        yield prefix[:-1]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("inputs")
    demo.run(users=40, seed=11, out_dir=out, sample_size=10, say=lambda line: None)
    fields = defaultdict(set)
    values = defaultdict(set)
    for event in demo.iter_events(out / "events.jsonl"):
        name = event["sourcetype"].split(":")[-1]
        fields[name].update(flatten(event["event"]))
        values[(name, "status")].add(event["event"].get("status"))
    return fields, values


def shipped_text():
    searches = [stanza["search"] for stanza in conf("savedsearches.conf").values()]
    return "\n".join(searches + [query for _, _, query in dashboard_queries()])


@pytest.mark.parametrize("sourcetype", sorted(RELIED_ON))
def test_the_fields_the_content_reads_are_written_by_the_inputs(written, sourcetype):
    fields, _ = written
    assert RELIED_ON[sourcetype] | EVERY_EVENT <= fields[sourcetype]


def test_every_field_listed_is_read_by_a_shipped_search():
    text = shipped_text()
    for sourcetype, names in RELIED_ON.items():
        assert f'sourcetype="mimecast:awareness:{sourcetype}"' in text
        for name in names:
            assert name in text, f"{name} of {sourcetype} is not read by any shipped search"


def test_module_statuses_are_the_ones_the_searches_compare_with(written):
    _, values = written
    assert values[("user_module", "status")] <= {"Correct", "Incorrect", "Not Watched"}
    assert '"Not Watched"' in shipped_text() and '"Incorrect"' in shipped_text()
