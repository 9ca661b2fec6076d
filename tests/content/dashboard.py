"""Read the app's Dashboard Studio views: the XML wrapper and the JSON definition inside it."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from .spl import DEFAULT

VIEWS = DEFAULT / "data" / "ui" / "views"
# One colour per run outcome word, whichever kind of run says it (the words: logs.SUMMARY_OUTCOMES).
OUTCOME_COLOURS = {
    "success": "#1A9850", "ok": "#1A9850", "partial": "#FC8D59", "failed": "#D73027", "skipped": "#BBBBBB"
}  # fmt: skip


def views() -> list[Path]:
    return sorted(VIEWS.glob("*.xml"))


def load(path: Path) -> tuple[ET.Element, dict]:
    root = ET.parse(path).getroot()
    definition = root.find("definition")
    assert definition is not None and definition.text, f"{path.name} has no <definition>"
    return root, json.loads(definition.text)


def dashboard_queries() -> list[tuple[str, str, str]]:
    found = []
    for path in views():
        _, definition = load(path)
        for name, source in definition.get("dataSources", {}).items():
            if source.get("type") == "ds.search":
                found.append((path.stem, name, as_run(source["options"]["query"])))
    return found


def as_run(query: str) -> str:
    """The search as Splunk runs it once the form's tokens are in: `$name|s$` becomes a quoted value, `$name$`
    the bare value (a placeholder word either way)."""
    quoted = re.sub(r"\$[^$\s|]+\|s\$", '"token_value"', query)
    return re.sub(r"\$[^$\s|]+\$", "token_value", quoted)
