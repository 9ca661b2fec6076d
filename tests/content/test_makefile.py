"""The Makefile's prerequisites for drawing the dashboards: a program found (chromium, chromium-browser or the
one CHROMIUM names) is used as it is; a missing one is installed with apt-get only by root where apt-get
exists; anywhere else make stops with one line naming what to install.

`make -n` prints what it would run without running it, so each case runs the real Makefile against a PATH of
stand-in programs and reads whether an apt-get line would run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from . import spl

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def plan(
    tmp_path: Path, programs: set[str], uid: int = 1000, **variables: str
) -> subprocess.CompletedProcess:
    """`make -n render-tools` with only these programs on the PATH (and `id -u` answering uid)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in programs | {"id"}:
        stub = bin_dir / name
        stub.write_text(f"#!/bin/sh\necho {uid}\n" if name == "id" else "#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    args = [str(MAKE), "-C", str(spl.ROOT), "-n", "-B", "render-tools"]
    args += [f"{name}={value}" for name, value in variables.items()]
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    return subprocess.run(args, check=False, env=env, capture_output=True, text=True, timeout=60)


def stopped_with_one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "apt-get install" not in result.stdout
    return lines[0]


NODE = {"node", "npm"}


@pytest.mark.parametrize("browser", ["chromium", "chromium-browser"])
def test_a_chromium_on_the_path_is_used_as_it_is(tmp_path, browser):
    result = plan(tmp_path, NODE | {browser, "apt-get"}, uid=0)
    assert result.returncode == 0, result.stderr
    assert "apt-get" not in result.stdout
    assert "npm ci" in result.stdout


def test_chromium_named_by_chromium_is_used_and_nothing_installed(tmp_path):
    chrome = tmp_path / "Google Chrome"
    chrome.write_text("#!/bin/sh\n")
    chrome.chmod(0o755)
    result = plan(tmp_path, NODE | {"apt-get"}, uid=0, CHROMIUM=str(chrome))
    assert result.returncode == 0, result.stderr
    assert "apt-get" not in result.stdout


def test_a_chromium_that_is_not_a_program_stops_make(tmp_path):
    line = stopped_with_one_line(
        plan(tmp_path, NODE | {"chromium", "apt-get"}, uid=0, CHROMIUM="/no/such/chrome")
    )
    assert "CHROMIUM=/no/such/chrome is not a program" in line


def test_without_root_nothing_is_installed_and_the_line_names_chromium(tmp_path):
    line = stopped_with_one_line(plan(tmp_path, NODE | {"apt-get"}, uid=1000))
    assert "Chromium" in line
    assert "CHROMIUM=" in line


def test_without_apt_get_nothing_is_installed_even_as_root(tmp_path):
    line = stopped_with_one_line(plan(tmp_path, NODE, uid=0))
    assert "Chromium" in line


def test_a_missing_npm_is_named(tmp_path):
    line = stopped_with_one_line(plan(tmp_path, {"node", "chromium", "apt-get"}, uid=1000))
    assert "npm" in line


@pytest.mark.skipif(not Path("/etc/debian_version").exists(), reason="apt-get is used on Debian only")
def test_root_on_debian_installs_only_what_is_missing(tmp_path):
    result = plan(tmp_path, {"node", "npm", "apt-get"}, uid=0)
    assert result.returncode == 0, result.stderr
    installs = [line for line in result.stdout.splitlines() if "apt-get install" in line]
    assert installs == ["apt-get update -qq && apt-get install -y -qq chromium"]
