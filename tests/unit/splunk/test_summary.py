"""The structured summary line the health dashboard reads with Splunk's automatic key=value extraction."""

from __future__ import annotations

import re

import pytest

from splunk_app.splunk.logs import summary_line

PAIR = re.compile(r'(\w+)=(?:"([^"]*)"|(\S+))')


def _fields(line: str) -> dict[str, str]:
    return {key: quoted or bare for key, quoted, bare in PAIR.findall(line)}


def test_values_read_back_as_written():
    line = summary_line(
        "input", name="mimecast_at_safe_score://prod eu", outcome="success", records=12, duration=0.5
    )
    assert line.startswith("mc_summary=input ")
    assert _fields(line) == {
        "mc_summary": "input",
        "name": "mimecast_at_safe_score://prod eu",
        "outcome": "success",
        "records": "12",
        "duration": "0.500",
    }


def test_outside_text_cannot_forge_fields_or_lines():
    line = summary_line(
        "action", group='x" outcome=success\nmc_summary=input', error_class=None
    )  # None: left out
    assert "\n" not in line
    assert _fields(line) == {
        "mc_summary": "action",
        "group": "x\\x22 outcome\\x3dsuccess\\x0amc_summary\\x3dinput",
    }


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="summary kind"):
        summary_line("other")
