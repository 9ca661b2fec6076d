"""splunk_app.splunk is the one part of the package that talks to splunkd through splunklib."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "splunk_app"


def _top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_splunkd_adapter_imports_splunklib():
    outside = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if PACKAGE / "splunk" not in path.parents and "splunklib" in _top_level_imports(path)
    )

    assert outside == []


def test_the_adapter_does_import_it():
    assert "splunklib" in _top_level_imports(PACKAGE / "splunk" / "service.py")
