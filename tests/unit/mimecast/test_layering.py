"""The client knows nothing of Splunk, and its modules import in one direction only."""

from __future__ import annotations

import ast
from pathlib import Path

import splunk_app.mimecast

PACKAGE = Path(splunk_app.mimecast.__file__).parent
ORDER = [
    "errors",
    "records",
    "auth",
    "retry",
    "ratelimit",
    "trust",
    "transport",
    "endpoints",
    "client",
    "__init__",
]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "splunk_app.mimecast":
            names.update(f"splunk_app.mimecast.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_module_imports_splunklib():
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= len(ORDER)
    for path in modules:
        assert not any(name.split(".")[0] == "splunklib" for name in _imports(path)), path.name


def test_imports_go_one_way():
    assert {path.stem for path in PACKAGE.glob("*.py")} == set(ORDER)
    for position, stem in enumerate(ORDER):
        own = {
            name.rsplit(".", 1)[-1]
            for name in _imports(PACKAGE / f"{stem}.py")
            if name.startswith("splunk_app.mimecast.")
        }
        later = own - set(ORDER[:position])
        assert not later, f"{stem} imports {later}, which come after it"
