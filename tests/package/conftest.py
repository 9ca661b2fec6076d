"""The built tarball, unpacked as Splunk installs it, and the tools that judge it.

`make test` builds dist/ first (`make package`); a bare pytest run without it fails and says so.
"""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
from workshop.actions.conftest import run_action, splunk_home, splunkd, tenant  # noqa: F401 - the actions' fixtures

from splunk_app import APP_ID

from .conffiles import ROOT, TARBALL

SPLUNK_PYTHONS = ("3.9", "3.13")


@pytest.fixture(scope="session")
def tarball() -> Path:
    if not TARBALL.is_file():
        pytest.fail(f"{TARBALL.relative_to(ROOT)} is missing: run `make package` (make test does it first)")
    return TARBALL


@pytest.fixture(scope="session")
def members(tarball: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(tarball) as archive:
        return archive.getmembers()


@pytest.fixture(scope="session")
def installed_app(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tarball unpacked into a fresh etc/apps/, as `splunk install app` leaves it."""
    apps = tmp_path_factory.mktemp("splunk") / "etc" / "apps"
    apps.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(apps, filter="data")
    return apps / APP_ID


@pytest.fixture(scope="session", params=SPLUNK_PYTHONS, ids=[f"py{v}" for v in SPLUNK_PYTHONS])
def splunk_python(request: pytest.FixtureRequest) -> str:
    """pyenv's interpreter for one of the Pythons Splunk runs app code on."""
    prefix = subprocess.run(["pyenv", "prefix", request.param], capture_output=True, text=True, check=True)
    return str(Path(prefix.stdout.strip()) / "bin" / "python3")
