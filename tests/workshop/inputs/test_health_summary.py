"""The run summary a real input run writes carries every field the Add-on health dashboard and the
"Input failing or stale" alert read, in the log file their macro searches, as Splunk's key=value
extraction reads it."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

MACROS = Path(__file__).resolve().parents[3] / "default" / "macros.conf"
AUTO_KV = re.compile(r'(\w+)=("[^"]*"|[^\s"]+)')


def _macro(name: str) -> str:
    """A macro's definition, continuation lines joined."""
    stanza = MACROS.read_text(encoding="utf-8").split(f"[{name}]\n", 1)[1].split("\n[", 1)[0]
    definition = re.search(r"^definition = (.*?)$(?!\n\s)", stanza.replace("\\\n", " "), re.M | re.S)
    return definition.group(1)


def test_a_run_summary_feeds_the_health_searches(splunkd):
    result = splunkd.run("mimecast_at_safe_score", page_size="25")
    assert result.returncode == 0
    logs = sorted((splunkd.home / "var" / "log" / "splunk").glob("*.log"))
    source = re.search(r'source="([^"]+)"', _macro("mimecast_awareness_run_summaries")).group(1)
    lines = [
        line for path in logs if fnmatch.fnmatch(str(path), source) for line in path.read_text().splitlines()
    ]
    (summary,) = [line for line in lines if "mc_summary=input" in line]
    fields = {key: value.strip('"') for key, value in AUTO_KV.findall(summary.split(" | ", 1)[1])}
    health = _macro("mimecast_awareness_input_health")
    read = set(re.findall(r"latest\((\w+)\)", health)) | set(re.findall(r"\b(\w+)=\"", health))
    read |= {re.search(r" by (\w+)", health).group(1)}
    assert read <= set(fields) | {"_time"}, read - set(fields)
    assert fields["name"] == "mimecast_at_safe_score://test" and fields["outcome"] == "success"
    assert fields["events"] == str(len(result.events)) and int(fields["interval"]) == 3600
    assert float(fields["duration"]) >= 0
