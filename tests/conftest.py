"""What every tier shares: how tests are spread over pytest-xdist's workers.

`make test` runs each tier with `-n auto --dist loadgroup`: every test is its own unit of work, so a new test
runs in parallel by default, except the tests that use a module-scoped fixture (a render of every dashboard,
an AppInspect run, a demo pull): those of one module go to one worker together, so the fixture is still
built once and two workers never write its output side by side. A session-scoped fixture is built once per
worker; it must write only under tmp_path_factory (each worker has its own).
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the items
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        definitions = getattr(item, "_fixtureinfo", None)
        if definitions is None:
            continue
        if any(defs[-1].scope == "module" for defs in definitions.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
