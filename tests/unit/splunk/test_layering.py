"""The rooms of splunk_app import in the directions DESIGN.md gives: only the splunkd adapter imports
splunklib, nothing outside it imports the adapter, and nothing shipped imports the workshop."""

from __future__ import annotations

import ast
from pathlib import Path

import splunk_app

PACKAGE = Path(splunk_app.__file__).resolve().parent
# room -> the top-level packages and splunk_app rooms it must not import
FORBIDDEN = {
    "mimecast": (
        "splunklib",
        "splunk_app.splunk",
        "splunk_app.inputs",
        "splunk_app.risk",
        "splunk_app.state",
    ),
    "inputs": ("splunklib", "splunk_app.splunk", "requests"),
    "risk": ("splunklib", "splunk_app.splunk", "requests", "splunk_app.mimecast.client"),
    "state.py": ("splunklib", "splunk_app.splunk", "requests", "splunk_app.mimecast"),
    "statedb.py": ("splunklib", "splunk_app.splunk", "requests", "splunk_app.mimecast"),
    # the allow-list rule the SOAR app shares, which has no splunklib
    "allowed_groups.py": ("splunklib", "splunk_app.splunk", "requests", "splunk_app.mimecast"),
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(room: str = "") -> list[Path]:
    target = PACKAGE / room
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


def _hits(path: Path, prefixes: tuple[str, ...]) -> list[str]:
    return sorted(
        name
        for name in _imports(path)
        for prefix in prefixes
        if name == prefix or name.startswith(prefix + ".")
    )


def test_nothing_shipped_imports_the_workshop():
    found = {
        str(path.relative_to(PACKAGE)): _hits(path, ("devkit", "tests", "pytest")) for path in _modules()
    }
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_only_the_splunkd_adapter_imports_splunklib():
    outside = [
        str(path.relative_to(PACKAGE))
        for path in _modules()
        if PACKAGE / "splunk" not in path.parents and _hits(path, ("splunklib",))
    ]
    assert outside == []
    assert _hits(PACKAGE / "splunk" / "service.py", ("splunklib",))


def test_each_room_keeps_to_what_it_knows():
    for room, forbidden in FORBIDDEN.items():
        modules = _modules(room)
        assert modules, room
        found = {str(path.relative_to(PACKAGE)): _hits(path, forbidden) for path in modules}
        assert {name: hits for name, hits in found.items() if hits} == {}, room
