"""The company CA in the built package, under Splunk's Pythons 3.9 and 3.13 with only the app's lib/ (its
own requests and urllib3, not the dev environment's): an installed alert action reaches a gateway signed by
a private CA through a proxy's CONNECT tunnel once the Company CA tab holds that CA, and not before."""

from __future__ import annotations

from pathlib import Path

from workshop.actions.conftest import GROUP, SETTINGS, rows_for
from workshop.tls.conftest import (  # noqa: F401 - fixtures
    PROXY_LOGIN,
    company_ca,
    company_pem,
    proxy,
)
from workshop.tls.conftest import tenant_over_https as tenant  # noqa: F401 - the actions' tenant, over HTTPS

from devkit.loopback import Server

USER = "ann@simulated.example"


def test_installed_action_through_a_tunnel_with_the_company_ca(
    run_action,
    tenant,  # noqa: F811
    splunkd,
    installed_app: Path,
    splunk_python: str,
    company_pem: str,  # noqa: F811
    proxy: tuple[Server, list[str]],  # noqa: F811
) -> None:
    python = (splunk_python, "-E", "-s", "-S")
    bin_dir = installed_app / "bin"
    server, seen = proxy
    username, password = PROXY_LOGIN
    settings = {"proxy_enabled": "1", "proxy_url": "127.0.0.1", "proxy_port": str(server.port)}
    splunkd.set_conf(SETTINGS, "proxy", {**settings, "proxy_username": username})
    splunkd.set_encrypted(SETTINGS, "proxy", {"proxy_password": password})

    refused = run_action("mimecast_add_to_group", rows_for(USER), python=python, bin_dir=bin_dir)
    splunkd.set_conf(SETTINGS, "company_ca", {"ca_certificates": company_pem})
    added = run_action("mimecast_add_to_group", rows_for(USER), python=python, bin_dir=bin_dir)

    assert refused.status != 0 and any("TLS certificate" in line for line in refused.lines)
    assert (added.status, added.outcomes()) == (0, [(USER, "added")])
    assert tenant.group_members(GROUP) == {USER}
    assert seen and all(entry.startswith("CONNECT 127.0.0.1:") for entry in seen)
