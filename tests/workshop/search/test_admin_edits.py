"""What an administrator edits survives an app upgrade: the alias table and the risk policy rows live in KV
store collections, which an upgrade does not touch, and mimecastrisk reads them (run as splunkd runs it, the
collections served by a loopback splunkd stand-in); the shipped CSV files in lookups/, which an upgrade puts
back, are only the defaults."""

from __future__ import annotations

import shutil
from pathlib import Path

from devkit.splunkd import SplunkdStandIn
from splunk_app.risk.policy import COLUMNS
from splunk_app.risk.table import COLLECTION
from splunk_app.splunk.admin_tables import ALIAS_COLLECTION, POLICY_COLLECTION

from .harness import ROOT, documents, exchange, only_error, run, write_table

EVENTS = [{"user": "CORP\\hw0"}, {"user": "erin@example.com"}, {"user": "bob@example.com"}]


def _upgrade(app: Path) -> None:
    """What an app upgrade does to the lookups folder: the package's own files come back."""
    for name in ("mimecast_identity_aliases.csv", "mimecast_risk_policy.csv"):
        shutil.copy(ROOT / "lookups" / name, app / "lookups" / name)


def _search(app: Path, tmp_path: Path, aliases: list[dict], policy: list[dict]):
    with SplunkdStandIn() as splunkd:
        splunkd.create_collection(COLLECTION, documents(write_table(tmp_path / "risk.csv")))
        splunkd.create_collection(ALIAS_COLLECTION, aliases)
        splunkd.create_collection(POLICY_COLLECTION, policy)
        data = exchange(
            [], [EVENTS[:1], EVENTS[1:]], splunkd_uri=splunkd.uri, session_key=splunkd.session_key
        )
        return run(data, None, app / "bin" / "mimecastrisk.py")


def test_aliases_and_policy_rows_in_the_collections_outlive_an_upgrade(app, tmp_path):
    (app / "lookups" / "mimecast_identity_aliases.csv").write_text(
        "alias,email\nCORP\\hw0,carol@example.com\n"
    )
    _upgrade(app)
    aliases = [{"_key": "1", "alias": "CORP\\hw0", "email": "erin@example.com"}]
    policy = [dict(zip(COLUMNS, ("D", listed, "4", "high", "60", "true"))) for listed in ("false", "true")]

    result = _search(app, tmp_path, aliases, policy)

    assert result.returncode == 0, result.stderr
    hw0, erin, bob = result.records
    assert (hw0["mimecast_identity"], hw0["mimecast_match"]) == ("erin@example.com", "alias")
    # erin's grade D: the administrator's row says high; bob's F, as shipped, critical.
    assert (erin["mimecast_safe_grade"], erin["mimecast_priority"]) == ("D", "high")
    assert (bob["mimecast_safe_grade"], bob["mimecast_priority"]) == ("F", "critical")


def test_without_rows_in_the_collections_the_shipped_tables_apply(app, tmp_path):
    (app / "lookups" / "mimecast_identity_aliases.csv").write_text(
        "alias,email\nCORP\\hw0,carol@example.com\n"
    )

    result = _search(app, tmp_path, [], [])

    assert result.returncode == 0, result.stderr
    hw0, erin, _bob = result.records
    assert hw0["mimecast_identity"] == "carol@example.com"  # the CSV's alias, as the collection is empty
    assert erin["mimecast_priority"] == "critical"


def test_a_policy_row_the_searches_would_read_otherwise_stops_the_search_with_the_row_named(app, tmp_path):
    policy = [dict(zip(COLUMNS, ("d", "false", "4", "high", "60", "true")))]

    result = _search(app, tmp_path, [], policy)

    assert "the KV store collection mimecast_risk_policy row 2: write grade in capitals ('D'" in only_error(
        result
    )


def test_an_incomplete_policy_stops_the_search_naming_the_collection(app, tmp_path):
    policy = [dict(zip(COLUMNS, ("D", "false", "4", "high", "60", "true")))]

    error = only_error(_search(app, tmp_path, [], policy))

    assert (
        "the risk policy with the rows of the KV store collection mimecast_risk_policy: grade D has" in error
    )
