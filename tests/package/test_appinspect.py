"""Splunk Cloud vetting, offline: AppInspect's precert checks with the cloud tag.

0 failures, 0 errors, 0 future failures. Every warning that remains must be one of the ACCEPTED ones below,
each with the reason it stays; a new warning fails the test until it is fixed or explained here.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from .conffiles import ROOT

APPINSPECT = ROOT / ".venv-inspect" / "bin" / "splunk-appinspect"
# AppInspect's --ci exit codes: 0 clean, 103 warnings only (101 failures, 104 future failures).
CLEAN_EXITS = (0, 103)
# check -> (where its warnings may point: a regex over the file, or None for app-wide notes; why it stays)
ACCEPTED = {
    "check_for_splunk_js": (
        r"^appserver/static/js/build/",
        "UCC 6.6.0's Configuration/Inputs pages use SplunkJS; AppInspect only gathers telemetry on it.",
    ),
    "check_for_splunk_js_header_and_footer_view": (
        r"^appserver/static/js/build/",
        "UCC 6.6.0's page bundle loads Splunk's header view.",
    ),
    "check_for_custom_mako_templates": (
        r"^appserver/templates/base\.html$",
        "UCC 6.6.0 ships this page template for its pages.",
    ),
    "check_for_python_script_existence": (None, "Informational: the app is Python 3 (3.9 and 3.13)."),
    "check_for_modular_inputs": (r"^README/inputs\.conf\.spec$", "Modular inputs: informational."),
    "check_python_sdk_version": (
        r"^lib/splunk",
        "splunk-sdk is pinned to 2.1.1 on purpose: 3.x needs Python "
        ">= 3.13 and would not run on Splunk 9's Python 3.9.",
    ),
    "check_for_possible_threading": (
        r"^lib/solnlib/",
        "In the vendored solnlib 7.0.0 that UCC's REST handlers need; not our code.",
    ),
    "check_hostnames_and_ips": (
        r"^lib/PySocks-[^/]+\.dist-info/METADATA$",
        "An example IP in the vendored PySocks package's description.",
    ),
    "check_for_supported_tls": (
        r"^lib/solnlib/splunk_rest_client\.py$",
        "solnlib's client for the local splunkd; every Mimecast call of ours verifies TLS.",
    ),
    "check_collections_conf": (
        r"^default/collections\.conf$",
        "Informational: the KV store collection of the per-user risk table.",
    ),
    "check_ucc_dependencies": (
        r"^lib/(splunktaucclib|solnlib)/",
        "Informational: splunktaucclib 8.2.0 and solnlib 7.0.0 detected.",
    ),
}


@pytest.fixture(scope="module")
def report(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    if not APPINSPECT.is_file():
        pytest.fail(f"{APPINSPECT.relative_to(ROOT)} is missing: run `make .venv-inspect/bin/.ready`")
    output = tmp_path_factory.mktemp("appinspect") / "report.json"
    run = subprocess.run(
        [
            str(APPINSPECT),
            "inspect",
            str(tarball),
            "--mode",
            "precert",
            "--included-tags",
            "cloud",
            "--ci",
            "--data-format",
            "json",
            "--output-file",
            str(output),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode in CLEAN_EXITS, run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(output.read_text())


def _checks(report: dict, result: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for app in report["reports"]:
        for group in app["groups"]:
            for check in group["checks"]:
                if check["result"] == result:
                    found[check["name"]] = check["messages"]
    return found


def test_no_failure_error_or_future_failure(report: dict) -> None:
    summary = report["summary"]
    print("AppInspect summary:", json.dumps(summary, sort_keys=True))
    for result in ("failure", "error", "future_failure"):
        assert summary[result] == 0, _checks(report, result)
    assert summary["success"] > 100


def test_every_warning_is_explained(report: dict) -> None:
    unexplained = []
    for name, messages in sorted(_checks(report, "warning").items()):
        where, why = ACCEPTED.get(name, (None, ""))
        print(f"warning {name}: {why or 'NOT EXPLAINED'}")
        for message in messages:
            path = message.get("message_filename")
            path = None if path in (None, "", "None") else path
            if not why or (path and where and not re.search(where, path)) or (path and not where):
                unexplained.append((name, path, message.get("message", "")[:200]))
    assert unexplained == []
