"""Paths of the built package and a reader for Splunk's .conf files, shared by the package tests."""

from __future__ import annotations

import re
from pathlib import Path

from splunk_app import APP_ID, __version__

ROOT = Path(__file__).resolve().parents[2]
TARBALL = ROOT / "dist" / f"{APP_ID}-{__version__}.tgz"


def parse_conf(path: Path) -> dict[str, dict[str, str]]:
    """A .conf (or .conf.spec) file as Splunk reads it: stanzas of key = value, `#` comments,
    backslash continuation lines; keys before any stanza belong to `default`."""
    stanzas: dict[str, dict[str, str]] = {"default": {}}
    current = stanzas["default"]
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = pending + raw
        if line.endswith("\\"):
            pending = line[:-1] + "\n"
            continue
        pending = ""
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "*")):
            continue
        header = re.fullmatch(r"\[(.*)\]", stripped)
        if header:
            current = stanzas.setdefault(header.group(1), {})
        elif "=" in stripped:
            key, _, value = stripped.partition("=")
            current[key.strip()] = value.strip()
    return stanzas
