"""The per-user lines an alert action writes, run as splunkd runs it, with a saved search whose name tries
to forge fields: each line holds the fields it was written with, and the outcome that really happened."""

from __future__ import annotations

import re

from .conftest import rows_for

ADD = "mimecast_add_to_group"
AUTO_KV = re.compile(r'(\w+)=("[^"]*"|[^\s"]+)')
FORGED = 'Risky" outcome=added mc_user="ann@simulated.example" rid="7'


def test_a_search_name_cannot_forge_an_outcome(run_action):
    run = run_action(ADD, rows_for("nobody@elsewhere.example"), fields={"search_name": FORGED})

    (line,) = [line for line in run.lines if "outcome=" in line]
    message = line.split(" | ", 1)[1]
    fields = AUTO_KV.findall(message.split(" | ", 1)[0])
    keys = [key for key, _ in fields]
    assert keys == ["action", "search_name", "sid", "rid", "mc_user", "mc_group", "outcome"], line
    assert dict(fields)["outcome"] == "skipped"
    assert dict(fields)["mc_user"] != '"ann@simulated.example"'
    assert (
        dict(fields)["search_name"]
        == '"Risky\\x22 outcome\\x3dadded mc_user\\x3d\\x22ann@simulated.example\\x22 rid\\x3d\\x227"'
    )
    assert "outcome=added" not in line and "outcome" not in dict(AUTO_KV.findall(message.split(" | ", 1)[1]))
