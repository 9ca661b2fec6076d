"""`| mimecastrisk` from the installed package, driven over the chunked protocol (SCP v2) as splunkd drives
it, under Splunk's Pythons 3.9 and 3.13 started with -E -s -S, reading the risk table from the KV store of a
loopback splunkd stand-in."""

from __future__ import annotations

from pathlib import Path

from devkit import chunked
from devkit.splunkd import SplunkdStandIn
from splunk_app.risk.table import COLLECTION

KNOWN = {
    "_key": "pat.risky@example.com",
    "email": "pat.risky@example.com",
    "name": "Pat Risky",
    "department": "Finance",
    "safe_grade": "F",
    "watchlist": "true",
    "watchlist_count": "3",
    "priority": "critical",
    "updated": "1700000000",
}


def test_getinfo_and_execute(splunk_python: str, installed_app: Path) -> None:
    with SplunkdStandIn() as splunkd:
        splunkd.create_collection(COLLECTION, [KNOWN])
        exchange = chunked.getinfo(
            ["field=user"], splunkd_uri=splunkd.uri, session_key=splunkd.session_key, app=installed_app.name
        )
        exchange += chunked.execute(
            [
                {"user": "PAT.RISKY@example.com", "action": "clicked"},
                {"user": "nobody@example.com", "action": "clicked"},
            ],
            finished=True,
        )
        run = chunked.run(
            [splunk_python, "-E", "-s", "-S", str(installed_app / "bin" / "mimecastrisk.py")],
            exchange,
            env={},
        )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.info.get("type") in ("streaming", "stateful"), run.info
    known, unknown = run.records
    assert known["mimecast_safe_grade"] == "F"
    assert known["mimecast_watchlist"] == "true"
    assert known["action"] == "clicked"
    assert unknown["mimecast_safe_grade"] == "unknown"
