"""`mimecast-at check` and `pull` behind TLS inspection, from a shell: --ca-bundle FILE trusts the company CA,
--proxy goes through the proxy's CONNECT tunnel, and the refusal without the CA names --ca-bundle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devkit.loopback import Server
from devkit.simulator import SimulatedTenant

from .conftest import PROXY_LOGIN


def cli(*args: str, tenant: SimulatedTenant, **extra: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MIMECAST_")}
    keys = {"MIMECAST_CLIENT_ID": tenant.keys.client_id, "MIMECAST_CLIENT_SECRET": tenant.keys.client_secret}
    return subprocess.run(
        [sys.executable, "-m", "devkit.cli", *args, "--base-url", tenant.base_url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **keys, **extra},
        check=False,
    )


def test_check_without_the_company_ca_says_to_give_it(https_tenant: SimulatedTenant) -> None:
    done = cli("check", tenant=https_tenant)

    assert done.returncode == 1
    assert done.stdout.startswith(
        "FAILED (tls_unverified): The TLS certificate of 127.0.0.1 could not be verified"
    )
    assert "--ca-bundle FILE" in done.stdout and "Company CA tab" not in done.stdout


def test_check_with_the_company_ca_file(https_tenant: SimulatedTenant, company_pem_file: Path) -> None:
    done = cli("check", "--ca-bundle", str(company_pem_file), tenant=https_tenant)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK: ")


def test_pull_through_the_proxy_tunnel_with_the_company_ca(
    https_tenant: SimulatedTenant, company_pem_file: Path, proxy: tuple[Server, list[str]], tmp_path: Path
) -> None:
    server, seen = proxy
    out = tmp_path / "scores.jsonl"

    done = cli(
        "pull", "safe_score", "--proxy", f"127.0.0.1:{server.port}", "--ca-bundle", str(company_pem_file),
        "--out", str(out), tenant=https_tenant,
        MIMECAST_PROXY_USERNAME=PROXY_LOGIN[0], MIMECAST_PROXY_PASSWORD=PROXY_LOGIN[1],
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert len([json.loads(line) for line in out.read_text().splitlines()]) == 12
    assert seen and all(entry.startswith("CONNECT 127.0.0.1:") for entry in seen)
    assert PROXY_LOGIN[1] not in done.stderr


def test_pull_without_the_company_ca_fails_in_one_line(https_tenant: SimulatedTenant) -> None:
    done = cli("pull", "safe_score", tenant=https_tenant)

    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert (
        last.startswith("mimecast-at pull: ") and "TLS certificate" in last and "Traceback" not in done.stderr
    )
    assert "add its CA certificate in --ca-bundle FILE (the CA's certificates in PEM)" in last
