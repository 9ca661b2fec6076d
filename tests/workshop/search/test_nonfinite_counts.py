"""A watch-list count that is not a finite number (`Infinity`, `NaN`, `1e999`: a table rebuilt from events,
or edited by hand) never stops `| mimecastrisk`: it counts as no count when users are compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import USERS, exchange, run, write_table


@pytest.mark.parametrize("count", ["Infinity", "-inf", "NaN", "1e999"])
@pytest.mark.parametrize("mode", ["kvstore", "lookup"])
def test_a_non_finite_count_does_not_stop_the_search(
    tmp_path: Path, app: Path, count: str, mode: str
) -> None:
    users = [(*user[:8], count if user[0] == "bob@example.com" else user[8], user[9]) for user in USERS]
    table = write_table(tmp_path / "risk.csv", users)
    records = [
        {"user": "bob@example.com,dave@example.com"},  # both watch-listed: their counts are compared
        {"user": "bob@example.com"},
        {"user": "alice@example.com"},
    ]
    if mode == "lookup":
        write_table(app / "lookups" / "risk.csv", users)
        result = run(exchange(["lookup=risk.csv"], [records]), None, script=app / "bin" / "mimecastrisk.py")
    else:
        result = run(exchange([], [records]), table)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and not [m for m in result.messages if m[0] == "ERROR"]
    both, bob, alice = result.records
    assert both["mimecast_safe_grade"] == "F" and both["mimecast_watchlist"] == "true"
    assert both["mimecast_watchlist_count"] == "1"  # dave's; bob's counts as none
    assert bob["mimecast_safe_grade"] == "F"
    assert alice["mimecast_safe_grade"] == "A"
