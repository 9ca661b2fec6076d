"""Builds dist/mimecast-awareness-soar-<version>.tgz with the SDK's own packager (`soarapps package build`).

The SDK packs the app folder's src/ (Python files only), the logos and the wheels uv.lock names. The app
reuses the add-on's splunk_app package, which is no wheel on an index: the build copies the app folder into
build/soar/, splunk_app into its src/lib/ (app.py puts lib/ on sys.path, as the add-on's bin/ scripts do)
and the one data file splunk_app reads, the risk policy table, into src/lookups/, where splunk_app finds
it (policy.app_root). The packager imports app.py, whose grade choices come from that table, so the table
is staged first; the packager's Python-only filter then leaves it out of the package, and the build adds
it back. Nothing built is committed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STAGE = ROOT / "build" / "soar" / "mimecast_awareness_soar"  # the SDK imports it as a package: a Python name
POLICY = Path("lookups") / "mimecast_risk_policy.csv"
# splunk_app's parts that need splunkd (splunklib) are not shipped to SOAR.
LEFT_OUT = ("splunk",)


def stage() -> None:
    if STAGE.exists():
        shutil.rmtree(STAGE)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "mimecast_soar_state")
    for name in ("pyproject.toml", "uv.lock", "logo.svg", "logo_dark.svg"):
        STAGE.mkdir(parents=True, exist_ok=True)
        shutil.copy2(HERE / name, STAGE / name)
    shutil.copytree(HERE / "src", STAGE / "src", ignore=skip)
    lib = STAGE / "src" / "lib" / "splunk_app"
    left_out = shutil.ignore_patterns("__pycache__", "*.pyc", *LEFT_OUT)
    shutil.copytree(ROOT / "splunk_app", lib, ignore=left_out)
    (STAGE / "src" / POLICY).parent.mkdir()
    shutil.copy2(ROOT / POLICY, STAGE / "src" / POLICY)


def build(output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    soarapps = Path(sys.executable).parent / "soarapps"
    subprocess.run(  # noqa: S603 -- the SDK's packager, no shell
        [str(soarapps), "package", "build", str(STAGE), "--output-file", str(output)], check=True
    )
    add_policy(output)


def add_policy(package: Path) -> None:
    """Rewrites the package with the staged risk policy table beside src/lib, where splunk_app finds it."""
    with tarfile.open(package, "r:gz") as old:
        members = [(member, old.extractfile(member).read() if member.isfile() else None) for member in old]
    top = members[0][0].name.split("/")[0]
    with tarfile.open(package, "w:gz") as new:
        for member, data in members:
            new.addfile(member, io.BytesIO(data) if data is not None else None)
        policy = (STAGE / "src" / POLICY).read_bytes()
        info = tarfile.TarInfo(f"{top}/src/{POLICY.as_posix()}")
        info.size = len(policy)
        info.mode = 0o644
        new.addfile(info, io.BytesIO(policy))


def main() -> None:
    version = tomllib.loads((HERE / "pyproject.toml").read_text())["project"]["version"]
    stage()
    build(ROOT / "dist" / f"mimecast-awareness-soar-{version}.tgz")


if __name__ == "__main__":
    main()
