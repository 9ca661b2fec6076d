"""Fixtures of the search-command tests: a small risk table, an app folder as Splunk installs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .harness import SCRIPT, write_table


@pytest.fixture
def table(tmp_path: Path) -> Path:
    return write_table(tmp_path / "risk.csv")


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """The app as Splunk installs it: bin/ with the command, lookups/ beside it."""
    root = tmp_path / "TA-mimecast-awareness"
    (root / "bin").mkdir(parents=True)
    (root / "lookups").mkdir()
    shutil.copy(SCRIPT, root / "bin" / SCRIPT.name)
    return root
