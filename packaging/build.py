"""Builds dist/TA-mimecast-awareness-<version>.tgz from the repository's top-level layout with UCC.

The repository keeps the card's layout (bin/, default/, lookups/, metadata/, static/, splunk_app/); UCC wants
one source folder next to globalConfig.json. So the build copies what Splunk runs into build/ucc/package
(splunk_app goes into lib/, where bin/ scripts find it), runs `ucc-gen build` and `ucc-gen package`, and
checks the result: our bin/ scripts kept over UCC's generated ones, every Python stanza pinned to Splunk's
Pythons, no compiled file, nothing executable outside bin/. The .conf files' comments are for the add-on's
developers and stay in the repository; what an administrator needs ships in the package's README.md, the
knowledge objects' descriptions and the documentation.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ucc_inputs  # noqa: E402 -- beside this file

from splunk_app import APP_ID, __version__  # noqa: E402

APP_FOLDERS = ("appserver", "bin", "default", "lookups", "metadata", "static")
# Top-level files the package carries, named as Splunkbase and app.manifest expect them.
APP_FILES = {"LICENSE": "LICENSE.txt", "CHANGELOG.md": "CHANGELOG.md", "packaging/README.md": "README.md"}
# The tiers the package is installed on (its README says why each): app.manifest names them all.
TARGET_WORKLOADS = ["_search_heads", "_forwarders", "_indexers"]
LICENSE = {
    "name": "Apache License 2.0",
    "text": "./LICENSE.txt",
    "uri": "https://www.apache.org/licenses/LICENSE-2.0",
}
DESCRIPTION = (
    "Brings Mimecast Awareness Training into Splunk and puts it to work in the SOC: modular inputs for every "
    "Awareness Training data set (SAFE scores, watch list, performance, training, campaigns, phishing "
    "simulations), a per-user risk table, the mimecastrisk command that adds each user's SAFE grade and "
    "watch-list status to any security event, alert actions that move users into Mimecast groups, overview "
    "and health dashboards, alert templates, and an Enterprise Security identity feed and risk rule."
)
JUNK = ("__pycache__", "*.pyc", "*.pyo", ".DS_Store", ".ruff_cache", ".pytest_cache")
COMPILED = re.compile(r"\.(so|pyd|pyc|pyo|dll|dylib|exe)$|(^|/)__pycache__(/|$)")
PYTHON_KEYS = {"python.version": "python3", "python.required": "3.9, 3.13"}
SDK_PIN = "splunk-sdk==2.1.1"
PIP_VERSION = "25.2"


def run(command: list[str], **kwargs: object) -> None:
    """Run a build tool; fail on its exit status and on any ERROR line (ucc-gen build logs an uncaught
    exception and still exits 0, leaving a half-built app behind)."""
    print("+", " ".join(command), flush=True)
    done = subprocess.run(command, check=False, capture_output=True, text=True, **kwargs)  # noqa: S603
    print(done.stdout + done.stderr, end="", flush=True)
    if done.returncode != 0 or re.search(r"^ERROR:", done.stdout + done.stderr, re.MULTILINE):
        sys.exit(f"build: {Path(command[0]).name} {command[1]} failed (see its output above)")


def release_date(version: str) -> str:
    """The date of this version's entry in CHANGELOG.md (`## 1.0.0 (2026-11-29)`): one place says when."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    found = re.search(rf"^## {re.escape(version)} \((\d{{4}}-\d{{2}}-\d{{2}})\)$", text, re.MULTILINE)
    if not found:
        sys.exit(f"build: CHANGELOG.md has no '## {version} (YYYY-MM-DD)' entry: write its release notes")
    return found.group(1)


def manifest(version: str, author: str) -> dict:
    """app.manifest: UCC reads the app's name and version from it; Splunkbase its licence and notes."""
    return {
        "schemaVersion": "2.0.0",
        "info": {
            "title": "Mimecast Awareness Training for Splunk",
            "id": {"group": None, "name": APP_ID, "version": version},
            "author": [{"name": author, "email": None, "company": None}],
            "releaseDate": release_date(version),
            "description": DESCRIPTION,
            "classification": {
                "intendedAudience": "Security Operations",
                "categories": ["Security, Fraud & Compliance"],
                "developmentStatus": "Production/Stable",
            },
            "commonInformationModels": None,
            "license": LICENSE,
            "privacyPolicy": {"name": None, "text": None, "uri": None},
            "releaseNotes": {"name": f"Release notes {version}", "text": "./CHANGELOG.md", "uri": None},
        },
        "dependencies": None,
        "tasks": None,
        "inputGroups": None,
        "incompatibleApps": None,
        "platformRequirements": None,
        "supportedDeployments": ["_standalone", "_distributed", "_search_head_clustering"],
        "targetWorkloads": TARGET_WORKLOADS,
    }


def stage(work: Path) -> Path:
    """Copy the app's folders and the splunk_app package into UCC's source layout; return the source."""
    source = work / "package"
    for folder in APP_FOLDERS:
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns(*JUNK))
    # splunk_app/ is exactly what ships: copied whole (the workshop lives apart, in devkit/).
    shutil.copytree(ROOT / "splunk_app", source / "lib" / "splunk_app", ignore=shutil.ignore_patterns(*JUNK))
    for name, shipped_as in APP_FILES.items():
        shutil.copy(ROOT / name, source / shipped_as)
    shutil.copy(ROOT / "packaging" / "lib-requirements.txt", source / "lib" / "requirements.txt")
    app_conf = configparser.ConfigParser(interpolation=None)
    app_conf.read(ROOT / "default" / "app.conf")
    author = app_conf["launcher"]["author"]
    (source / "app.manifest").write_text(json.dumps(manifest(__version__, author), indent=4) + "\n")
    # The Inputs page and the inputs' defaults come from the data-set catalogue, never from a hand copy.
    (source / "default" / "inputs.conf").write_text(
        ucc_inputs.inputs_conf() + "\n" + ucc_inputs.audit_input()
    )
    config = json.loads((ROOT / "globalConfig.json").read_text())
    config["pages"]["inputs"]["services"] = ucc_inputs.services()
    (work / "globalConfig.json").write_text(json.dumps(config, indent=4) + "\n")
    return source


def sdk_wheelhouse(cache: Path) -> Path:
    """splunk-sdk 2.1.1 ships only as an sdist: build its (pure) wheel once so pip can use --only-binary."""
    wheels = cache / "wheelhouse"
    if not list(wheels.glob("splunk_sdk-2.1.1-*.whl")):
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--wheel-dir",
                str(wheels),
                SDK_PIN,
            ]
        )
    return wheels


def ucc_build(work: Path, source: Path, wheels: Path) -> Path:
    # The custom flag replaces UCC's own pip flags: resolve for Splunk's Python 3.9, pure wheels only, so a
    # dependency without a pure wheel fails the build instead of shipping a .so built for this machine.
    pip_flags = (
        f"--no-compile --platform any --python-version 3.9 --implementation py --abi none "
        f"--only-binary=:all: --find-links {wheels}"
    )
    run(
        [
            str(Path(sys.executable).parent / "ucc-gen"),
            "build",
            "--source",
            str(source),
            "--config",
            str(work / "globalConfig.json"),
            "--output",
            str(work / "output"),
            "--ta-version",
            __version__,
            "--python-binary-name",
            sys.executable,
            "--pip-version",
            PIP_VERSION,
            f"--pip-custom-flag={pip_flags}",
        ],
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return work / "output" / APP_ID


def keep_our_scripts(app: Path, source: Path, config: dict) -> None:
    """UCC writes a template bin/<name>.py per input and alert; ours must have replaced every one."""
    names = [s["name"] for s in config["pages"].get("inputs", {}).get("services", [])]
    names += [a["name"] for a in config.get("alerts", [])]
    missing = [f"bin/{n}.py" for n in names if not (source / "bin" / f"{n}.py").is_file()]
    if missing:
        sys.exit(
            f"build: {', '.join(missing)} not in the repository: the package would ship UCC's "
            f"generated placeholder instead. Add the entry point(s) to bin/."
        )
    for name in names:
        if (app / "bin" / f"{name}.py").read_bytes() != (source / "bin" / f"{name}.py").read_bytes():
            sys.exit(f"build: UCC replaced bin/{name}.py")


def pin_pythons(app: Path, conf_name: str) -> None:
    """Give every Python stanza of a .conf python.version and python.required (keeping values already set).

    UCC writes them into the stanzas it generates, but a .conf of ours replaces UCC's whole file.
    """
    conf = app / "default" / conf_name
    if not conf.is_file():
        return
    out: list[str] = []
    stanza: list[str] = []

    def flush() -> None:
        out.extend(stanza)
        if stanza and _is_python_stanza(app, conf_name, stanza):
            keys = {line.split("=", 1)[0].strip() for line in stanza if "=" in line}
            end = len(out)
            while not out[end - 1].strip():
                end -= 1
            out[end:end] = [f"{k} = {v}" for k, v in PYTHON_KEYS.items() if k not in keys]
        stanza.clear()

    for line in conf.read_text().splitlines():
        if line.startswith("["):
            flush()
        stanza.append(line)
    flush()
    conf.write_text("\n".join(out) + "\n")


def _is_python_stanza(app: Path, conf_name: str, lines: list[str]) -> bool:
    header, text = lines[0].strip(), "\n".join(lines)
    if not header.startswith("[") or header == "[default]":
        return False
    if conf_name == "inputs.conf":
        scheme = header.strip("[]").split("://", 1)[0]
        return (app / "bin" / f"{scheme}.py").is_file()
    if conf_name == "commands.conf":
        return re.search(r"^\s*filename\s*=\s*\S+\.py\s*$", text, re.M) is not None
    if conf_name == "restmap.conf":
        return re.search(r"^\s*(handlertype|scripttype)\s*=\s*python\s*$", text, re.M) is not None
    if conf_name == "alert_actions.conf":
        return re.search(r"^\s*is_custom\s*=\s*(1|true)\s*$", text, re.M) is not None
    return False


def without_comments(text: str) -> str:
    """A .conf file's text without its comment lines (a line that continues a value after a backslash
    stays) and without the blank lines they leave at its top."""
    kept: list[str] = []
    continued = False
    for line in text.splitlines():
        if continued or not line.lstrip().startswith("#"):
            kept.append(line)
            continued = line.rstrip().endswith("\\")
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept) + "\n"


def tidy(app: Path) -> None:
    """Drop caches, pip's console scripts and the vendored packages' own tests; refuse compiled files;
    files 0644 (0755 in bin/), folders 0755."""
    shutil.rmtree(app / "lib" / "bin", ignore_errors=True)
    for path in sorted(app.rglob("*"), reverse=True):
        vendored_tests = path.name in ("test", "tests") and path.relative_to(app).parts[0] == "lib"
        if path.is_dir() and (path.name == "__pycache__" or vendored_tests):
            shutil.rmtree(path)
        elif path.suffix in (".pyc", ".pyo") and path.is_file():
            path.unlink()
    compiled = [str(p.relative_to(app)) for p in app.rglob("*") if COMPILED.search(str(p.relative_to(app)))]
    if compiled:
        sys.exit(f"build: compiled files in the package (a dependency without a pure wheel?): {compiled}")
    for path in app.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
        else:
            in_bin = path.relative_to(app).parts[0] == "bin"
            path.chmod(0o755 if in_bin and path.suffix in (".py", ".sh") else 0o644)


def package(app: Path, work: Path, dist: Path) -> Path:
    run([str(Path(sys.executable).parent / "ucc-gen"), "package", "--path", str(app), "--output", str(work)])
    built = work / f"{APP_ID}-{__version__}.tar.gz"
    dist.mkdir(exist_ok=True)
    target = dist / f"{APP_ID}-{__version__}.tgz"
    shutil.move(str(built), target)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    work = args.build_dir / "ucc"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = stage(work)
    config = json.loads((work / "globalConfig.json").read_text())
    app = ucc_build(work, source, sdk_wheelhouse(args.build_dir))
    keep_our_scripts(app, source, config)
    for conf_name in ("inputs.conf", "commands.conf", "restmap.conf", "alert_actions.conf"):
        pin_pythons(app, conf_name)
    for conf in sorted((app / "default").glob("*.conf")):
        conf.write_text(without_comments(conf.read_text(encoding="utf-8")), encoding="utf-8")
    tidy(app)
    target = package(app, work, args.dist)
    print(f"{target} ({target.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
