"""The alert actions of the built package, unpacked as Splunk installs it, run under Splunk's Pythons 3.9
and 3.13 started with -E -s -S: only the app's own lib/ is importable. `make test` builds dist/ first."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
from workshop.actions.conftest import CONTAINMENT, GROUP, audit_events, rows_for

from splunk_app import APP_ID, __version__

TARBALL = Path(__file__).resolve().parents[2] / "dist" / f"{APP_ID}-{__version__}.tgz"


@pytest.fixture(scope="module")
def installed_bin(tmp_path_factory):
    if not TARBALL.is_file():
        pytest.fail(f"{TARBALL.name} is missing from dist/: run `make package` (make test does it first)")
    apps = tmp_path_factory.mktemp("installed") / "etc" / "apps"
    apps.mkdir(parents=True)
    with tarfile.open(TARBALL) as archive:
        archive.extractall(apps, filter="data")
    return apps / APP_ID / "bin"


@pytest.fixture(params=["3.9", "3.13"], ids=["py3.9", "py3.13"])
def splunk_python(request):
    prefix = subprocess.run(["pyenv", "prefix", request.param], capture_output=True, text=True, check=True)
    return (str(Path(prefix.stdout.strip()) / "bin" / "python3"), "-E", "-s", "-S")


def test_installed_actions_add_and_remove(run_action, tenant, installed_bin, splunk_python):
    users = ("ann@simulated.example", "bob@simulated.example")

    added = run_action("mimecast_add_to_group", rows_for(*users), python=splunk_python, bin_dir=installed_bin)
    removed = run_action(
        "mimecast_remove_from_group", rows_for(users[0]), python=splunk_python, bin_dir=installed_bin
    )

    assert (added.status, added.outcomes()) == (0, [(u, "added") for u in users])
    assert (removed.status, removed.outcomes()) == (0, [(users[0], "removed")])
    assert tenant.group_members(GROUP) == {users[1]}


def test_installed_containment_is_swept_when_due(
    run_action, tenant, splunkd, splunk_home, installed_bin, splunk_python
):
    user = "cy@simulated.example"
    run = {"python": splunk_python, "bin_dir": installed_bin}

    added = run_action("mimecast_add_to_group", rows_for(user), for_days="1", **run)
    tenant.date_offset = 2 * 86400  # two days on by Mimecast's clock, which times containments
    swept = run_action("mimecast_containment_sweep", [], **run)

    assert (added.status, swept.status) == (0, 0)
    assert swept.outcomes() == [(user, "expired")]
    assert tenant.group_members(GROUP) == set() and splunkd.collection(CONTAINMENT) == []
    assert sorted(event["change"] for event in audit_events(splunk_home)) == ["added", "expired"]
